from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "ascolto.api"
    verbose_name = "API"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from ascolto.api import receivers, submissions, webhooks
        from ascolto.channels.models import Channel
        from ascolto.core import outbox

        # The API's channel is kept a few seconds per process; a change here is seen at once.
        post_save.connect(submissions.forget_channel, sender=Channel, dispatch_uid="api-saved")
        post_delete.connect(submissions.forget_channel, sender=Channel, dispatch_uid="api-gone")

        # The outgoing webhooks (docs/webhooks.md). `survey.answered` is published by the
        # surveys app once answers are collected; registering for it costs nothing before.
        for topic in webhooks.TOPICS:
            outbox.register(topic, receivers.webhook_calls)
