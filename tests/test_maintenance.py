"""The nightly pruning of tables that would grow forever, and the statistics after bulk loads
(core/maintenance.py, `prune_tables`)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.test import override_settings
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from ascolto.channels.models import PendingInbound
from ascolto.core import maintenance
from ascolto.core.models import OutboxEvent
from tests.dbstats import has_statistics

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> None:
    """The charters' pruner reads the storage: a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path


NOW = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def queued(name: str, **fields: object) -> PendingInbound:
    return PendingInbound.objects.create(
        channel="web", external_id=name, payload={}, code=f"C-{name}", **fields
    )


def outbox_event(**fields: object) -> OutboxEvent:
    event = OutboxEvent.objects.create(topic="ticket.opened", payload={})
    OutboxEvent.objects.filter(pk=event.pk).update(**fields)
    return event


def task_result(status: str, finished_at: datetime | None) -> DBTaskResult:
    return DBTaskResult.objects.create(
        id=uuid.uuid4(),
        status=status,
        finished_at=finished_at,
        args_kwargs={"args": [], "kwargs": {}},
        task_path="ascolto.core.tasks.process_outbox_event",
        backend_name="default",
        run_after=ago(40),
        exception_class_path="",
        traceback="",
    )


def left(model: type, names: list[object]) -> set[object]:
    return set(
        model.objects.filter(pk__in=[getattr(n, "pk", n) for n in names]).values_list(
            "pk", flat=True
        )
    )


@override_settings(
    ASCOLTO_RETENTION_QUEUE_DAYS=30,
    ASCOLTO_RETENTION_OUTBOX_DAYS=30,
    ASCOLTO_RETENTION_TASKS_DAYS=14,
)
def test_only_old_rows_whose_work_is_done_are_deleted() -> None:
    taken_in_long_ago = queued("a", processed_at=ago(31))
    taken_in_lately = queued("b", processed_at=ago(29))
    handled_long_ago = queued("c", handled_at=ago(45))
    never_taken_in = queued("d", accepted_at=ago(200), attempts=40, last_error="db down")
    processed_old = outbox_event(processed_at=ago(31))
    processed_new = outbox_event(processed_at=ago(2))
    pending_old = outbox_event(created_at=ago(90))
    failed_old = outbox_event(created_at=ago(90), failed_at=ago(88), last_error="smtp")
    done_old = task_result(TaskResultStatus.SUCCESSFUL, ago(15))
    failed_task_old = task_result(TaskResultStatus.FAILED, ago(20))
    done_new = task_result(TaskResultStatus.SUCCESSFUL, ago(13))
    waiting = task_result(TaskResultStatus.READY, None)
    Session.objects.create(session_key="old", session_data="x", expire_date=ago(1))
    Session.objects.create(
        session_key="live", session_data="x", expire_date=NOW + timedelta(hours=1)
    )

    with time_machine.travel(NOW, tick=False):
        counts = maintenance.prune_tables()

    assert counts == {
        "charter_documents": 0,
        "idempotency_keys": 0,
        "intake_queue": 2,
        "outbox": 1,
        "sessions": 1,
        "tasks": 2,
        "webhook_calls": 0,
    }
    assert left(
        PendingInbound, [taken_in_long_ago, taken_in_lately, handled_long_ago, never_taken_in]
    ) == {
        taken_in_lately.pk,
        never_taken_in.pk,
    }
    assert left(OutboxEvent, [processed_old, processed_new, pending_old, failed_old]) == {
        processed_new.pk,
        pending_old.pk,
        failed_old.pk,
    }
    assert left(DBTaskResult, [done_old, failed_task_old, done_new, waiting]) == {
        done_new.pk,
        waiting.pk,
    }
    assert set(Session.objects.values_list("session_key", flat=True)) == {"live"}


@override_settings(ASCOLTO_RETENTION_QUEUE_DAYS=7)
def test_the_retention_is_a_setting() -> None:
    row = queued("a", processed_at=ago(8))
    with time_machine.travel(NOW, tick=False):
        assert maintenance.prune_tables(only=["intake_queue"]) == {"intake_queue": 1}
    assert not PendingInbound.objects.filter(pk=row.pk).exists()


def test_deletes_by_batches_until_none_is_left() -> None:
    for i in range(7):
        queued(f"r{i}", processed_at=ago(60))
    deleted = maintenance.delete_in_batches(PendingInbound.objects.all(), dry_run=False, batch=3)
    assert deleted == 7
    assert not PendingInbound.objects.exists()


def test_a_dry_run_counts_and_deletes_nothing() -> None:
    queued("a", processed_at=ago(60))
    outbox_event(processed_at=ago(60))
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("prune_tables", "--dry-run", stdout=out)
    assert (
        "intake_queue: would delete 1 row(s) (intake-queue rows taken in older than 30 days)"
        in out.getvalue()
    )
    assert "outbox: would delete 1 row(s)" in out.getvalue()
    assert PendingInbound.objects.count() == 1
    assert OutboxEvent.objects.count() == 1


def test_the_command_names_an_unknown_pruner() -> None:
    with pytest.raises(
        CommandError,
        match="unknown pruner.*nothing.*known: charter_documents, idempotency_keys, intake_queue",
    ):
        call_command("prune_tables", "--only", "nothing", stdout=StringIO())


def test_analyze_gives_the_planner_statistics_of_a_loaded_table() -> None:
    for i in range(50):
        queued(f"s{i}", processed_at=ago(1))
    maintenance.analyze(PendingInbound)
    assert has_statistics(PendingInbound._meta.db_table)
