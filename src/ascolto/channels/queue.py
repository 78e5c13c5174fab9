"""The intake queue: accept a message with one insert now, take it in with a batch later.

`accept(inbound)` is what a public form calls while the citizen waits: one INSERT of the
serialised message, which carries the tracking code already shown to the citizen
(`inbound.hints.code`, the one place the code travels; the row's `code` column is a copy for the
status page's lookup and uniqueness, never read back into the message), one commit, and a
debounced `drain_inbound` task after commit. `drain(limit)` hands the oldest pending rows to
`intake.receive_many` in one batch and marks them processed in the same transaction, so a row is
processed exactly when its case exists; a crash anywhere before that commit leaves it pending
for the next drain (the task, `python -m ascolto drain_inbound`, or the scheduler). Intake is
idempotent on `(channel, external_id)`, so draining twice creates one case. A row that fails is
retried with exponential backoff, never given up, and shown to administrators after a few
failures (`needs_attention`, `retry_now`, `mark_handled`). See docs/decisions/0007-intake-queue.md.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ascolto.channels import intake
from ascolto.channels.inbound import InboundMessage, from_json, to_json, without_nul
from ascolto.channels.models import Channel, PendingInbound
from ascolto.core import health, inserts, maintenance, metrics
from ascolto.core.bulk import update_each
from ascolto.core.errors import DomainError, InvalidInput, NotFound
from ascolto.core.retry import backoff

logger = logging.getLogger(__name__)

# A row that fails waits RETRY_BASE, then twice as long after each failure, up to RETRY_CAP
# (with jitter), and is retried for ever; after FLAG_AFTER failures administrators see it.
RETRY_BASE = timedelta(seconds=30)
RETRY_CAP = timedelta(hours=6)
FLAG_AFTER = 5
DEBOUNCE_KEY = "ascolto:drain-inbound-enqueued"
DEBOUNCE_SECONDS = 1
LOOP_KEY = "ascolto:drain-inbound-loop"  # until when a `drain_inbound --loop` is known to run
LOOP_GRACE = 3.0  # seconds a loop's word holds (it renews it every second)


class AlreadyAccepted(InvalidInput):
    """A message with the same (channel, external id) was accepted before, under `code`.
    `same` says whether it said the same thing (a replayed submission, to be answered with the
    first one's confirmation) or not (a form sent again after editing it: a new request)."""

    def __init__(self, code: str, same: bool) -> None:
        super().__init__("This message was already accepted.", field="external_id")
        self.code = code
        self.same = same


def _what_it_says(payload: dict[str, Any]) -> tuple[Any, ...]:
    """What makes two submissions the same request (not when, nor their attachments' copies)."""
    hints = payload.get("hints") or {}
    return (
        payload.get("handle"),
        payload.get("text"),
        payload.get("subject"),
        payload.get("sender"),
        hints.get("kind"),
        hints.get("theme"),
        hints.get("place"),
        [a.get("name") for a in payload.get("attachments") or []],
    )


@dataclass(frozen=True)
class Drained:
    """What one drain did: rows taken in, rows that failed (left pending with their error)."""

    processed: int
    failed: int
    # The highest id of the rows the drain looked at (0: none); `drain_all`'s next batch starts
    # above it. Not part of what was done (two drains that did the same are equal).
    last: int = field(default=0, compare=False)


def accept(inbound: InboundMessage, channel: Channel | None = None) -> PendingInbound:
    """Queue `inbound` for intake under its tracking code, `inbound.hints.code` (one insert, one
    commit).

    The message is first checked as intake will check it, its case hints included
    (`intake.check`), so an accepted message is not refused at the drain. `channel` is the
    message's channel when the caller already holds it (the public form keeps it in memory);
    otherwise it is read. Raises `DomainError` for an invalid message or one without a code,
    `AlreadyAccepted` (with the first one's code) when the same message (channel, external id)
    was already accepted, `InvalidInput` when the code was already given. The case is created by
    the next drain, with that code.
    """
    code = inbound.hints.code
    if not code:
        raise InvalidInput(
            _("Un messaggio in coda ha bisogno del codice mostrato al cittadino."), field="code"
        )
    if channel is None:
        channel = Channel.objects.filter(code=inbound.channel).first()
        if channel is None:
            raise NotFound(
                _("Canale sconosciuto: «%(channel)s».") % {"channel": inbound.channel},
                field="channel",
            )
    intake.check(inbound, channel)
    row = PendingInbound(
        channel=inbound.channel,
        external_id=inbound.external_id,
        payload=to_json(without_nul(inbound)),
        code=code,
    )
    try:
        inserts.insert(row)  # one round trip in autocommit: no BEGIN … COMMIT around it
    except IntegrityError as exc:
        first = (
            PendingInbound.objects.filter(channel=row.channel, external_id=row.external_id)
            .values_list("code", "payload")
            .first()
        )
        if first is not None:
            same = _what_it_says(first[1]) == _what_it_says(row.payload)
            raise AlreadyAccepted(first[0], same) from exc
        raise InvalidInput(
            _("Questo codice di pratica è già stato assegnato."), field="code"
        ) from exc
    transaction.on_commit(schedule_drain)  # at once in autocommit; after a caller's commit
    return row


_quiet_until = 0.0  # (monotonic) a drain is already scheduled for what this process commits


def schedule_drain() -> None:
    """Enqueue `drain_inbound` at most once a second (shared cache): the task runs one second
    later, so it takes every row committed meanwhile in one batch. A backend that cannot defer
    (the immediate backend of the demo and tests) drains at once, every time.

    The cache holds when the scheduled drain runs. A process that finds one scheduled by
    another asks the cache again only after that time, since every row it commits until then is
    taken by that drain: otherwise each of its requests would cost a round trip to the cache
    until the key expires (measured with `benchmarks/webhooks.py`: one worker of two asked on
    most of its requests)."""
    global _quiet_until
    now = time.monotonic()
    if now < _quiet_until:
        return  # a drain is scheduled for after this commit: no need to ask the cache
    from ascolto.channels.tasks import drain_inbound

    try:
        if not drain_inbound.get_backend().supports_defer:
            drain_inbound.enqueue()
            return
        looping = cache.get(LOOP_KEY)
        if isinstance(looping, float) and looping > time.time():
            # `drain_inbound --loop` runs and takes this row within its interval: a task would
            # only drain beside it, halving its batches (each batch has a fixed cost).
            _quiet_until = now + min(looping - time.time(), DEBOUNCE_SECONDS)
            return
        run_at = time.time() + DEBOUNCE_SECONDS
        if cache.add(DEBOUNCE_KEY, run_at, timeout=DEBOUNCE_SECONDS):
            _quiet_until = now + DEBOUNCE_SECONDS
            run_after = timezone.now() + timedelta(seconds=DEBOUNCE_SECONDS)
            drain_inbound.using(run_after=run_after).enqueue()
            return
        scheduled = cache.get(DEBOUNCE_KEY)
        if isinstance(scheduled, float):
            _quiet_until = now + min(max(scheduled - time.time(), 0.0), DEBOUNCE_SECONDS)
    except Exception:
        # The row is committed: the scheduled `drain_inbound` command takes it. Never fail the
        # citizen's request here.
        logger.exception("intake queue: could not schedule a drain")


def note_loop_alive(interval: float) -> None:
    """Say (in the shared cache) that a `drain_inbound --loop` polls every `interval` seconds,
    for the next LOOP_GRACE seconds: meanwhile `schedule_drain` enqueues no drain task. If the
    loop dies, the tasks resume once its word expires; what was committed meanwhile waits for
    the next drain (the loop restarted, or the next task). A loop slower than the debounced
    task (`interval` > DEBOUNCE_SECONDS) says nothing: the tasks go on."""
    if interval > DEBOUNCE_SECONDS:
        return
    try:
        cache.set(LOOP_KEY, time.time() + LOOP_GRACE, timeout=LOOP_GRACE + interval + 1)
    except Exception:
        logger.exception("intake queue: could not note the drain loop")


def prepare_scheduling() -> None:
    """Import now what `schedule_drain` imports on first use (the task backend, the cache's
    client library), for a web worker to call as it starts: measured on the 2-core machine, a
    worker's first delivery otherwise spent 0.3-0.6 s of CPU importing them, while the requests
    behind it waited."""
    from ascolto.channels.tasks import drain_inbound

    drain_inbound.get_backend()
    getattr(cache, "_cache", None)  # Django's Redis backend imports redis-py here; no connection


def pending() -> int:
    return PendingInbound.objects.filter(processed_at__isnull=True, handled_at__isnull=True).count()


def needs_attention() -> QuerySet[PendingInbound]:
    """Rows still not taken in after FLAG_AFTER tries, for an administrator to look at (the
    admin's "Da verificare" filter): retry them now once the cause is fixed, or take the request
    in by hand and mark them handled. They keep being retried meanwhile."""
    return PendingInbound.objects.filter(
        processed_at__isnull=True, handled_at__isnull=True, attempts__gte=FLAG_AFTER
    ).order_by("id")


def drain(limit: int = 500, *, after: int = 0) -> Drained:
    """Take in up to `limit` pending messages that are due, in one batch; return what was done.

    When the batch as a whole fails (a bug, the database refusing), it rolls back and each row
    is tried alone, so one poisonous message cannot hold the others back; a row that still fails
    keeps its error and is tried again later, after a wait that doubles with each failure
    (`next_attempt_at`; RETRY_BASE up to RETRY_CAP). No row is ever given up: after FLAG_AFTER
    failures it is shown to administrators (`needs_attention`). `after`: only rows above
    that id (`drain_all`'s batches after the first).
    """
    try:
        done = _drain_batch(limit, after)
    except Exception as exc:
        logger.exception("intake queue: batch drain failed; trying rows one by one")
        done = _drain_one_by_one(_due_ids(limit, after), exc)
    metrics.TAKEN_IN.inc(done.processed)
    return done


def drain_all(limit: int = 500) -> int:
    """Drain until nothing is due (only rows waiting for their retry are left); return rows
    processed.

    Each batch after the first starts above the last one's ids: the index of the due rows keeps
    an entry for each row taken in until the table is vacuumed, and a batch that started from
    the lowest id walked over all the earlier batches left (as the Meta deliveries' drain). A
    row committed late under a lower id (ids are handed out before the commits) is left to the
    next call, which starts from the lowest again."""
    total, after = 0, 0
    while True:
        done = drain(limit, after=after)
        total += done.processed
        after = max(after, done.last)
        if done.processed == 0:
            return total


def retry_now(ids: Iterable[int]) -> Drained:
    """Try the given pending rows at once, whatever their backoff says (an administrator fixed
    the cause); a row that fails again keeps its error and its backoff goes on."""
    wanted = list(
        PendingInbound.objects.filter(
            pk__in=list(ids), processed_at__isnull=True, handled_at__isnull=True
        )
        .order_by("id")
        .values_list("id", flat=True)
    )
    PendingInbound.objects.filter(pk__in=wanted).update(next_attempt_at=None)
    return _drain_one_by_one(wanted, None)


def mark_handled(ids: Iterable[int], user: Any) -> int:
    """Record that an administrator took these pending requests in by hand: they are no longer
    retried (the row, its message and its error stay, for the record). Return how many."""
    return PendingInbound.objects.filter(
        pk__in=list(ids), processed_at__isnull=True, handled_at__isnull=True
    ).update(handled_at=timezone.now(), handled_by=user)


def _due() -> QuerySet[PendingInbound]:
    return PendingInbound.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=timezone.now()),
        processed_at__isnull=True,
        handled_at__isnull=True,
    ).order_by("id")


