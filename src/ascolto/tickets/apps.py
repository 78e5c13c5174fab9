from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "ascolto.tickets"
    verbose_name = "Casi"

    def ready(self) -> None:
        # Every app wires its listeners here, and only here (docs/architecture.md).
        from ascolto.channels.intake import set_case_handler
        from ascolto.citizens.signals import citizens_merged
        from ascolto.core import metrics, outbox
        from ascolto.tickets import receivers, sla
        from ascolto.tickets.threading import TicketIntake

        set_case_handler(TicketIntake())
        citizens_merged.connect(receivers.reassign_citizen, dispatch_uid="tickets.reassign_citizen")
        outbox.register("ticket.opened", receivers.send_acknowledgement)
        outbox.register("ticket.opened", receivers.notify_office)
        outbox.register("ticket.escalated", receivers.notify_office)
        metrics.register_gauge(
            "ascolto_sla_breaches_open", "Open cases past their due time", sla.open_breaches
        )
