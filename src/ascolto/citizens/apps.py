from django.apps import AppConfig


class CitizensConfig(AppConfig):
    name = "ascolto.citizens"
    verbose_name = "Cittadini"