def _due_ids(limit: int, after: int = 0) -> list[int]:
    return list(_due().filter(id__gt=after).values_list("id", flat=True)[:limit])


def _locked_pending(limit: int, after: int = 0) -> list[PendingInbound]:
    queryset = _due().filter(id__gt=after)
    # SQLite's IMMEDIATE transaction already holds the only write lock; PostgreSQL lets several
    # drains run side by side, each on rows the others have not locked.
    if connection.features.has_select_for_update_skip_locked:
        queryset = queryset.select_for_update(skip_locked=True)
    return list(queryset[:limit])


def _failed(row: PendingInbound, error: str, now: datetime) -> None:
    """Count a failed try of `row` and schedule the next one (the row is saved by the caller)."""
    row.attempts += 1
    row.last_error = error[:500]
    row.next_attempt_at = now + backoff(row.attempts, base=RETRY_BASE, cap=RETRY_CAP)


def _processed(row: PendingInbound, now: datetime) -> None:
    row.attempts += 1
    row.processed_at = now
    row.last_error = ""
    row.next_attempt_at = None


FIELDS = ["processed_at", "attempts", "last_error", "next_attempt_at"]


def _drain_batch(limit: int, after: int = 0) -> Drained:
    from ascolto.channels.intake import receive_many

    with transaction.atomic():
        rows = _locked_pending(limit, after)
        if not rows:
            return Drained(0, 0)
        inbounds = [_inbound(row) for row in rows]
        outcomes = receive_many(inbounds, accepted=True)
        now = timezone.now()
        failed = 0
        for row, outcome in zip(rows, outcomes, strict=True):
            if isinstance(outcome, DomainError):
                _failed(row, outcome.message, now)
                failed += 1
            else:
                _processed(row, now)
        update_each(rows, FIELDS)
    if failed:
        logger.warning("intake queue: %d message(s) refused by intake", failed)
    return Drained(len(rows) - failed, failed, rows[-1].pk)


