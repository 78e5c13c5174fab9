"""Background tasks of the core: processing outbox events."""

from __future__ import annotations

from django_tasks import task

from ascolto.core import outbox


@task()
def process_outbox_event(event_id: int) -> bool:
    """Run the handlers of one outbox event (idempotent; a processed event is skipped)."""
    return outbox.process_event(event_id)


@task()
def process_outbox_events(event_ids: list[int]) -> int:
    """Run the handlers of several outbox events, one transaction each; return how many ran."""
    return sum(outbox.process_event(event_id) for event_id in event_ids)
