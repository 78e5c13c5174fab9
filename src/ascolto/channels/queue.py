"""The intake queue: accept a message with one insert now, take it in with a batch later.

`accept(inbound, code)` is what a public form calls while the citizen waits: one INSERT of the
serialised message and its pre-assigned tracking code, one commit, and a debounced `drain_inbound`
task after commit. `drain(limit)` hands the oldest pending rows to `intake.receive_many` in one
batch and marks them processed in the same transaction, so a row is processed exactly when its
case exists; a crash anywhere before that commit leaves it pending for the next drain (the task,
`python -m ascolto drain_inbound`, or the scheduler). Intake is idempotent on
`(channel, external_id)`, so draining twice creates one case. See
docs/decisions/0007-intake-queue.md.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from ascolto.channels import intake
from ascolto.channels.inbound import InboundMessage, from_json, to_json, without_nul
from ascolto.channels.models import Channel, PendingInbound
from ascolto.core.errors import DomainError, InvalidInput, NotFound

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 10  # a row failing this often is left for an administrator (admin, last_error)
DEBOUNCE_KEY = "ascolto:drain-inbound-enqueued"
DEBOUNCE_SECONDS = 1


@dataclass(frozen=True)
class Drained:
    """What one drain did: rows taken in, rows that failed (left pending with their error)."""

    processed: int
    failed: int


def accept(inbound: InboundMessage, code: str, channel: Channel | None = None) -> PendingInbound:
    """Queue `inbound` for intake under the tracking code `code` (one insert, one commit).

    The message is first checked as intake will check it (`intake.check`), so an accepted
    message is not refused at the drain. `channel` is the message's channel when the caller
    already holds it (the public form keeps it in memory); otherwise it is read.
    Raises `DomainError` for an invalid message, `InvalidInput` when the same message (channel,
    external id) or code was already accepted. The case is created by the next drain, with `code`.
    """
    if channel is None:
        channel = Channel.objects.filter(code=inbound.channel).first()
        if channel is None:
            raise NotFound(f"Unknown channel '{inbound.channel}'.", field="channel")
    intake.check(inbound, channel)
    if inbound.hints.code != code:
        inbound = dataclasses.replace(inbound, hints=dataclasses.replace(inbound.hints, code=code))
    row = PendingInbound(
        channel=inbound.channel,
        external_id=inbound.external_id,
        payload=to_json(without_nul(inbound)),
        code=code,
    )
    try:
        with transaction.atomic():
            row.save(force_insert=True)
            transaction.on_commit(schedule_drain)
    except IntegrityError as exc:
        raise InvalidInput("This message was already accepted.", field="external_id") from exc
    return row


_last_scheduled = 0.0


def schedule_drain() -> None:
    """Enqueue `drain_inbound` at most once a second (shared cache): the task runs one second
    later, so it takes every row committed meanwhile in one batch. A backend that cannot defer
    (the immediate backend of the demo and tests) drains at once, every time."""
    global _last_scheduled
    from ascolto.channels.tasks import drain_inbound

    try:
        if not drain_inbound.get_backend().supports_defer:
            drain_inbound.enqueue()
            return
        now = time.monotonic()
        if now - _last_scheduled < DEBOUNCE_SECONDS:
            return  # this process scheduled one a moment ago: no need to ask the cache
        if cache.add(DEBOUNCE_KEY, 1, timeout=DEBOUNCE_SECONDS):
            _last_scheduled = now
            run_after = timezone.now() + timedelta(seconds=DEBOUNCE_SECONDS)
            drain_inbound.using(run_after=run_after).enqueue()
    except Exception:
        # The row is committed: the scheduled `drain_inbound` command takes it. Never fail the
        # citizen's request here.
        logger.exception("intake queue: could not schedule a drain")


def pending() -> int:
    return PendingInbound.objects.filter(processed_at__isnull=True).count()


def drain(limit: int = 500) -> Drained:
    """Take in up to `limit` pending messages in one batch; return what was done.

    When the batch as a whole fails (a bug, the database refusing), it rolls back and each row
    is tried alone, so one poisonous message cannot hold the others back; a row that still fails
    keeps its error and is tried again by later drains, up to MAX_ATTEMPTS.
    """
    try:
        return _drain_batch(limit)
    except Exception as exc:
        logger.exception("intake queue: batch drain failed; trying rows one by one")
        return _drain_one_by_one(limit, exc)


def drain_all(limit: int = 500) -> int:
    """Drain until nothing is pending (or only failing rows are); return rows processed."""
    total = 0
    while True:
        done = drain(limit)
        total += done.processed
        if done.processed == 0:
            return total


def _locked_pending(limit: int) -> list[PendingInbound]:
    queryset = PendingInbound.objects.filter(
        processed_at__isnull=True, attempts__lt=MAX_ATTEMPTS
    ).order_by("id")
    # SQLite's IMMEDIATE transaction already holds the only write lock; PostgreSQL lets several
    # drains run side by side, each on rows the others have not locked.
    if connection.features.has_select_for_update_skip_locked:
        queryset = queryset.select_for_update(skip_locked=True)
    return list(queryset[:limit])


def _drain_batch(limit: int) -> Drained:
    from ascolto.channels.intake import receive_many

    with transaction.atomic():
        rows = _locked_pending(limit)
        if not rows:
            return Drained(0, 0)
        inbounds = [_inbound(row) for row in rows]
        outcomes = receive_many(inbounds)
        now = timezone.now()
        processed: list[PendingInbound] = []
        failed: list[PendingInbound] = []
        for row, outcome in zip(rows, outcomes, strict=True):
            row.attempts += 1
            if isinstance(outcome, DomainError):
                row.last_error = outcome.message[:500]
                failed.append(row)
            else:
                row.processed_at = now
                row.last_error = ""
                processed.append(row)
        PendingInbound.objects.bulk_update(
            processed + failed, ["processed_at", "attempts", "last_error"]
        )
    if failed:
        logger.warning("intake queue: %d message(s) refused by intake", len(failed))
    return Drained(len(processed), len(failed))


def _drain_one_by_one(limit: int, cause: Exception) -> Drained:
    from ascolto.channels.intake import receive_many

    ids = list(
        PendingInbound.objects.filter(processed_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    processed = failed = 0
    for row_id in ids:
        try:
            with transaction.atomic():
                queryset = PendingInbound.objects.filter(pk=row_id, processed_at__isnull=True)
                if connection.features.has_select_for_update_skip_locked:
                    queryset = queryset.select_for_update(skip_locked=True)
                row = queryset.first()
                if row is None:
                    continue
                outcome = receive_many([_inbound(row)])[0]
                row.attempts += 1
                if isinstance(outcome, DomainError):
                    row.last_error = outcome.message[:500]
                    failed += 1
                else:
                    row.processed_at = timezone.now()
                    row.last_error = ""
                    processed += 1
                row.save(update_fields=["processed_at", "attempts", "last_error"])
        except Exception as exc:
            failed += 1
            PendingInbound.objects.filter(pk=row_id).update(
                attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:500]
            )
            logger.exception("intake queue: pending message %s failed", row_id)
    if not ids:
        logger.error("intake queue: drain failed (%s) with nothing left to try", type(cause))
    return Drained(processed, failed)


def _inbound(row: PendingInbound) -> InboundMessage:
    inbound = from_json(row.payload)
    if inbound.hints.code != row.code:
        inbound = dataclasses.replace(
            inbound, hints=dataclasses.replace(inbound.hints, code=row.code)
        )
    return inbound
