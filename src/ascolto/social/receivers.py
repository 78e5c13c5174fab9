"""Where the social app listens: outbox topics.

Listed in docs/architecture.md. Registered in `SocialConfig.ready()`.
"""

from __future__ import annotations

import logging

from ascolto.channels import actions as channel_actions
from ascolto.channels.adapters import OutboundUnavailable
from ascolto.channels.adapters.meta.comments import hide_comment
from ascolto.channels.models import Message
from ascolto.core import outbox
from ascolto.core.models import OutboxEvent
from ascolto.social import actions

logger = logging.getLogger(__name__)


def offer_office_outcome(event: OutboxEvent) -> None:
    """A case was resolved (`ticket.resolved`): if it was forwarded from the social queue, its
    outcome returns to the queue as the thread's proposed reply. Idempotent."""
    actions.offer_outcome(event.payload["ticket_id"])


def hide_on_network(event: OutboxEvent) -> None:
    """Hide a thread's comments on Facebook or Instagram (`social.hide`). Each comment hidden is
    marked on its message, so a retry hides only what is left; a permanent refusal, or a
    transient one at the last attempt, is recorded on the thread instead of raised."""
    thread_id = event.payload["thread_id"]
    messages = Message.objects.select_related("channel").filter(
        pk__in=event.payload["message_ids"], direction=Message.Direction.INBOUND
    )
    errors: list[str] = []
    for message in messages.order_by("pk"):
        if (message.raw or {}).get("withdrawn"):
            continue
        comment_id = str(((message.raw or {}).get("social") or {}).get("comment_id") or "")
        try:
            hide_comment(message.channel, comment_id or message.external_id)
        except OutboundUnavailable as exc:
            errors.append(str(exc))
            continue
        except Exception as exc:
            if not outbox.is_last_attempt(event):
                raise
            errors.append(f"{type(exc).__name__}: {exc}")
            continue
        channel_actions.withdraw_received_message(message.channel, message.external_id, "hide")
    if errors:
        logger.warning("social thread %s: %d comment(s) not hidden", thread_id, len(errors))
        actions.record_hide_failure(thread_id, "; ".join(errors))
