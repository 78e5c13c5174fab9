from django.apps import AppConfig


class Open311Config(AppConfig):
    name = "ascolto.open311"
    label = "open311"
    verbose_name = "Open311"
