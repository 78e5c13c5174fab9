from __future__ import annotations

from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "ascolto.channels"
    verbose_name = "Canali"

    def ready(self) -> None:
        # Every app wires its listeners here, and only here (docs/architecture.md).
        from ascolto.channels import receivers
        from ascolto.core import outbox

        outbox.register("message.outbound", receivers.deliver)
        outbox.register("message.read", receivers.read_receipt)
