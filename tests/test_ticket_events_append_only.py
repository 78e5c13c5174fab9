"""A case's events are append-only on every path: the queryset refuses update() and delete(),
deleting a case does not take its events with it (the cascade is refused), and on PostgreSQL a
trigger refuses UPDATE and DELETE sent as raw SQL. Only the demo's wipe of every case, under its
named escape, deletes events (with their cases)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from ascolto.core.appendonly import AppendOnlyError, escape
from ascolto.tickets.models import Ticket, TicketEvent
from tests import factories, personas

pytestmark = pytest.mark.django_db

S = Ticket.Status


def test_the_queryset_refuses_to_update_events(cast: personas.Cast) -> None:
    ticket = factories.ticket_in(S.OPEN, actor=cast.operator, office=cast.tari)
    events = ticket.events.all()
    with pytest.raises(AppendOnlyError):
        events.update(to_value="closed")
    with pytest.raises(AppendOnlyError):
        TicketEvent.objects.filter(ticket=ticket).update(actor=None)
    assert "closed" not in set(ticket.events.values_list("to_value", flat=True))


def test_the_queryset_refuses_to_delete_events(cast: personas.Cast) -> None:
    ticket = factories.ticket_in(S.OPEN, actor=cast.operator, office=cast.tari)
    before = ticket.events.count()
    with pytest.raises(AppendOnlyError):
        ticket.events.all().delete()
    with pytest.raises(AppendOnlyError):
        TicketEvent.objects.all().delete()
    assert ticket.events.count() == before


def test_deleting_a_case_does_not_cascade_into_its_events(cast: personas.Cast) -> None:
    ticket = factories.ticket_in(S.OPEN, actor=cast.operator, office=cast.tari)
    before = TicketEvent.objects.count()
    # The deletion runs in a transaction of its own (Django's collector): refused, it leaves
    # the transaction to be rolled back, as a request's would be; a savepoint here.
    with pytest.raises(AppendOnlyError), transaction.atomic():
        ticket.delete()
    assert Ticket.objects.filter(pk=ticket.pk).exists()
    assert TicketEvent.objects.count() == before


def test_a_case_and_its_events_go_together_under_the_named_escape(cast: personas.Cast) -> None:
    ticket = factories.ticket_in(S.OPEN, actor=cast.operator, office=cast.tari)
    with transaction.atomic(), escape("erase_cases"):
        ticket.delete()
    assert not Ticket.objects.filter(pk=ticket.pk).exists()
    assert not TicketEvent.objects.filter(ticket_id=ticket.pk).exists()


@pytest.mark.postgres
def test_postgresql_refuses_raw_update_and_delete_of_events(cast: personas.Cast) -> None:
    ticket = factories.ticket_in(S.OPEN, actor=cast.operator, office=cast.tari)
    for sql in (
        "UPDATE tickets_ticketevent SET to_value = 'closed' WHERE ticket_id = %s",
        "DELETE FROM tickets_ticketevent WHERE ticket_id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [ticket.pk])
    assert "closed" not in set(ticket.events.values_list("to_value", flat=True))


@pytest.mark.postgres
def test_postgresql_refuses_the_access_logs_escape_on_events(cast: personas.Cast) -> None:
    ticket = factories.ticket_in(S.OPEN, actor=cast.operator, office=cast.tari)
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL ascolto.prune = 'on'")
            cursor.execute("DELETE FROM tickets_ticketevent WHERE ticket_id = %s", [ticket.pk])
    assert ticket.events.exists()
