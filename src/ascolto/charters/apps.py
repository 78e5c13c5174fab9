from django.apps import AppConfig


class ChartersConfig(AppConfig):
    name = "ascolto.charters"
    label = "charters"
    verbose_name = "Ascolto: carte dei servizi"
