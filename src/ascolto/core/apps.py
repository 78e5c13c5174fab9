from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "ascolto.core"
    verbose_name = "Nucleo"

    def ready(self) -> None:
        from ascolto.core import maintenance

        maintenance.register_core_pruners()
