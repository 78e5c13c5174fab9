from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "ascolto.tickets"
    verbose_name = "Casi"

    def ready(self) -> None:
        from ascolto.channels.intake import set_case_handler
        from ascolto.tickets import receivers  # noqa: F401  (connects signals and outbox handlers)
        from ascolto.tickets.intake import TicketIntake

        set_case_handler(TicketIntake())
