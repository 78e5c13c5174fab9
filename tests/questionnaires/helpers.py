"""A small questionnaire like the city's: the sample's three dimensions, a rating, the reasons
that worry most (multiple choice, one label with a comma), a branch, an NPS and free text."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.utils import timezone

from ascolto.surveys import actions
from ascolto.surveys.models import ExecutiveSummary, Question, Survey, SurveyVersion

AGES = [
    ("fino18", "Fino a 18 anni"),
    ("19-24", "19-24 anni"),
    ("25-34", "25-34 anni"),
    ("35-44", "35-44 anni"),
    ("45-54", "45-54 anni"),
    ("55-64", "55-64 anni"),
    ("65-74", "65-74 anni"),
    ("75+", "75 anni e oltre"),
]
REASONS = [
    ("traffico", "Traffico"),
    ("sicurezza", "Sicurezza"),
    ("lavoro", "Lavoro"),
    ("salute", "Salute"),
    ("casa", "Costo della vita, casa"),
]


def _choices(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"value": v, "label": label, "label_en": ""} for v, label in pairs]


QUESTIONS: list[dict[str, Any]] = [
    {
        "code": "genere",
        "kind": "single",
        "text": "Genere",
        "dimension": "gender",
        "required": True,
        "choices": _choices([("F", "Donna"), ("M", "Uomo"), ("X", "Preferisco non rispondere")]),
    },
    {"code": "eta", "kind": "single", "text": "Età", "dimension": "age", "choices": _choices(AGES)},
    {
        "code": "municipio",
        "kind": "single",
        "text": "Municipio di residenza",
        "dimension": "district",
        "choices": _choices([(str(i), f"Municipio {i}") for i in range(1, 10)]),
    },
    {
        "code": "soddisfazione",
        "kind": "rating",
        "required": True,
        "text": "Quanto è soddisfatto dei servizi del Comune?",
    },
    {
        "code": "motivi",
        "kind": "multiple",
        "choices": _choices(REASONS),
        "text": "I motivi che preoccupano maggiormente",
    },
    {
        "code": "servizi_usati",
        "kind": "single",
        "text": "Ha usato i servizi online?",
        "choices": _choices([("si", "Sì"), ("no", "No")]),
    },
    {
        "code": "quali_servizi",
        "kind": "multiple",
        "text": "Quali servizi online?",
        "show_if": "servizi_usati",
        "show_if_values": ["si"],
        "required": True,
        "choices": _choices([("anagrafe", "Certificati anagrafici"), ("tari", "TARI")]),
    },
    {"code": "nps", "kind": "nps", "text": "Consiglierebbe i servizi a un amico?"},
    {"code": "commenti", "kind": "text", "text": "Commenti"},
]


def make_questionnaire(code: str = "mta", questions: list[dict[str, Any]] | None = None) -> Survey:
    survey = Survey.objects.create(
        code=code,
        title="Milano Ti Ascolta",
        kind=Survey.Kind.QUESTIONNAIRE,
        status=Survey.Status.OPEN,
    )
    version = SurveyVersion.objects.create(survey=survey, number=1, published_at=timezone.now())
    for position, spec in enumerate(questions or QUESTIONS, start=1):
        Question.objects.create(version=version, position=position, **spec)
    survey.current_version = version
    survey.save(update_fields=["current_version"])
    return survey


SMALL_SAMPLE = "genere,soddisfazione,commenti\n" + "F,4,\n" * 6 + "M,2,Chiamatemi: Mario Verdi\n"


def published_summary(code: str = "mta") -> ExecutiveSummary:
    """A questionnaire with seven answers imported (six women, one man who wrote his name in
    the free text), its summary generated and published."""
    survey = make_questionnaire(code)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "risposte.csv"
        path.write_text(SMALL_SAMPLE, encoding="utf-8")
        actions.import_questionnaire(survey, path)
    summary = actions.create_summary(survey, title="Milano Ti Ascolta")
    return actions.publish_summary(summary)
