"""Background tasks of the assistant: sending the replies of a drained batch, so the drain
never waits for the Graph API."""

from __future__ import annotations

from django_tasks import task

from ascolto.assistant import actions


@task()
def send_replies(ids: list[int]) -> int:
    """Send the queued replies `ids` (those still due); return how many were sent."""
    return actions.send_due(ids)
