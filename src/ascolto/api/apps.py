from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "ascolto.api"
    verbose_name = "API"

    def ready(self) -> None:
        from ascolto.api import receivers, webhooks
        from ascolto.core import outbox

        # The outgoing webhooks (docs/webhooks.md). `survey.answered` is published by the
        # surveys app once answers are collected; registering for it costs nothing before.
        for topic in webhooks.TOPICS:
            outbox.register(topic, receivers.webhook_calls)
