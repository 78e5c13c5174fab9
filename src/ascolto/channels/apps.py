from __future__ import annotations

from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "ascolto.channels"
    verbose_name = "Canali"

    def ready(self) -> None:
        # Every app wires its listeners here, and only here (docs/architecture.md).
        from django.conf import settings
        from django.db.models.signals import post_delete, post_save

        from ascolto.channels import queue, receivers
        from ascolto.channels.models import Channel
        from ascolto.core import health, maintenance, metrics, outbox

        outbox.register("message.outbound", receivers.deliver)
        outbox.register("message.read", receivers.read_receipt)
        maintenance.register_pruner(
            maintenance.Pruner(
                "intake_queue",
                "intake-queue rows taken in",
                lambda: int(settings.ASCOLTO_RETENTION_QUEUE_DAYS),
                queue.prune_taken_in,
            )
        )
        health.register_check("intake_queue", queue.readiness)
        metrics.register_gauge(
            "ascolto_intake_queue_depth",
            "Requests accepted and not yet taken in",
            queue.pending_count,
        )
        metrics.register_gauge(
            "ascolto_intake_queue_age_seconds",
            "How long the oldest request not yet taken in has waited",
            queue.oldest_pending_seconds,
        )
        # The Meta webhook keeps channels for a few seconds; a change here is seen at once.
        post_save.connect(receivers.channel_changed, sender=Channel, dispatch_uid="meta-saved")
        post_delete.connect(receivers.channel_changed, sender=Channel, dispatch_uid="meta-gone")
