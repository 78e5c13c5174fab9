from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ascolto.core"
    verbose_name = "Nucleo"

    def ready(self) -> None:
        from ascolto.core import health, maintenance, metrics

        maintenance.register_core_pruners()
        health.register_core_checks()
        metrics.register_core_gauges()
