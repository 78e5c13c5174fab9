from django.apps import AppConfig


class SocialConfig(AppConfig):
    name = "ascolto.social"
    label = "social"
    verbose_name = "Social: coda dei commenti"

    def ready(self) -> None:
        # Every app wires its listeners here, and only here (docs/architecture.md).
        from ascolto.core import outbox
        from ascolto.social import receivers

        outbox.register("ticket.resolved", receivers.offer_office_outcome)
        outbox.register("social.hide", receivers.hide_on_network)
