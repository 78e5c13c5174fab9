from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "ascolto.analytics"
    verbose_name = "Report e trasparenza"
