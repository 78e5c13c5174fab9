from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "ascolto.web"
    label = "web"
    verbose_name = "Console e pagine per i cittadini"