def _drain_one_by_one(ids: list[int], cause: Exception | None) -> Drained:
    from ascolto.channels.intake import receive_many

    processed = failed = 0
    for row_id in ids:
        try:
            with transaction.atomic():
                queryset = PendingInbound.objects.filter(
                    pk=row_id, processed_at__isnull=True, handled_at__isnull=True
                )
                if connection.features.has_select_for_update_skip_locked:
                    queryset = queryset.select_for_update(skip_locked=True)
                row = queryset.first()
                if row is None:
                    continue
                outcome = receive_many([_inbound(row)], accepted=True)[0]
                if isinstance(outcome, DomainError):
                    _failed(row, outcome.message, timezone.now())
                    failed += 1
                else:
                    _processed(row, timezone.now())
                    processed += 1
                row.save(update_fields=FIELDS)
        except Exception as exc:
            failed += 1
            row = PendingInbound.objects.filter(pk=row_id).first()
            if row is not None:
                _failed(row, f"{type(exc).__name__}: {exc}", timezone.now())
                row.save(update_fields=["attempts", "last_error", "next_attempt_at"])
            logger.exception("intake queue: pending message %s failed", row_id)
    if not ids and cause is not None:
        logger.error("intake queue: drain failed (%s) with nothing left to try", type(cause))
    return Drained(processed, failed, max(ids, default=0))


