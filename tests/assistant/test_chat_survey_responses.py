"""The assistant's in-chat survey ("Ti sono stato utile?", then a suggestion) becomes a response
(source chat) of the open survey with the trigger `chatbot`: the yes/no to its first single
choice offering "yes" and "no", the suggestion to its first free-text question; one response
per chat however often the events are handled; none without such a survey."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command

from ascolto.assistant.models import MenuVersion, Session
from ascolto.core import outbox
from ascolto.core.models import OutboxEvent
from ascolto.surveys.models import Answer, Response, Survey
from tests.assistant.conftest import Citizen
from tests.invitation_cases import open_survey

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
YES_NO = [
    {"value": "yes", "label": "Sì", "label_en": "Yes"},
    {"value": "no", "label": "No", "label_en": "No"},
]


def _chat_and_answer(citizen: Citizen, useful: bool, suggestion: str = "") -> None:
    with time_machine.travel(T0, tick=False):
        citizen.say("ciao")
    with time_machine.travel(T0 + timedelta(minutes=11), tick=False):
        call_command("assistant_tick")
        session = Session.objects.get()
        choice = "yes" if useful else "no"
        citizen.tap(f"survey:{choice}:{session.pk}", "Sì" if useful else "No")
        if suggestion:
            citizen.say(suggestion)


def _handle_events() -> int:
    """The survey's events, all handled (those the drain's commit did not handle, now)."""
    events = OutboxEvent.objects.filter(topic="assistant.survey_answered")
    for pk in events.filter(processed_at__isnull=True).values_list("pk", flat=True):
        assert outbox.process_event(pk)
    assert not events.filter(processed_at__isnull=True).exists()
    return events.count()


def test_a_chat_survey_answer_becomes_a_response_of_the_chatbot_survey(
    citizen: Citizen, menu: MenuVersion
) -> None:
    survey = open_survey(
        "dopo-chat",
        Survey.Trigger.CHATBOT,
        questions=[
            {"code": "utile", "kind": "single", "required": True, "choices": YES_NO},
            {"code": "suggerimento", "kind": "text"},
        ],
    )
    _chat_and_answer(citizen, useful=False, suggestion="Gli orari delle piscine")
    assert _handle_events() == 2  # the yes/no, then the suggestion

    response = Response.objects.get()
    assert (response.survey, response.source, response.via, response.channel_kind) == (
        survey,
        "chat",
        "chat",
        "whatsapp",
    )
    assert response.complete and response.csat is None and response.citizen is None
    assert sorted(Answer.objects.values_list("question__code", "value")) == [
        ("suggerimento", "Gli orari delle piscine"),
        ("utile", "no"),
    ]
    # Handled again (a worker killed after the handler ran): still one response.
    for event in OutboxEvent.objects.filter(topic="assistant.survey_answered"):
        from ascolto.surveys import receivers  # noqa: PLC0415

        receivers.record_chat_answer(event)
    assert Response.objects.count() == 1 and Answer.objects.count() == 2


def test_without_a_chatbot_survey_the_chat_answer_stays_the_assistant_s_own(
    citizen: Citizen, menu: MenuVersion
) -> None:
    open_survey("dopo-pratica", Survey.Trigger.CASE_RESOLVED)
    _chat_and_answer(citizen, useful=True)
    assert _handle_events() == 1
    assert not Response.objects.exists()
