"""Which conversation a message continues, and whether it opens a case."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils.translation import gettext

from ascolto.channels.actions import receive
from ascolto.channels.inbound import CaseHints, InboundMessage
from ascolto.channels.models import Conversation, Message
from ascolto.citizens.models import Identity
from ascolto.tickets import actions
from ascolto.tickets.models import Ticket
from tests import factories, personas

pytestmark = pytest.mark.django_db
ROME = ZoneInfo("Europe/Rome")
MORNING = datetime(2025, 3, 10, 9, 0, tzinfo=ROME)


def _whatsapp(text: str, at: datetime, *, open_case: bool | None = None) -> InboundMessage:
    return InboundMessage(
        channel="whatsapp",
        external_id=f"wamid.{factories.new_id()}",
        handle_kind=Identity.Kind.WHATSAPP,
        handle="393331234567",
        text=text,
        sent_at=at,
        hints=CaseHints(open_case=open_case),
    )


def test_whatsapp_messages_within_the_session_window_are_one_conversation(
    cast: personas.Cast,
) -> None:
    first = receive(_whatsapp("A", MORNING))
    later = receive(_whatsapp("B", MORNING + timedelta(hours=23)))
    next_day = receive(_whatsapp("C", MORNING + timedelta(hours=23 + 25)))

    assert later.conversation.pk == first.conversation.pk
    assert next_day.conversation.pk != first.conversation.pk
    conversation = Conversation.objects.get(pk=first.conversation.pk)
    assert conversation.last_message_at == MORNING + timedelta(hours=23)
    assert conversation.started_at == MORNING
    # WhatsApp opens no case by itself: the chatbot answers, an operator takes up what needs one.
    assert first.ticket_id is later.ticket_id is next_day.ticket_id is None
    assert Ticket.objects.count() == 0


def test_an_adapter_can_ask_for_a_case_on_a_channel_that_opens_none(cast: personas.Cast) -> None:
    received = receive(_whatsapp("Voglio parlare con un operatore", MORNING, open_case=True))

    ticket = Ticket.objects.get(pk=received.ticket_id)
    assert ticket.channel == cast.whatsapp
    assert ticket.identity.value == "+393331234567"
    assert ticket.description == "Voglio parlare con un operatore"


def test_a_web_channel_can_be_told_not_to_open_a_case(cast: personas.Cast) -> None:
    received = receive(
        dataclasses.replace(
            factories.scrivi_message("Solo un saluto"), hints=CaseHints(open_case=False)
        )
    )

    assert received.ticket_id is None
    assert Message.objects.filter(pk=received.message.pk).exists()


def test_every_scrivi_submission_is_a_conversation_and_a_case_of_its_own(
    cast: personas.Cast,
) -> None:
    one = factories.submit_scrivi("Prima domanda")
    two = factories.submit_scrivi("Seconda domanda")

    assert one.identity.pk == two.identity.pk
    assert one.conversation.pk != two.conversation.pk
    assert one.ticket_id != two.ticket_id


def test_an_email_thread_is_one_conversation_whatever_the_delay(cast: personas.Cast) -> None:
    ticket = factories.open_case("Prima mail", sent_at=MORNING)
    answer = factories.citizen_answers(
        ticket, "Risposta dopo un mese", sent_at=MORNING + timedelta(days=30)
    )

    assert answer.ticket_id == ticket.pk
    assert answer.conversation.messages.count() == 2
    assert Conversation.objects.get(
        pk=answer.conversation.pk
    ).last_message_at == MORNING + timedelta(days=30)


def test_a_late_message_does_not_move_the_conversation_back(cast: personas.Cast) -> None:
    ticket = factories.open_case("Prima mail", sent_at=MORNING)
    factories.citizen_answers(ticket, "Seconda", sent_at=MORNING + timedelta(hours=2))
    late = factories.citizen_answers(
        ticket, "Scritta prima, arrivata dopo", sent_at=MORNING + timedelta(hours=1)
    )

    conversation = Conversation.objects.get(pk=late.conversation.pk)
    assert conversation.last_message_at == MORNING + timedelta(hours=2)
    texts = list(conversation.messages.values_list("text", flat=True))
    assert texts == ["Prima mail", "Scritta prima, arrivata dopo", "Seconda"]


def test_a_reply_that_cannot_leave_is_marked_failed_with_the_reason(
    cast: personas.Cast, django_capture_on_commit_callbacks, mailoutbox, monkeypatch
) -> None:
    monkeypatch.delenv("ASCOLTO_WHATSAPP_TOKEN", raising=False)  # the number has no token yet
    received = receive(_whatsapp("Serve aiuto", MORNING, open_case=True))
    ticket = Ticket.objects.get(pk=received.ticket_id)

    with time_machine.travel(MORNING + timedelta(minutes=5), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            reply = actions.reply_to_ticket(ticket, "Eccoci.", actor=cast.operator)

    stored = Message.objects.get(pk=reply.pk)
    assert (stored.status, stored.attempts) == (Message.Status.FAILED, 1)
    assert gettext("il token di accesso a Meta non è valido o è scaduto") in stored.last_error
    assert mailoutbox == []
