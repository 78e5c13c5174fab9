from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "ascolto.channels"
    verbose_name = "Canali"

    def ready(self) -> None:
        from ascolto.channels import actions
        from ascolto.core import outbox

        outbox.register(
            "message.outbound", lambda event: actions.deliver_message(event.payload["message_id"])
        )
