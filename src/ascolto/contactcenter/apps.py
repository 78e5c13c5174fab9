from django.apps import AppConfig


class ContactCenterConfig(AppConfig):
    name = "ascolto.contactcenter"
    verbose_name = "Contact center"
