"""Keeping the database fit after a year of operation: tables that would grow forever are
pruned by `prune_tables` (nightly), and bulk loads refresh the planner's statistics.

Each app registers the pruners of its own tables in its `AppConfig.ready()` with
`register_pruner(name, pruner)`; core registers the outbox, the finished background tasks and the
expired sign-in sessions. A pruner deletes in batches, only rows whose work is done and older than
its retention setting, and never a row still waiting to be processed: a request a citizen sent is
never lost to pruning.

`analyze(*models)` runs `ANALYZE` on the tables a bulk load wrote (`generate_city`, the call-record
import, the questionnaire import): without statistics PostgreSQL plans a freshly loaded million
cases as an empty table (the "closed, all offices" inbox took 846 ms instead of 56 ms).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, models
from django.db.models import QuerySet
from django.utils import timezone

BATCH = 5_000


@dataclass(frozen=True)
class Pruner:
    """`prune(now, dry_run)` deletes (or, with `dry_run`, counts) the rows older than `days()`
    days whose work is done, and returns their number. `what` says so for the command's output."""

    name: str
    what: str
    days: Callable[[], int]
    prune: Callable[[datetime, bool], int]


_pruners: dict[str, Pruner] = {}


def register_pruner(pruner: Pruner) -> None:
    _pruners[pruner.name] = pruner


def pruners() -> list[Pruner]:
    return sorted(_pruners.values(), key=lambda p: p.name)


def prune_tables(
    *, now: datetime | None = None, dry_run: bool = False, only: Iterable[str] = ()
) -> dict[str, int]:
    """Run every registered pruner (or those named in `only`); returns the rows deleted (or that
    would be) per pruner."""
    now = now or timezone.now()
    wanted = set(only)
    unknown = wanted - set(_pruners)
    if unknown:
        raise ValueError(
            f"unknown pruner(s): {', '.join(sorted(unknown))}; known: {', '.join(sorted(_pruners))}"
        )
    return {p.name: p.prune(now, dry_run) for p in pruners() if not wanted or p.name in wanted}


def cutoff(now: datetime, days: int) -> datetime:
    if days < 1:
        raise ValueError("a retention is at least one day")
    return now - timedelta(days=days)


def delete_in_batches(rows: QuerySet[models.Model], *, dry_run: bool, batch: int = BATCH) -> int:
    """Delete `rows` by batches of primary keys (short transactions, no long lock on a busy
    table); with `dry_run` only count them."""
    if dry_run:
        return rows.count()
    deleted = 0
    model = rows.model
    while ids := list(rows.order_by("pk").values_list("pk", flat=True)[:batch]):
        deleted += model._default_manager.filter(pk__in=ids).delete()[0]
        if len(ids) < batch:
            break
    return deleted


def analyze(*tables: type[models.Model]) -> None:
    """Refresh the planner's statistics of these tables (after a bulk load)."""
    with connection.cursor() as cursor:
        for model in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


# --- core's own tables -------------------------------------------------------------------------


def _outbox(now: datetime, dry_run: bool) -> int:
    from ascolto.core.models import OutboxEvent

    # Processed events only: a pending one (or one that failed, kept for the administrator's
    # retry) is never deleted.
    old = OutboxEvent.objects.filter(
        processed_at__lt=cutoff(now, settings.ASCOLTO_RETENTION_OUTBOX_DAYS)
    )
    return delete_in_batches(old, dry_run=dry_run)


def _tasks(now: datetime, dry_run: bool) -> int:
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    old = DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED],
        finished_at__lt=cutoff(now, settings.ASCOLTO_RETENTION_TASKS_DAYS),
    )
    return delete_in_batches(old, dry_run=dry_run)


def _sessions(now: datetime, dry_run: bool) -> int:
    from django.contrib.sessions.models import Session

    # What `clearsessions` does for the database backend, counted; the sessions are the staff's
    # sign-ins (the citizens' pages keep none but the rate limit's browser cookie).
    return delete_in_batches(Session.objects.filter(expire_date__lt=now), dry_run=dry_run)


def register_core_pruners() -> None:
    register_pruner(
        Pruner(
            "outbox",
            "processed outbox events",
            lambda: int(settings.ASCOLTO_RETENTION_OUTBOX_DAYS),
            _outbox,
        )
    )
    register_pruner(
        Pruner(
            "tasks",
            "finished background tasks",
            lambda: int(settings.ASCOLTO_RETENTION_TASKS_DAYS),
            _tasks,
        )
    )
    register_pruner(Pruner("sessions", "expired sign-in sessions", lambda: 0, _sessions))
