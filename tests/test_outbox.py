"""No follow-up work is lost: an event committed with its change is processed sooner or later,
exactly once in effect, even when the enqueue never happened or a handler failed."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from ascolto.channels.models import Message
from ascolto.core import outbox
from ascolto.core.models import OutboxEvent
from ascolto.tickets import actions
from ascolto.tickets.models import Ticket
from tests import factories, personas

pytestmark = pytest.mark.django_db
NOW = timedelta(0)
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DUMMY_TASKS = {
    "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}
}


def _pending(topic: str | None = None) -> list[OutboxEvent]:
    events = OutboxEvent.objects.filter(processed_at__isnull=True).order_by("pk")
    return list(events.filter(topic=topic) if topic else events)


def _closed_port() -> int:
    """A local port nothing listens on: connecting to it is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_event_whose_enqueue_never_happened_is_processed_by_the_relay(
    cast: personas.Cast, settings, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    settings.TASKS = DUMMY_TASKS  # the enqueue goes nowhere, as if the process died after commit

    with django_capture_on_commit_callbacks(execute=True):
        received = factories.submit_scrivi("Richiesta arrivata prima del crash.")

    ticket = Ticket.objects.get(pk=received.ticket_id)
    [opened] = _pending()
    assert (opened.topic, opened.payload, opened.attempts) == (
        "ticket.opened",
        {"ticket_id": ticket.pk},
        0,
    )
    assert mailoutbox == []
    # The relay leaves alone what the task may still be about to process.
    assert outbox.relay_pending() == 0

    assert outbox.relay_pending(older_than=NOW) == 1

    opened.refresh_from_db()
    assert opened.processed_at is not None and opened.attempts == 1
    ack = Message.objects.get(direction=Message.Direction.OUTBOUND)
    assert ack.status == Message.Status.QUEUED
    [outbound] = _pending()
    assert (outbound.topic, outbound.payload) == ("message.outbound", {"message_id": ack.pk})
    assert mailoutbox == []

    assert outbox.relay_pending(older_than=NOW) == 1

    assert Message.objects.get(pk=ack.pk).status == Message.Status.SENT
    assert [m.subject for m in mailoutbox] == [f"[{ticket.code}] Richiesta ricevuta"]
    assert _pending() == []
    assert outbox.relay_pending(older_than=NOW) == 0
    assert len(mailoutbox) == 1


def test_an_event_row_left_behind_by_a_crash_is_processed(cast: personas.Cast, mailoutbox) -> None:
    received = factories.submit_scrivi("Richiesta.")  # its on-commit work never runs here
    ticket = Ticket.objects.get(pk=received.ticket_id)
    OutboxEvent.objects.filter(topic="ticket.opened").delete()
    lost = OutboxEvent.objects.create(topic="ticket.opened", payload={"ticket_id": ticket.pk})

    out = StringIO()
    call_command("relay_outbox", "--older-than", "0", stdout=out)

    assert out.getvalue() == "1 pending event(s) processed\n"
    lost.refresh_from_db()
    assert lost.processed_at is not None
    assert Message.objects.filter(direction=Message.Direction.OUTBOUND).count() == 1


def test_a_failing_handler_leaves_the_event_pending_and_a_later_relay_delivers(
    cast: personas.Cast, settings, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    clock = time_machine.travel(T0, tick=False)
    traveller = clock.start()
    with django_capture_on_commit_callbacks(execute=True):
        ticket = factories.open_case("Quando arriva il rimborso?")
    assert len(mailoutbox) == 1  # the acknowledgement
    mailoutbox.clear()
    # The mail server goes down: connections are refused.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _closed_port()

    with django_capture_on_commit_callbacks(execute=True):
        reply = actions.reply_to_ticket(ticket, "Entro trenta giorni.", actor=cast.operator)

    [event] = _pending("message.outbound")
    assert event.payload == {"message_id": reply.pk}
    assert event.attempts == 1
    # In the active language (the Italian source unless an earlier test left another active).
    assert event.last_error == "DomainError: " + gettext(
        "Il messaggio %(id)s non è stato inviato; verrà ritentato."
    ) % {"id": reply.pk}
    assert Message.objects.get(pk=reply.pk).status == Message.Status.QUEUED

    assert outbox.relay_pending(older_than=NOW) == 0  # not due yet: it waits
    event.refresh_from_db()
    assert event.attempts == 1
    traveller.move_to(event.next_attempt_at)
    assert outbox.relay_pending(older_than=NOW) == 0  # still down
    event.refresh_from_db()
    assert event.attempts == 2 and event.processed_at is None

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # back up
    traveller.move_to(event.next_attempt_at)
    assert outbox.relay_pending(older_than=NOW) == 1
    clock.stop()

    event.refresh_from_db()
    assert (event.attempts, event.last_error) == (3, "")
    assert event.processed_at is not None
    sent = Message.objects.get(pk=reply.pk)
    assert sent.status == Message.Status.SENT
    assert [m.body for m in mailoutbox] == ["Entro trenta giorni."]
    assert outbox.relay_pending(older_than=NOW) == 0
    assert len(mailoutbox) == 1


def test_the_relay_gives_up_on_an_event_once_its_retry_window_is_over(
    cast: personas.Cast,
) -> None:
    def broken(event: OutboxEvent) -> None:
        raise RuntimeError("handler down")

    outbox.register("test.broken", broken)
    with time_machine.travel(T0, tick=False) as clock:
        with transaction.atomic():
            event = outbox.publish("test.broken")
        assert outbox.process_event(event.pk) is False
        clock.shift(outbox.RETRY_FOR)
        assert outbox.relay_pending(older_than=NOW) == 0  # the last try, and it failed too

        event.refresh_from_db()
        assert event.processed_at is None and event.failed_at == timezone.now()
        assert event.last_error == "RuntimeError: handler down"
        clock.shift(timedelta(days=1))
        attempts = event.attempts
        assert outbox.relay_pending(older_than=NOW) == 0
        event.refresh_from_db()
        assert event.attempts == attempts  # no longer tried


def test_processing_an_event_twice_does_not_acknowledge_twice(
    cast: personas.Cast, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        received = factories.submit_scrivi("Richiesta.")
    assert len(mailoutbox) == 1
    opened = OutboxEvent.objects.get(topic="ticket.opened")
    outbound = OutboxEvent.objects.get(topic="message.outbound")
    assert opened.processed_at is not None and outbound.processed_at is not None

    # A processed event is skipped...
    assert outbox.process_event(opened.pk) is False
    # ...and one handled again (a worker died after its handlers ran) sends nothing new.
    OutboxEvent.objects.filter(pk__in=[opened.pk, outbound.pk]).update(processed_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox.process_event(opened.pk) is True
        assert outbox.process_event(outbound.pk) is True

    assert len(mailoutbox) == 1
    assert (
        Message.objects.filter(
            conversation=received.conversation, direction=Message.Direction.OUTBOUND
        ).count()
        == 1
    )
    assert _pending() == []


def test_an_event_of_a_rolled_back_change_never_exists(cast: personas.Cast) -> None:
    before = OutboxEvent.objects.count()

    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.publish("ticket.opened", ticket_id=1)
        raise RuntimeError("the change failed")

    assert OutboxEvent.objects.count() == before


def test_a_topic_without_handlers_is_simply_marked_processed(cast: personas.Cast) -> None:
    with transaction.atomic():
        event = outbox.publish("nobody.listens", thing_id=7)

    assert outbox.process_event(event.pk) is True
    event.refresh_from_db()
    assert (event.attempts, event.last_error) == (1, "")
    assert event.processed_at is not None


def _mail_server_down(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _closed_port()


def _relay_every_minute_for(clock: Any, span: timedelta) -> None:
    """What the scheduler does: `relay_outbox` once a minute."""
    end = timezone.now() + span
    while timezone.now() < end:
        clock.shift(timedelta(minutes=1))
        outbox.relay_pending()


def test_a_reply_made_during_a_two_hour_mail_outage_is_delivered_once_the_server_is_back(
    cast: personas.Cast, settings, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            ticket = factories.open_case("Quando arriva il rimborso?")
        mailoutbox.clear()
        _mail_server_down(settings)
        with django_capture_on_commit_callbacks(execute=True):
            reply = actions.reply_to_ticket(ticket, "Entro trenta giorni.", actor=cast.operator)
        [event] = _pending("message.outbound")
        # The next try waits about a minute, not the next relay: the waits double.
        assert event.next_attempt_at is not None
        assert timedelta(seconds=45) <= event.next_attempt_at - T0 <= timedelta(seconds=75)

        _relay_every_minute_for(clock, timedelta(hours=2))

        event.refresh_from_db()
        assert Message.objects.get(pk=reply.pk).status == Message.Status.QUEUED
        assert 5 <= event.attempts <= 10  # backed off: not 120 tries in 120 minutes
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # back up
        _relay_every_minute_for(clock, timedelta(hours=2))

    assert Message.objects.get(pk=reply.pk).status == Message.Status.SENT
    assert [m.body for m in mailoutbox] == ["Entro trenta giorni."]


def test_a_reply_still_undeliverable_after_48_hours_is_marked_failed_with_its_reason(
    cast: personas.Cast, settings, django_capture_on_commit_callbacks, mailoutbox
) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            ticket = factories.open_case("Quando arriva il rimborso?")
        _mail_server_down(settings)
        with django_capture_on_commit_callbacks(execute=True):
            reply = actions.reply_to_ticket(ticket, "Entro trenta giorni.", actor=cast.operator)
        [event] = _pending("message.outbound")

        _relay_every_minute_for(clock, outbox.RETRY_FOR - timedelta(minutes=2))
        assert Message.objects.get(pk=reply.pk).status == Message.Status.QUEUED

        _relay_every_minute_for(clock, timedelta(minutes=3))

        stored = Message.objects.get(pk=reply.pk)
        assert stored.status == Message.Status.FAILED
        assert stored.last_error.startswith("ConnectionRefusedError")
        event.refresh_from_db()
        assert event.processed_at is not None  # handled: the message carries the failure
        assert 10 <= stored.attempts <= 30
        assert _pending("message.outbound") == []
