"""The API's outbox handlers: domain events become outgoing webhook calls (`api.webhooks`)."""

from __future__ import annotations

from ascolto.api import webhooks
from ascolto.core.models import OutboxEvent


def webhook_calls(event: OutboxEvent) -> None:
    """One call per subscription to the event (idempotent: unique per subscription and event)."""
    webhooks.calls_for(event)
