from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "ascolto.api"
    verbose_name = "API"

    def ready(self) -> None:
        from django.conf import settings
        from django.db.models.signals import post_delete, post_save

        from ascolto.api import idempotency, receivers, submissions, tokens, webhooks
        from ascolto.api.models import ApiToken
        from ascolto.channels.models import Channel
        from ascolto.core import maintenance, outbox

        # The API's channel is kept a few seconds per process; a change here is seen at once.
        post_save.connect(submissions.forget_channel, sender=Channel, dispatch_uid="api-saved")
        post_delete.connect(submissions.forget_channel, sender=Channel, dispatch_uid="api-gone")
        # So are the tokens found (api/tokens.py).
        post_save.connect(tokens.forget_tokens, sender=ApiToken, dispatch_uid="token-saved")
        post_delete.connect(tokens.forget_tokens, sender=ApiToken, dispatch_uid="token-gone")

        # The outgoing webhooks (docs/webhooks.md). `survey.answered` is published by the
        # surveys app once answers are collected; registering for it costs nothing before.
        for topic in webhooks.TOPICS:
            outbox.register(topic, receivers.webhook_calls)
        # The tables of the open interfaces that grow every day (docs/deploy.md).
        maintenance.register_pruner(
            maintenance.Pruner(
                "webhook_calls",
                "outgoing webhook calls delivered or failed",
                lambda: int(settings.ASCOLTO_RETENTION_WEBHOOK_CALLS_DAYS),
                webhooks.prune_calls,
            )
        )
        maintenance.register_pruner(
            maintenance.Pruner(
                "idempotency_keys",
                "API idempotency keys",
                lambda: idempotency.KEEP.days,
                idempotency.prune,
            )
        )