def _inbound(row: PendingInbound) -> InboundMessage:
    return from_json(row.payload)


def prune_taken_in(now: datetime, dry_run: bool) -> int:
    """Delete the intake-queue rows taken in (or handled by hand) more than
    `ASCOLTO_RETENTION_QUEUE_DAYS` ago: their messages and cases exist, and a late re-delivery
    is still stored once, by the messages' own unique key. A row not yet taken in is never
    deleted."""
    before = maintenance.cutoff(now, settings.ASCOLTO_RETENTION_QUEUE_DAYS)
    done = PendingInbound.objects.filter(
        Q(processed_at__lt=before) | Q(processed_at__isnull=True, handled_at__lt=before)
    )
    return maintenance.delete_in_batches(done, dry_run=dry_run)


def readiness(now: datetime) -> health.Check:
    """`/readyz`: no request waits in the intake queue longer than `ASCOLTO_READY_QUEUE_LAG`
    seconds (the drain or the task worker is down or behind). Rows never tried only: a row that
    failed waits for its retry and is shown to administrators (`needs_attention`)."""
    oldest = (
        PendingInbound.objects.filter(processed_at__isnull=True, attempts=0)
        .order_by("id")
        .values_list("accepted_at", flat=True)
        .first()
    )
    return health.lag_check(oldest, now, settings.ASCOLTO_READY_QUEUE_LAG)


def pending_count() -> float:
    """The metrics' gauge: requests accepted and not yet taken in (failing ones included)."""
    return PendingInbound.objects.filter(processed_at__isnull=True, handled_at__isnull=True).count()


def oldest_pending_seconds() -> float:
    """The metrics' gauge: how long the oldest request not yet taken in has waited."""
    oldest = (
        PendingInbound.objects.filter(processed_at__isnull=True, handled_at__isnull=True)
        .order_by("id")
        .values_list("accepted_at", flat=True)
        .first()
    )
    return 0.0 if oldest is None else max(0.0, (timezone.now() - oldest).total_seconds())
