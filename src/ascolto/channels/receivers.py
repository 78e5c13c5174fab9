"""Where the channels app listens: outbox topics.

Listed in docs/architecture.md. Registered in `ChannelsConfig.ready()`.
"""

from __future__ import annotations

from ascolto.channels.actions import deliver_message, deliver_read_receipt
from ascolto.core import outbox
from ascolto.core.models import OutboxEvent


def deliver(event: OutboxEvent) -> None:
    """Send a queued reply through its channel's adapter (`message.outbound`)."""
    deliver_message(
        event.payload["message_id"],
        attempt=event.attempts,
        last_attempt=outbox.is_last_attempt(event),
    )


def read_receipt(event: OutboxEvent) -> None:
    """Tell Meta a citizen's WhatsApp message was read by the city (`message.read`)."""
    deliver_read_receipt(event.payload["message_id"])


def channel_changed(**_: object) -> None:
    """A channel was saved or deleted: the Meta webhook reads it again (its cache of channels)."""
    from ascolto.channels.adapters.meta.views import forget_channels

    forget_channels()
