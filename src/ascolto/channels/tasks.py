"""Background tasks of the channels app: draining the intake queue."""

from __future__ import annotations

from django_tasks import task

from ascolto.channels import queue


@task()
def drain_inbound() -> int:
    """Take in every message waiting in the intake queue; return how many were processed."""
    return queue.drain_all()
