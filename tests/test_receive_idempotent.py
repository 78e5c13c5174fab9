"""Intake is idempotent on (channel, external id): a webhook delivered twice changes nothing,
also when both deliveries arrive at the same moment."""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from django.db import connection

from ascolto.channels.actions import receive
from ascolto.channels.models import Conversation, Message
from ascolto.citizens.models import Identity
from ascolto.tickets.actions import resolve_ticket
from ascolto.tickets.models import Ticket
from tests import factories, personas
from tests.factories import counts


def test_same_message_twice_changes_nothing(cast: personas.Cast) -> None:
    inbound = factories.scrivi_message("Quando scade la seconda rata della TARI?")

    first = receive(inbound)
    after_first = counts()
    second = receive(inbound)

    assert first.duplicate is False
    assert second.duplicate is True
    assert second.message.pk == first.message.pk
    assert second.conversation.pk == first.conversation.pk
    assert second.identity.pk == first.identity.pk
    assert second.ticket_id == first.ticket_id is not None
    assert counts() == after_first
    assert Message.objects.filter(external_id=inbound.external_id).count() == 1
    assert Ticket.objects.count() == 1
    assert Conversation.objects.count() == 1


def test_duplicate_is_recognised_after_the_case_moved_on(cast: personas.Cast) -> None:
    """A late redelivery of the first message must not reopen or touch a resolved case."""
    inbound = factories.scrivi_message("Richiesta di rimborso TARI.")
    first = receive(inbound)
    ticket = Ticket.objects.get(pk=first.ticket_id)
    resolve_ticket(ticket, "Rimborso disposto.", actor=cast.operator)
    before = counts()

    again = receive(inbound)

    assert again.duplicate is True
    assert again.ticket_id == ticket.pk
    assert Ticket.objects.get(pk=ticket.pk).status == Ticket.Status.RESOLVED
    assert counts() == before


def test_external_id_is_unique_per_channel_not_globally(cast: personas.Cast) -> None:
    on_scrivi = receive(factories.scrivi_message("Prima richiesta", external_id="same-id"))
    by_email = receive(
        factories.email_message("Seconda richiesta", email="a@example.it", external_id="same-id")
    )

    assert on_scrivi.duplicate is False
    assert by_email.duplicate is False
    assert on_scrivi.message.pk != by_email.message.pk
    assert Message.objects.filter(external_id="same-id").count() == 2


def test_external_id_is_compared_without_surrounding_spaces(cast: personas.Cast) -> None:
    first = receive(factories.scrivi_message("Testo", external_id="abc-1"))
    second = receive(factories.scrivi_message("Testo", external_id="  abc-1 \n"))

    assert second.duplicate is True
    assert second.message.pk == first.message.pk


# --- Concurrent deliveries (PostgreSQL: real row locks and concurrent transactions) ----------


def _race(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in threads released at the same instant; return results (or exceptions)."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = calls[index]()
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a delivery never finished"
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, f"a concurrent delivery failed: {errors!r}"
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_deliveries_of_one_message_store_it_once() -> None:
    factories.ensure_taxonomy()
    personas.build_cast()
    for _round in range(5):  # a race is a matter of timing: give it several chances to bite
        inbound = factories.scrivi_message("Consegna doppia del webhook", email="doppio@example.it")
        first, second = _race([partial(receive, inbound), partial(receive, inbound)])

        assert first.message.pk == second.message.pk
        assert sorted([first.duplicate, second.duplicate]) == [False, True]
        assert first.ticket_id == second.ticket_id is not None
        assert Message.objects.filter(external_id=inbound.external_id).count() == 1
        assert (
            Ticket.objects.filter(conversations__messages__external_id=inbound.external_id).count()
            == 1
        )

    assert Ticket.objects.count() == 5
    assert Message.objects.filter(direction=Message.Direction.INBOUND).count() == 5
    assert Identity.objects.filter(value="doppio@example.it").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_first_messages_from_a_new_number_create_one_identity() -> None:
    factories.ensure_taxonomy()
    personas.build_cast()

    for n in range(5):
        number = f"+39 333 765 43{n:02d}"
        one = factories.phone_message("Chiamata sulla TARI", number=number)
        two = factories.phone_message("Chiamata sui nidi", number=number)
        first, second = _race([partial(receive, one), partial(receive, two)])

        assert first.duplicate is second.duplicate is False
        assert first.message.pk != second.message.pk
        assert first.identity.pk == second.identity.pk
        assert first.identity.value == f"+393337654{300 + n}"
        assert Identity.objects.filter(value=first.identity.value).count() == 1
        assert first.ticket_id != second.ticket_id

    assert Identity.objects.filter(kind=Identity.Kind.PHONE).count() == 5
    assert Message.objects.count() == 10
    assert Ticket.objects.count() == 10


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_messages_starting_the_same_thread_at_once_share_one_conversation() -> None:
    """Two emails of one new thread (the citizen wrote twice in a minute) arrive together: both
    are kept, in one conversation and one case; neither delivery fails."""
    factories.ensure_taxonomy()
    personas.build_cast()

    for n in range(5):
        thread = f"<thread-{n}@mail.example.it>"
        one = factories.email_message("Prima mail", email="filo@example.it", thread_id=thread)
        two = factories.email_message("Seconda mail", email="filo@example.it", thread_id=thread)
        first, second = _race([partial(receive, one), partial(receive, two)])

        assert first.duplicate is second.duplicate is False
        assert first.message.pk != second.message.pk
        assert first.conversation.pk == second.conversation.pk
        assert first.ticket_id == second.ticket_id is not None
        assert Conversation.objects.filter(external_thread_id=thread).count() == 1
        inbound = Message.objects.filter(direction=Message.Direction.INBOUND)
        assert inbound.filter(conversation__external_thread_id=thread).count() == 2

    assert Ticket.objects.count() == 5
