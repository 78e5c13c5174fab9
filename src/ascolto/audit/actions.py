"""The access log's writes: a read recorded, the records past their retention pruned.

A record is one INSERT with no read before it: the views that show personal data call
`record_access` once per request, with every citizen the page showed in one record (a list of
fifty cases is one row, not fifty). The reader's details come from `audit.readers.Reader`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ascolto.audit.models import AccessRecord
from ascolto.audit.readers import Reader
from ascolto.core.appendonly import escape

Purpose = AccessRecord.Purpose
MAX_IDS = 500  # objects or citizens named by one record: a page never shows more


def _ids(values: Iterable[object]) -> list[object]:
    """Distinct ids in their order, None left out, at most `MAX_IDS`."""
    seen: dict[object, None] = {}
    for value in values:
        if value is not None and value not in seen:
            seen[value] = None
            if len(seen) >= MAX_IDS:
                break
    return list(seen)


def record_access(
    reader: Reader,
    purpose: str,
    kind: str,
    *,
    objects: Iterable[object] = (),
    citizens: Iterable[int | None] = (),
    shown: str = "",
    at: datetime | None = None,
) -> AccessRecord:
    """Record that `reader` was shown personal data on the screen `purpose`: the objects of
    `kind` (case codes, citizen ids, a file's name), the citizens whose data it was, and in a
    few words what was shown (`shown`: fields, or what was searched for; never the data)."""
    record = AccessRecord(
        at=at or timezone.now(),
        user_id=reader.user_id,
        username=reader.username[:150],
        purpose=purpose,
        kind=kind[:30],
        object_ids=_ids(objects),
        citizen_ids=_ids(citizens),
        shown=shown[:200],
        ip=reader.ip or None,
        agent=reader.agent[:120],
    )
    # One INSERT in the request's own autocommit: save() opens no transaction there (bulk_create
    # would wrap it in BEGIN … COMMIT: two more round trips on PostgreSQL, and on the tests'
    # in-memory SQLite, whose one connection the live server's threads share, a second BEGIN).
    record.save(force_insert=True)
    return record


@dataclass(frozen=True)
class Pruned:
    """What a prune deleted (or, dry, would delete): records older than `before`."""

    before: datetime
    count: int
    oldest: datetime | None
    dry_run: bool


def retention_days() -> int:
    return int(getattr(settings, "ASCOLTO_ACCESS_LOG_DAYS", 730))


def prune_access_log(
    *, days: int | None = None, now: datetime | None = None, dry_run: bool = False
) -> Pruned:
    """Delete the records older than the retention period (`ASCOLTO_ACCESS_LOG_DAYS`, or
    `days`): the one deletion the log allows, under the escape `prune` (the PostgreSQL trigger
    lets this transaction's DELETE through; nothing else may)."""
    days = retention_days() if days is None else days
    if days < 1:
        raise ValueError("the access log's retention is at least one day")
    before = (now or timezone.now()) - timedelta(days=days)
    old = AccessRecord.objects.filter(at__lt=before)
    with transaction.atomic():
        count = old.count()
        oldest = old.order_by("at").values_list("at", flat=True).first()
        if not dry_run and count:
            with escape("prune"):
                old.delete()
    return Pruned(before=before, count=count, oldest=oldest, dry_run=dry_run)
