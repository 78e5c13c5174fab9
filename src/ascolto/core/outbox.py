"""The transactional outbox: follow-up work that survives a crash between commit and enqueue.

An action calls `publish(topic, ...)` inside its transaction. The event row commits with the
change; on commit a task is enqueued to process it. If the process dies before the enqueue, or the
worker dies mid-task, `manage.py relay_outbox` (run by the scheduler every minute) processes what
is still pending. Handlers must be idempotent: an event may be handled more than once, never zero
times. A failing event is retried with exponential backoff for RETRY_FOR (48 hours), then marked
failed (`failed_at`, with its `last_error`).

An app writes its handlers in its `receivers.py` and registers them in its `AppConfig.ready()`
with `register(topic, handler)`, nowhere else; the list of topics and their handlers is in
docs/architecture.md.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from ascolto.core.metrics import RELAYED
from ascolto.core.models import OutboxEvent
from ascolto.core.retry import backoff

logger = logging.getLogger(__name__)

Handler = Callable[[OutboxEvent], None]
_handlers: dict[str, list[Handler]] = defaultdict(list)

# A failing event is tried again after RETRY_BASE, then twice as long after each failure (with
# jitter), waiting at most RETRY_CAP; the last try is made RETRY_FOR after the event was
# published. So a reply written during a mail outage of hours still leaves once the server is
# back, and one that cannot leave in two days is marked failed (and can be sent again).
RETRY_BASE = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=4)
RETRY_FOR = timedelta(hours=48)


def register(topic: str, handler: Handler) -> None:
    """Run `handler(event)` for every event published on `topic`."""
    if handler not in _handlers[topic]:
        _handlers[topic].append(handler)


def publish(topic: str, **payload: Any) -> OutboxEvent:
    """Record an event in the current transaction and process it once the transaction commits."""
    event = OutboxEvent.objects.create(topic=topic, payload=payload)
    event_id = event.pk

    def enqueue() -> None:
        from ascolto.core.tasks import process_outbox_event

        try:
            process_outbox_event.enqueue(event_id)
        except Exception:
            # The event is committed; relay_outbox will process it. Never fail the caller here.
            logger.exception("outbox: could not enqueue event %s; relay will retry", event_id)

    transaction.on_commit(enqueue)
    return event


def publish_many(events: Sequence[tuple[str, dict[str, Any]]]) -> list[OutboxEvent]:
    """Record several events in the current transaction with one insert, and process them after
    commit with one task (intake publishes a batch's events this way)."""
    if not events:
        return []
    rows = OutboxEvent.objects.bulk_create(
        [OutboxEvent(topic=topic, payload=payload) for topic, payload in events]
    )
    ids = [row.pk for row in rows]

    def enqueue() -> None:
        from ascolto.core.tasks import process_outbox_events

        try:
            process_outbox_events.enqueue(ids)
        except Exception:
            logger.exception("outbox: could not enqueue %d events; relay will retry", len(ids))

    transaction.on_commit(enqueue)
    return rows


def is_last_attempt(event: OutboxEvent) -> bool:
    """Whether the try being made now is the event's last one (its retry window is over): a
    handler that cannot do its work then records the failure instead of raising."""
    return timezone.now() >= event.created_at + RETRY_FOR


def process_event(event_id: int) -> bool:
    """Run the handlers of one pending event; return whether it is now processed.

    The row is locked for the duration (SKIP LOCKED on PostgreSQL), so two workers never handle
    the same event at the same time. When a handler fails, the next try is scheduled with
    exponential backoff (`next_attempt_at`); a failure on the last try (`is_last_attempt`)
    marks the event failed (`failed_at`), and the relay leaves it alone.
    """
    with transaction.atomic():
        # An event given up (`failed_at`) is left alone by the relay, but runs when asked for
        # by id (the admin's "Elabora di nuovo").
        queryset = OutboxEvent.objects.filter(pk=event_id, processed_at__isnull=True)
        if connection.features.has_select_for_update_skip_locked:
            queryset = queryset.select_for_update(skip_locked=True)
        event = queryset.first()
        if event is None:
            return False
        event.attempts += 1
        try:
            with transaction.atomic():
                for handler in _handlers.get(event.topic, []):
                    handler(event)
        except Exception as exc:
            now = timezone.now()
            event.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            deadline = event.created_at + RETRY_FOR
            if now >= deadline:
                event.failed_at, event.next_attempt_at = now, None
                logger.error("outbox: event %s (%s) given up", event.pk, event.topic)
            else:
                wait = backoff(event.attempts, base=RETRY_BASE, cap=RETRY_CAP)
                event.next_attempt_at = min(now + wait, deadline)
            event.save(update_fields=["attempts", "last_error", "next_attempt_at", "failed_at"])
            logger.exception("outbox: event %s (%s) failed", event.pk, event.topic)
            RELAYED.labels("failed").inc()
            return False
        event.processed_at = timezone.now()
        event.last_error = ""
        event.next_attempt_at = None
        event.save(update_fields=["attempts", "last_error", "processed_at", "next_attempt_at"])
        RELAYED.labels("processed").inc()
        return True


def relay_pending(*, older_than: timedelta = timedelta(seconds=30), limit: int = 1000) -> int:
    """Process events still pending after `older_than` and due for a try (their backoff is
    over); return how many were processed."""
    now = timezone.now()
    ids = list(
        OutboxEvent.objects.filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
            processed_at__isnull=True,
            failed_at__isnull=True,
            created_at__lte=now - older_than,
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(process_event(event_id) for event_id in ids)
