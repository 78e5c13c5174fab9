"""Surveys for the invitation tests, built as rows (the survey builder is another helper's
work: `surveys.actions` of branch s-engine), and the answering page's route while it is not on
this branch."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import NoReverseMatch, clear_url_caches, reverse

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


def answering_route_available() -> bool:
    try:
        reverse("scrivi:survey-answer", args=["x"])
    except NoReverseMatch:
        return False
    return True


@pytest.fixture
def answering_page(settings: Any) -> Iterator[None]:
    """The answering page's route `scrivi:survey-answer` (branch s-engine); until it is on this
    branch, a stand-in at the same address, so the links can be built and followed."""
    if not answering_route_available():
        settings.ROOT_URLCONF = "tests.invitation_urls"
        clear_url_caches()
    yield
    clear_url_caches()
