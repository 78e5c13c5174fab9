"""Whether this process may take traffic: the checks behind `/readyz` (`/healthz` only says
the process answers). Each check is cheap — an indexed query or less — since load balancers ask
every few seconds.

Core checks the database, the migrations, the outbox's lag and the task worker's (no task due
for longer than `ASCOLTO_READY_TASK_LAG` seconds: a worker that is down or behind shows there,
without a heartbeat row written every few seconds); apps add theirs with `register_check` in
their `AppConfig.ready()` (channels: the intake queue's lag).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Min
from django.utils import timezone


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str = ""


_checks: dict[str, Callable[[datetime], Check]] = {}
_migrated = False


def register_check(name: str, check: Callable[[datetime], Check]) -> None:
    _checks[name] = check


def readiness(now: datetime | None = None) -> dict[str, Check]:
    """Every check's result, the database first: if it is unreachable the rest is not asked."""
    now = now or timezone.now()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 — any failure to reach the database means not ready
        return {"database": Check(False, type(exc).__name__)}
    results = {"database": Check(True)}
    for name, check in _checks.items():
        try:
            results[name] = check(now)
        except Exception as exc:  # noqa: BLE001 — a failing check is a failed check, not a 500
            results[name] = Check(False, type(exc).__name__)
    return results


def lag_check(oldest: datetime | None, now: datetime, limit: int) -> Check:
    """Ready unless the oldest waiting item has waited more than `limit` seconds."""
    if oldest is None:
        return Check(True, "0 s")
    waited = max(0, int((now - oldest).total_seconds()))
    return Check(waited <= limit, f"{waited} s (limit {limit} s)")


def _migrations(now: datetime) -> Check:
    # Applied migrations never become unapplied while a process lives: asked until they are.
    global _migrated
    if not _migrated:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if plan:
            return Check(False, f"{len(plan)} migration(s) not applied")
        _migrated = True
    return Check(True)


def _outbox(now: datetime) -> Check:
    from ascolto.core.models import OutboxEvent

    # Events never tried: one waiting for its retry (a mail server down for hours) is the
    # outbox's retry rules at work, not this process's fault, and must not take it out of service.
    never_tried = OutboxEvent.objects.filter(processed_at__isnull=True, attempts=0)
    oldest = never_tried.aggregate(at=Min("created_at"))["at"]
    return lag_check(oldest, now, settings.ASCOLTO_READY_OUTBOX_LAG)


def _tasks(now: datetime) -> Check:
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult, get_date_max

    if not _uses_database_tasks():
        return Check(True, "tasks run in the web process")

    # A task is due from its `run_after`, or from when it was queued if it has none (the
    # backend stores "none" as the greatest date).
    ready = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    waiting = [
        ready.filter(run_after__lte=now).aggregate(at=Min("run_after"))["at"],
        ready.filter(run_after=get_date_max()).aggregate(at=Min("enqueued_at"))["at"],
    ]
    oldest = min((at for at in waiting if at is not None), default=None)
    return lag_check(oldest, now, settings.ASCOLTO_READY_TASK_LAG)


def register_core_checks() -> None:
    register_check("migrations", _migrations)
    register_check("outbox", _outbox)
    register_check("tasks", _tasks)


def _uses_database_tasks() -> bool:
    backend = settings.TASKS.get("default", {}).get("BACKEND", "")
    return str(backend).startswith("django_tasks_db")
