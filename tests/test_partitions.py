"""Call records, messages and case events are partitioned by the city's month on PostgreSQL
(decision 0033): a row lands in its month's partition, DEFAULT catches a month not made yet and
`ensure_partitions` moves it out, the unique keys that moved to key tables still hold, case
events stay append-only on every partition, and a report over a month reads that month only."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from ascolto.analytics.summaries import _call_rows
from ascolto.channels.models import Message
from ascolto.contactcenter.actions import record_call
from ascolto.contactcenter.models import CallRecord
from ascolto.core import partitions
from ascolto.core.appendonly import escape
from ascolto.open311.queries import updates
from ascolto.tickets.models import Ticket, TicketEvent
from tests import factories, personas

pytestmark = pytest.mark.django_db

ROME = ZoneInfo("Europe/Rome")


def at(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ROME)


def where(table: str, pk: int) -> str:
    """The partition holding row `pk` of `table`."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return str(cursor.fetchone()[0])


def call(external_id: str, arrived: datetime) -> CallRecord:
    return record_call(external_id=external_id, queue="tributi", arrived_at=arrived, wait_seconds=5)


def scanned(plan: str, table: str) -> set[str]:
    """The partitions of `table` a plan reads."""
    return {name for name in re.findall(r" on (\w+)", plan) if name.startswith(f"{table}_")}


@pytest.mark.postgres
def test_the_three_tables_are_partitioned_with_a_default() -> None:
    with connection.cursor() as cursor:
        for spec in partitions.TABLES:
            assert partitions.is_partitioned(cursor, spec.table)
            assert partitions.default_name(spec.table) in partitions.partitions(cursor, spec.table)


@pytest.mark.postgres
def test_a_call_lands_in_its_citys_month() -> None:
    partitions.ensure_partitions(1, today=date(2030, 5, 10))
    # 23:30 in Rome on 31 May is 21:30 UTC: May's, not June's, whatever UTC says.
    last_of_may = call("may", at(2030, 5, 31, 23, 30))
    first_of_june = call("june", at(2030, 6, 1, 0, 30))
    assert where("contactcenter_callrecord", last_of_may.pk) == "contactcenter_callrecord_p2030_05"
    assert where("contactcenter_callrecord", first_of_june.pk) == (
        "contactcenter_callrecord_p2030_06"
    )


@pytest.mark.postgres
def test_default_catches_a_month_not_made_and_the_command_moves_it(
    cast: personas.Cast,
) -> None:
    far = call("far-1", at(2035, 3, 14))
    ticket = factories.ticket_in(Ticket.Status.OPEN, actor=cast.operator, office=cast.tari)
    event = TicketEvent.objects.create(ticket=ticket, kind=TicketEvent.Kind.NOTE, at=at(2035, 3, 2))
    assert where("contactcenter_callrecord", far.pk) == "contactcenter_callrecord_default"
    assert where("tickets_ticketevent", event.pk) == "tickets_ticketevent_default"

    out = StringIO()
    call_command("ensure_partitions", "--ahead", "0", stdout=out)
    assert "contactcenter_callrecord_p2035_03" in out.getvalue()
    assert "1 row(s) moved out of DEFAULT, 0 left" in out.getvalue()
    assert where("contactcenter_callrecord", far.pk) == "contactcenter_callrecord_p2035_03"
    assert where("tickets_ticketevent", event.pk) == "tickets_ticketevent_p2035_03"
    assert CallRecord.objects.get(pk=far.pk).external_id == "far-1"
    # The moved call kept its key: the same call id is refused still.
    with pytest.raises(IntegrityError), transaction.atomic():
        CallRecord.objects.create(
            external_id="far-1",
            queue="tributi",
            arrived_at=at(2035, 4, 1),
            ended_at=at(2035, 4, 1),
            wait_seconds=0,
        )
    # A second run finds nothing to do.
    again = StringIO()
    call_command("ensure_partitions", "--ahead", "0", stdout=again)
    assert "partitions created: none" in again.getvalue()


