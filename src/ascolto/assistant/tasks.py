"""Background tasks of the assistant. A drained batch's replies are now sent by a thread of the
draining process (`assistant.sender`); `send_replies` stays for tasks queued before that."""

from __future__ import annotations

from django_tasks import task

from ascolto.assistant import actions


@task()
def send_replies(ids: list[int]) -> int:
    """Send the queued replies `ids` (those still due); return how many were sent."""
    return actions.send_due(ids)
