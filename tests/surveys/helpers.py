"""Surveys built with the real building actions, and invitations for the answering tests.

Invitations are written as rows here: the action that sends them after a case, an online
service or a chat (`surveys.invitations`) is another branch's; only the fields the answering
side reads are set.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from ascolto.surveys import building
from ascolto.surveys.models import Invitation, Survey

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


def invite(survey: Survey, *, days: int = 30, **fields: Any) -> Invitation:
    now = timezone.now()
    return Invitation.objects.create(
        survey=survey,
        via=fields.pop("via", Invitation.Via.EMAIL),
        created_at=now,
        expires_at=now + timedelta(days=days),
        **fields,
    )
