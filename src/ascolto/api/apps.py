from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "ascolto.api"
    verbose_name = "API"
