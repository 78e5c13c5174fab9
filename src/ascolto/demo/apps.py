from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "ascolto.demo"
    verbose_name = "Città dimostrativa"