@pytest.mark.postgres
def test_a_call_id_and_a_conversation_stay_unique_across_months(cast: personas.Cast) -> None:
    first = call("same-id", at(2026, 1, 10))
    assert call("same-id", at(2026, 1, 10)).pk == first.pk  # record_call is idempotent
    with pytest.raises(IntegrityError), transaction.atomic():
        CallRecord.objects.create(
            external_id="same-id",
            queue="tributi",
            arrived_at=at(2029, 7, 1),  # another partition
            ended_at=at(2029, 7, 1),
            wait_seconds=0,
        )
    conversation = factories.submit_scrivi().conversation
    CallRecord.objects.filter(pk=first.pk).update(conversation=conversation)
    other = call("other-id", at(2027, 2, 2))
    with pytest.raises(IntegrityError), transaction.atomic():
        CallRecord.objects.filter(pk=other.pk).update(conversation=conversation)
    # A deleted call frees its id.
    CallRecord.objects.filter(pk=first.pk).delete()
    assert call("same-id", at(2028, 3, 3)).pk != first.pk


@pytest.mark.postgres
def test_a_message_stays_unique_on_its_channel_across_months(cast: personas.Cast) -> None:
    received = factories.submit_scrivi(external_id="web-1", sent_at=at(2026, 11, 5))
    assert factories.submit_scrivi(external_id="web-1", sent_at=at(2026, 11, 5)).duplicate
    message = received.message
    copy = {
        f.attname: getattr(message, f.attname)
        for f in Message._meta.concrete_fields
        if f.attname != "id"
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(**{**copy, "sent_at": at(2031, 1, 1)})
    # Moving a message to another month (a cross-partition update) keeps its one key.
    Message.objects.filter(pk=message.pk).update(sent_at=at(2031, 2, 2))
    with pytest.raises(IntegrityError), transaction.atomic():
        Message.objects.create(**copy)
    # Messages without an id on the channel (replies, notes) are not keyed.
    for _ in range(2):
        Message.objects.create(**{**copy, "external_id": ""})
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM channels_message_key WHERE row_id = %s", [message.pk])
        assert cursor.fetchone()[0] == 1


@pytest.mark.postgres
def test_case_events_are_append_only_on_every_partition(cast: personas.Cast) -> None:
    ticket = factories.ticket_in(Ticket.Status.OPEN, actor=cast.operator, office=cast.tari)
    event = ticket.events.first()
    assert event is not None
    partition = where("tickets_ticketevent", event.pk)
    assert partition != "tickets_ticketevent"
    for sql in (
        f"UPDATE {partition} SET to_value = 'closed' WHERE ticket_id = %s",  # noqa: S608
        f"DELETE FROM {partition} WHERE ticket_id = %s",  # noqa: S608
        "UPDATE tickets_ticketevent SET to_value = 'closed' WHERE ticket_id = %s",
        "DELETE FROM tickets_ticketevent WHERE ticket_id = %s",
        "DELETE FROM tickets_ticketevent_default WHERE ticket_id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, [ticket.pk])
    # The erasure escape still deletes a case with its events through the partitioned table.
    with transaction.atomic(), escape("erase_cases"):
        ticket.delete()
    assert not TicketEvent.objects.filter(ticket_id=ticket.pk).exists()


def plan(sql: str, params: Any = ()) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.postgres
def test_the_call_report_of_a_month_reads_that_month_only() -> None:
    partitions.ensure_partitions(5, today=date(2030, 1, 1))
    for month in (1, 2, 3, 4):
        call(f"m{month}", at(2030, month, 15))
    since, until = at(2030, 3, 1, 0), at(2030, 4, 1, 0)
    rows = _call_rows(Q(arrived_at__gte=since, arrived_at__lt=until))  # the summaries' CallDay
    assert len(list(rows)) == 1  # one day, one queue
    assert scanned(rows.explain(), "contactcenter_callrecord") == {
        "contactcenter_callrecord_p2030_03"
    }
    two = _call_rows(Q(arrived_at__gte=at(2030, 2, 1, 0), arrived_at__lt=until))
    assert scanned(two.explain(), "contactcenter_callrecord") == {
        "contactcenter_callrecord_p2030_02",
        "contactcenter_callrecord_p2030_03",
    }


@pytest.mark.postgres
def test_the_status_updates_of_a_month_read_that_month_only(cast: personas.Cast) -> None:
    # Open311's updates (FixMyStreet's extension) read the case events of a period.
    partitions.ensure_partitions(3, today=date(2030, 1, 1))
    with CaptureQueriesContext(connection) as queries:
        updates(at(2030, 2, 1, 0), at(2030, 3, 1, 0) - timedelta(microseconds=1))
    sql = next(q["sql"] for q in queries.captured_queries if "tickets_ticketevent" in q["sql"])
    assert scanned(plan(sql), "tickets_ticketevent") == {"tickets_ticketevent_p2030_02"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_the_rows_and_ids_both_ways() -> None:
    from django.db.migrations.executor import MigrationExecutor

    def migrate(target: tuple[str, str]) -> None:
        executor = MigrationExecutor(connection)
        executor.migrate([target])

    before = [call(f"keep-{i}", at(2025 + i, 3, 1)) for i in range(3)]  # 2025: before the rest
    ids = {c.external_id: c.pk for c in before}
    migrate(("contactcenter", "0007_call_import_indexes"))
    with connection.cursor() as cursor:
        assert not partitions.is_partitioned(cursor, "contactcenter_callrecord")
        assert not partitions.partitions(cursor, "contactcenter_callrecord")
    assert dict(CallRecord.objects.values_list("external_id", "pk")) == ids
    with pytest.raises(IntegrityError), transaction.atomic():  # the unique constraint is back
        CallRecord.objects.create(
            external_id="keep-0",
            queue="q",
            arrived_at=at(2026, 1, 1),
            ended_at=at(2026, 1, 1),
            wait_seconds=0,
        )
    middle = call("added-unpartitioned", at(2026, 6, 6))
    assert middle.pk > max(ids.values())  # the sequence went on
    ids[middle.external_id] = middle.pk

    migrate(("contactcenter", "0008_call_monthly_partitions"))
    with connection.cursor() as cursor:
        assert partitions.is_partitioned(cursor, "contactcenter_callrecord")
        cursor.execute("SELECT external_id, row_id FROM contactcenter_callrecord_key")
        assert dict(cursor.fetchall()) == ids
    assert dict(CallRecord.objects.values_list("external_id", "pk")) == ids
    assert where("contactcenter_callrecord", ids["keep-0"]) == "contactcenter_callrecord_p2025_03"
    after = call("added-partitioned", at(2026, 6, 7))
    assert after.pk > middle.pk
    with pytest.raises(IntegrityError), transaction.atomic():
        CallRecord.objects.create(
            external_id="keep-1",
            queue="q",
            arrived_at=at(2026, 1, 1),
            ended_at=at(2026, 1, 1),
            wait_seconds=0,
        )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_events_and_messages_migrate_back_and_forward_whole(taxonomy: None) -> None:
    from django.db.migrations.executor import MigrationExecutor

    cast = personas.build_cast()
    ticket = factories.ticket_in(Ticket.Status.OPEN, actor=cast.operator, office=cast.tari)
    factories.submit_scrivi(external_id="web-kept")
    events = list(TicketEvent.objects.order_by("pk").values_list("pk", "kind", "at"))
    messages = list(Message.objects.order_by("pk").values_list("pk", "external_id", "sent_at"))
    targets = {
        "back": [
            ("tickets", "0009_inbox_indexes_reviewed"),
            ("channels", "0007_message_system"),
        ],
        "forward": [
            ("tickets", "0010_event_monthly_partitions"),
            ("channels", "0008_message_monthly_partitions"),
        ],
    }
    for direction, partitioned in (("back", False), ("forward", True)):
        MigrationExecutor(connection).migrate(targets[direction])
        with connection.cursor() as cursor:
            assert partitions.is_partitioned(cursor, "tickets_ticketevent") is partitioned
            assert partitions.is_partitioned(cursor, "channels_message") is partitioned
        assert list(TicketEvent.objects.order_by("pk").values_list("pk", "kind", "at")) == events
        assert (
            list(Message.objects.order_by("pk").values_list("pk", "external_id", "sent_at"))
            == messages
        )
        with pytest.raises(DatabaseError, match="append-only"):  # either way
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("DELETE FROM tickets_ticketevent WHERE ticket_id = %s", [ticket.pk])
        assert factories.submit_scrivi(external_id="web-kept").duplicate


def test_on_sqlite_the_command_does_nothing() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite has no partitions")
    out = StringIO()
    call_command("ensure_partitions", stdout=out)
    assert partitions.ensure_partitions() == []
    assert "nothing to do" in out.getvalue()
