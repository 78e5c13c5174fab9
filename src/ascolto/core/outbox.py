"""The transactional outbox: follow-up work that survives a crash between commit and enqueue.

An action calls `publish(topic, ...)` inside its transaction. The event row commits with the
change; on commit a task is enqueued to process it. If the process dies before the enqueue, or the
worker dies mid-task, `manage.py relay_outbox` (run by the scheduler every minute) processes what
is still pending. Handlers must be idempotent: an event may be handled more than once, never zero
times.

Apps register handlers in their `AppConfig.ready()` with `register(topic, handler)`; the list of
topics and their handlers is in docs/architecture.md.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from ascolto.core.models import OutboxEvent

logger = logging.getLogger(__name__)

Handler = Callable[[OutboxEvent], None]
_handlers: dict[str, list[Handler]] = defaultdict(list)

MAX_ATTEMPTS = 10


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


def process_event(event_id: int) -> bool:
    """Run the handlers of one pending event; return whether it is now processed.

    The row is locked for the duration (SKIP LOCKED on PostgreSQL), so two workers never handle
    the same event at the same time.
    """
    with transaction.atomic():
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
            event.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            event.save(update_fields=["attempts", "last_error"])
            logger.exception("outbox: event %s (%s) failed", event.pk, event.topic)
            return False
        event.processed_at = timezone.now()
        event.last_error = ""
        event.save(update_fields=["attempts", "last_error", "processed_at"])
        return True


def relay_pending(*, older_than: timedelta = timedelta(seconds=30), limit: int = 1000) -> int:
    """Process events still pending after `older_than`; return how many were processed."""
    cutoff = timezone.now() - older_than
    ids = list(
        OutboxEvent.objects.filter(
            processed_at__isnull=True, created_at__lte=cutoff, attempts__lt=MAX_ATTEMPTS
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(process_event(event_id) for event_id in ids)
