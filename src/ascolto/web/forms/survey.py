"""The form of the survey answering page (`/scrivi/questionario/<token>/`): one field per
question of the version, none required here. What is required, what the values may be and which
questions branching hides are decided by `surveys.actions.submit_response`, whose errors the
page puts back on each question (`add_answer_errors`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django import forms

from ascolto.surveys.building import CHOICE_KINDS, number_range
from ascolto.surveys.models import Question


@dataclass
class Option:
    value: str
    label: str
    checked: bool = False


@dataclass
class Item:
    """One question as the page shows it, in the respondent's language."""

    code: str
    kind: str
    text: str
    help: str
    required: bool
    options: list[Option]
    value: str = ""  # a free text's
    error: str = ""
    show_if: str = ""
    show_values: str = ""  # JSON list, read by survey.js
    low_label: str = ""
    high_label: str = ""
    conditional: bool = field(init=False)

    def __post_init__(self) -> None:
        self.conditional = bool(self.show_if)


def _text(question: Question, name: str, english: bool) -> str:
    if english:
        return str(getattr(question, f"{name}_en", "") or getattr(question, name))
    return str(getattr(question, name))


def _choice_labels(question: Question, english: bool) -> dict[str, str]:
    labels = {}
    for choice in question.choices or []:
        label = choice.get("label_en") if english else ""
        labels[str(choice.get("value", ""))] = str(label or choice.get("label") or "")
    return labels


class _Many(forms.Field):
    """The options ticked of a multiple choice, as a list of texts."""

    widget = forms.SelectMultiple

    def to_python(self, value: Any) -> list[str]:
        if not value:
            return []
        return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


class SurveyAnswerForm(forms.Form):
    """Collects the answers as the action takes them: a text for one value, a list of texts
    for a multiple choice."""

    def __init__(self, questions: list[Question], *args: Any, english: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.questions = questions
        self.english = english
        for question in questions:
            self.fields[question.code] = self._field(question)

    def _field(self, question: Question) -> forms.Field:
        # No limits here: a value outside the question's is the action's to refuse, in its
        # own words and on its own question.
        if question.kind == Question.Kind.MULTIPLE:
            return _Many(required=False)
        return forms.CharField(required=False, strip=True)

    @staticmethod
    def values_of(question: Question) -> list[str]:
        if question.kind in CHOICE_KINDS:
            return [str(c.get("value", "")) for c in question.choices or []]
        bounds = number_range(question)
        return [str(n) for n in range(bounds[0], bounds[1] + 1)] if bounds else []

    def answers(self) -> dict[str, Any]:
        """The answers given, by question code (call after `is_valid()`)."""
        data = getattr(self, "cleaned_data", {})
        return {code: value for code, value in data.items() if value not in ("", [], None)}

    def add_answer_errors(self, errors: dict[str, str]) -> None:
        for code, message in errors.items():
            if code in self.fields:
                self.add_error(code, message)

    def items(self) -> list[Item]:
        """The questions with their options, what was chosen and their errors."""
        items = []
        for question in self.questions:
            bound = self[question.code]
            raw = bound.value()
            chosen = {str(v) for v in raw} if isinstance(raw, list) else {str(raw or "")}
            labels = _choice_labels(question, self.english)
            options = [
                Option(value=v, label=labels.get(v) or v, checked=v in chosen)
                for v in self.values_of(question)
            ]
            low = high = ""
            if question.kind == Question.Kind.SCALE and options:
                low, high = options[0].label, options[-1].label
            items.append(
                Item(
                    code=question.code,
                    kind=question.kind,
                    text=_text(question, "text", self.english),
                    help=_text(question, "help_text", self.english),
                    required=question.required,
                    options=options,
                    value=str(raw or "") if question.kind == Question.Kind.TEXT else "",
                    error=" ".join(str(e) for e in bound.errors),
                    show_if=question.show_if,
                    show_values=json.dumps([str(v) for v in question.show_if_values]),
                    low_label=low,
                    high_label=high,
                )
            )
        return items
