from django.apps import AppConfig


class OrganisationConfig(AppConfig):
    name = "ascolto.organisation"
    verbose_name = "Organizzazione"
