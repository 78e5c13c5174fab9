from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "ascolto.audit"
    label = "audit"
    verbose_name = "Ascolto: registro degli accessi ai dati personali"
