"""Background tasks of the channels app: draining the intake queues."""

from __future__ import annotations

from django_tasks import task

from ascolto.channels import queue


@task()
def drain_inbound() -> int:
    """Take in every message waiting in the intake queue and every Meta webhook delivery
    waiting in theirs; return how many rows were processed."""
    from ascolto.channels.adapters.meta import deliveries

    return queue.drain_all() + deliveries.drain_all()
