"""The extra questions a public theme asks as an Open311 service (`Theme.open311_attributes`).

Open311 GeoReport v2 calls them a service definition's attributes: each has a `code`, a
`datatype` (string, number, datetime, text, singlevaluelist, multivaluelist), whether it is
`required`, its `description` (the question) and, for the lists, its `values` (key and name).
They are written in the admin as JSON and checked here when the theme is saved, so a broken
definition never reaches a reporting app; `answers_refusal` checks a request's answers against
them (the Open311 views call it before a request is accepted).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ascolto.core.errors import InvalidInput

Datatype = Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
LISTS = ("singlevaluelist", "multivaluelist")
MAX_ANSWER = 1000


class Value(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=200)


class Attribute(BaseModel):
    """One question of a service's definition, with the spec's field names."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    datatype: Datatype = "string"
    variable: bool = True  # false: information shown to the citizen, nothing to answer
    required: bool = False
    datatype_description: str = Field(default="", max_length=300)
    order: int = Field(default=1, ge=1)
    description: str = Field(min_length=1, max_length=500)
    values: list[Value] = Field(default_factory=list)

    @model_validator(mode="after")
    def _lists_have_values(self) -> Attribute:
        if self.datatype in LISTS and not self.values:
            raise ValueError("a list needs its values")
        if self.datatype not in LISTS and self.values:
            raise ValueError("only a list has values")
        return self


def attributes(raw: Any) -> list[Attribute]:
    """The questions of `raw` (a theme's `open311_attributes`), checked and in their order;
    `InvalidInput` naming the first problem otherwise."""
    if not raw:
        return []
    if not isinstance(raw, list):
        raise InvalidInput(_("Le domande Open311 sono un elenco."), field="open311_attributes")
    out: list[Attribute] = []
    for index, item in enumerate(raw, start=1):
        try:
            out.append(Attribute.model_validate(item))
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(p) for p in problem["loc"]) or "?"
            raise InvalidInput(
                _("Domanda Open311 n. %(n)d non valida (%(where)s): %(msg)s")
                % {"n": index, "where": where, "msg": problem["msg"]},
                field="open311_attributes",
            ) from exc
    codes = [a.code for a in out]
    if len(set(codes)) != len(codes):
        raise InvalidInput(
            _("Due domande Open311 hanno lo stesso codice."), field="open311_attributes"
        )
    return sorted(out, key=lambda a: (a.order, a.code))


def answers_refusal(
    questions: Sequence[Attribute], answers: Mapping[str, list[str]]
) -> InvalidInput | None:
    """What is wrong with a request's `answers` (code → values as sent) to `questions`: a
    required one missing, a value not in the list, a number or date that is not one. None when
    they are right. Answers to no question of the service are not checked (`known` drops them):
    reporting apps add their own (FixMyStreet sends its report's id, title and link)."""
    by_code = {q.code: q for q in questions if q.variable}
    for question in by_code.values():
        given = [v.strip() for v in answers.get(question.code, []) if v.strip()]
        field = f"attribute[{question.code}]"
        if not given:
            if question.required:
                return InvalidInput(
                    _("Manca la risposta obbligatoria a «%(question)s».")
                    % {"question": question.description},
                    field=field,
                )
            continue
        if question.datatype != "multivaluelist" and len(given) > 1:
            return InvalidInput(
                _("«%(code)s» accetta un solo valore.") % {"code": question.code}, field=field
            )
        for value in given:
            refused = _value_refusal(question, value)
            if refused:
                return InvalidInput(refused, field=field)
    return None


def _value_refusal(question: Attribute, value: str) -> str:
    if len(value) > MAX_ANSWER:
        return _("La risposta a «%(code)s» è troppo lunga.") % {"code": question.code}
    if question.datatype in LISTS and value not in {v.key for v in question.values}:
        return _("«%(value)s» non è tra i valori di «%(code)s».") % {
            "value": value,
            "code": question.code,
        }
    if question.datatype == "number":
        try:
            float(value)
        except ValueError:
            return _("«%(code)s» vuole un numero.") % {"code": question.code}
    if question.datatype == "datetime":
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return _("«%(code)s» vuole una data e ora ISO 8601.") % {"code": question.code}
    if question.datatype == "string" and "\n" in value:
        return _("«%(code)s» vuole una riga sola.") % {"code": question.code}
    return ""


def known(questions: Sequence[Attribute], answers: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """The answers to the service's own questions (what the case keeps)."""
    codes = {q.code for q in questions if q.variable}
    return {k: list(v) for k, v in answers.items() if k in codes}


def answers_text(questions: Sequence[Attribute], answers: Mapping[str, list[str]]) -> str:
    """The answers as lines an operator reads on the case ("question: value name")."""
    lines = []
    for question in questions:
        given = [v.strip() for v in answers.get(question.code, []) if v.strip()]
        if not given:
            continue
        names = {v.key: v.name for v in question.values}
        shown = ", ".join(names.get(v, v) for v in given)
        lines.append(f"{question.description}: {shown}")
    return "\n".join(lines)
