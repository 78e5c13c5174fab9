"""A citizen who writes through Scrivi is told at once that their request arrived, and its code."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.utils import timezone

from ascolto.channels.actions import receive
from ascolto.channels.models import Message
from ascolto.core.models import OutboxEvent
from ascolto.tickets import actions
from ascolto.tickets.models import RoutingRule, SlaPolicy, Ticket
from tests import factories, personas

pytestmark = pytest.mark.django_db


def test_a_scrivi_request_opens_a_case_and_the_citizen_gets_its_code_by_email(
    cast: personas.Cast, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    policy = SlaPolicy.objects.create(code="scrivi", name="Scrivi", resolution_days=30)
    RoutingRule.objects.create(name="SLA Scrivi", channel_kind="web", sla_policy=policy)

    with django_capture_on_commit_callbacks(execute=True):
        received = factories.submit_scrivi(
            "Vorrei sapere come iscrivere mio figlio al nido.", email="Maria.Rossi@example.it"
        )

    ticket = Ticket.objects.get(pk=received.ticket_id)
    assert ticket.channel == cast.scrivi
    assert ticket.status == Ticket.Status.NEW
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["maria.rossi@example.it"]
    assert email.subject == f"[{ticket.code}] Richiesta ricevuta"
    assert f"Il codice della pratica è {ticket.code}" in email.body
    assert f"http://127.0.0.1:8000/scrivi/pratica/{ticket.code}/" in email.body
    due = timezone.localtime(ticket.due_at)
    assert f"Riceverà una risposta entro il {due:%d/%m/%Y}." in email.body
    assert "Comune di Milano" in email.body
    ack = Message.objects.get(direction=Message.Direction.OUTBOUND)
    assert (ack.status, ack.author, ack.conversation_id) == (
        Message.Status.SENT,
        None,
        received.conversation.pk,
    )
    assert not OutboxEvent.objects.filter(processed_at__isnull=True).exists()
    # An acknowledgement is not an answer: the case still waits for its first response.
    assert ticket.first_response_at is None


def test_no_acknowledgement_without_an_sla_says_no_date(
    cast: personas.Cast, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        received = factories.submit_scrivi("Domanda senza scadenza.")

    ticket = Ticket.objects.get(pk=received.ticket_id)
    assert ticket.due_at is None
    assert len(mailoutbox) == 1
    assert "Riceverà una risposta entro" not in mailoutbox[0].body


def test_a_second_message_on_the_same_case_is_not_acknowledged_again(
    cast: personas.Cast, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        ticket = factories.open_case("Richiesta di buoni spesa.", email="luca@example.it")
        factories.citizen_answers(ticket, "Aggiungo l'ISEE.")

    assert [m.subject for m in mailoutbox] == [f"[{ticket.code}] Richiesta ricevuta"]


def test_phone_cases_are_not_acknowledged_by_email(
    cast: personas.Cast, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        received = receive(factories.phone_message("Chiamata sulla TARI", number="333 123 4567"))

    assert received.ticket_id is not None
    assert mailoutbox == []
    assert not Message.objects.filter(direction=Message.Direction.OUTBOUND).exists()
    assert OutboxEvent.objects.get(topic="ticket.opened").processed_at is not None


def test_the_acknowledgement_date_is_the_citys_date(
    cast: personas.Cast, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    policy = SlaPolicy.objects.create(code="scrivi", name="Scrivi", resolution_days=30)
    RoutingRule.objects.create(name="SLA Scrivi", channel_kind="web", sla_policy=policy)
    # Written at 23:30 in Milan on 10 March 2025 (22:30 UTC): due 30 days later, on 9 April.
    sent = datetime(2025, 3, 10, 22, 30, tzinfo=UTC)

    with django_capture_on_commit_callbacks(execute=True):
        received = factories.submit_scrivi("Richiesta serale.", sent_at=sent)

    ticket = Ticket.objects.get(pk=received.ticket_id)
    assert timezone.localtime(ticket.due_at).date() == date(2025, 4, 9)
    assert "Riceverà una risposta entro il 09/04/2025." in mailoutbox[0].body


def test_a_new_case_on_an_old_thread_is_acknowledged_with_its_own_code(
    cast: personas.Cast, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    """After a case is closed, the citizen writes again on the same email thread: that opens a
    new case, and the citizen must learn its code too."""
    with django_capture_on_commit_callbacks(execute=True):
        first = factories.open_case("Richiesta di buoni spesa.", email="luca@example.it")
    actions.resolve_ticket(first, "Domanda accolta.", actor=cast.operator)
    actions.close_ticket(first, actor=cast.operator)

    with django_capture_on_commit_callbacks(execute=True):
        again = factories.citizen_answers(first, "Ho un'altra domanda, sulla TARI.")

    second = Ticket.objects.get(pk=again.ticket_id)
    assert second.pk != first.pk
    assert [m.subject for m in mailoutbox] == [
        f"[{first.code}] Richiesta ricevuta",
        f"[{second.code}] Richiesta ricevuta",
    ]
    assert second.code in mailoutbox[1].body
