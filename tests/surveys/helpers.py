"""The surveys' one test builder: surveys built with the real building actions
(`branching_survey` for the answering tests, `make_survey` for the results'), invitations, and
responses with given scores for the results tests.

Invitations and responses are written as rows here: the results read aggregates of exactly
these rows, so the tests compute the expected figures by hand; the actions that send
invitations and take answers have tests of their own (`test_survey_answers.py`, the
invitations' tests). Only the fields the reading side uses are set.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from ascolto.organisation.models import Office
from ascolto.surveys import building
from ascolto.surveys.models import Answer, Invitation, Question, Response, Survey

IMPROVE = [
    {"value": "tempi", "label": "Tempi di attesa", "label_en": "Waiting times"},
    {"value": "chiarezza", "label": "Chiarezza delle informazioni", "label_en": "Clarity"},
    {"value": "sito", "label": "Facilità d'uso del sito", "label_en": "Ease of use"},
]
SERVIZI = [
    {"value": "anagrafe", "label": "Anagrafe", "label_en": "Registry office"},
    {"value": "tributi", "label": "Tributi", "label_en": "Taxes"},
    {"value": "altro", "label": "Altro", "label_en": "Other"},
]


def branching_survey(code: str = "soddisfazione-pratica", **fields: Any) -> Survey:
    """A published satisfaction survey: stars, NPS, which office (single), what went wrong
    (multiple, asked only after 1–2 stars), why (text, asked only when "altro" was chosen),
    a scale, a free comment."""
    survey = building.create_survey(code, "Com'è andata?", title_en="How did it go?", **fields)
    building.add_question(
        survey,
        "rating",
        "voto",
        "Quanto sei soddisfatto della risposta?",
        text_en="How satisfied are you with the answer?",
        required=True,
    )
    building.add_question(
        survey,
        "multiple",
        "problemi",
        "Che cosa non ha funzionato?",
        text_en="What went wrong?",
        required=True,
        choices=[
            {"value": "tempi", "label": "I tempi", "label_en": "The time it took"},
            {"value": "chiarezza", "label": "La chiarezza", "label_en": "Clarity"},
            {"value": "cortesia", "label": "La cortesia", "label_en": "Courtesy"},
        ],
        show_if="voto",
        show_if_values=[1, 2],
    )
    building.add_question(
        survey,
        "nps",
        "consiglio",
        "Consiglieresti il servizio a un amico?",
        text_en="Would you recommend the service to a friend?",
    )
    building.add_question(
        survey, "single", "ufficio", "Con quale ufficio?", text_en="Which office?", choices=SERVIZI
    )
    building.add_question(
        survey,
        "text",
        "quale",
        "Quale altro ufficio?",
        text_en="Which other office?",
        required=True,
        show_if="ufficio",
        show_if_values=["altro"],
    )
    building.add_question(
        survey,
        "scale",
        "facilita",
        "Quanto è stato facile?",
        text_en="How easy was it?",
        scale_min=1,
        scale_max=7,
    )
    building.add_question(survey, "text", "commento", "Un commento?", text_en="A comment?")
    building.publish_survey(survey)
    survey.refresh_from_db()
    return survey


def make_survey(code: str = "dopo-pratica", office: Office | None = None, **kw: Any) -> Survey:
    """A published satisfaction survey after a case: stars, NPS, what to improve (multiple),
    how easy (a 1–7 scale), a comment."""
    survey = building.create_survey(
        code,
        kw.pop("title", "Com'è andata la tua richiesta?"),
        trigger=kw.pop("trigger", Survey.Trigger.CASE_RESOLVED),
        office=office,
        **kw,
    )
    building.add_question(survey, "rating", "voto", "Quanto sei soddisfatto?")
    building.add_question(survey, "nps", "consiglio", "Ci consiglieresti?")
    building.add_question(
        survey, "multiple", "migliorare", "Cosa possiamo migliorare?", choices=IMPROVE
    )
    building.add_question(
        survey, "scale", "facilita", "Quanto è stato facile?", scale_min=1, scale_max=7
    )
    building.add_question(survey, "text", "commento", "Vuoi dirci altro?")
    building.publish_survey(survey)
    survey.refresh_from_db()
    return survey


def question(survey: Survey, code: str) -> Question:
    return Question.objects.get(version=survey.current_version, code=code)


def respond(
    survey: Survey,
    at: datetime,
    *,
    csat: int | None = None,
    nps: int | None = None,
    improve: Sequence[str] = (),
    ease: int | None = None,
    text: str = "",
    source: str = Response.Source.WEB,
    via: str = Invitation.Via.EMAIL,
    **dims: Any,
) -> Response:
    """A response to `make_survey`'s survey with these answers; `dims` are its channel,
    office, theme, service."""
    version = survey.current_version
    assert version is not None
    response = Response.objects.create(
        survey=survey,
        version=version,
        source=source,
        via=via,
        csat=csat,
        nps=nps,
        submitted_at=at,
        **dims,
    )
    rows = []
    if csat is not None:
        rows.append(Answer(response=response, question=question(survey, "voto"), number=csat))
    if nps is not None:
        rows.append(Answer(response=response, question=question(survey, "consiglio"), number=nps))
    for value in improve:
        rows.append(Answer(response=response, question=question(survey, "migliorare"), value=value))
    if ease is not None:
        rows.append(Answer(response=response, question=question(survey, "facilita"), number=ease))
    if text:
        rows.append(Answer(response=response, question=question(survey, "commento"), value=text))
    Answer.objects.bulk_create(rows)
    return response


def invite(
    survey: Survey,
    at: datetime | None = None,
    *,
    days: int = 30,
    answered: bool = False,
    **fields: Any,
) -> Invitation:
    """An invitation sent `at` (now by default), valid `days`, answered two hours later if
    `answered`; `fields` are its case, citizen, channel, office, theme, service, via."""
    at = at or timezone.now()
    return Invitation.objects.create(
        survey=survey,
        via=fields.pop("via", Invitation.Via.EMAIL),
        created_at=at,
        expires_at=at + timedelta(days=days),
        answered_at=at + timedelta(hours=2) if answered else None,
        **fields,
    )
