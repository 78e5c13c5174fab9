"""Surveys for the invitation tests, built as rows: an open survey with one published version,
and an online service."""

from __future__ import annotations

from typing import Any

from ascolto.surveys.models import Question, Service, Survey, SurveyVersion


def open_survey(
    code: str,
    trigger: str,
    *,
    questions: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> Survey:
    """An open survey with one published version holding `questions` (by default the 1–5
    rating `voto`, required)."""
    survey = Survey.objects.create(
        code=code, title=f"Questionario {code}", trigger=trigger, status="open", **fields
    )
    version = SurveyVersion.objects.create(survey=survey, number=1)
    for position, spec in enumerate(
        questions or [{"code": "voto", "kind": "rating", "required": True}], start=1
    ):
        Question.objects.create(
            version=version,
            position=position,
            text=spec.pop("text", spec["code"]),
            **spec,
        )
    survey.current_version = version
    survey.save(update_fields=["current_version"])
    return survey


def service(code: str = "certificati-anagrafe", **fields: Any) -> Service:
    return Service.objects.create(
        code=code, name=fields.pop("name", "Certificati anagrafici"), online=True, **fields
    )
