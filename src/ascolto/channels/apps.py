from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import AppConfig

if TYPE_CHECKING:
    from ascolto.core.models import OutboxEvent


class ChannelsConfig(AppConfig):
    name = "ascolto.channels"
    verbose_name = "Canali"

    def ready(self) -> None:
        from ascolto.core import outbox

        outbox.register("message.outbound", _deliver)


def _deliver(event: OutboxEvent) -> None:
    from ascolto.channels.actions import deliver_message
    from ascolto.core import outbox

    deliver_message(
        event.payload["message_id"],
        attempt=event.attempts,
        last_attempt=outbox.is_last_attempt(event),
    )
