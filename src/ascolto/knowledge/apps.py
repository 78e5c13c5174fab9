from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "ascolto.knowledge"
    label = "knowledge"
    verbose_name = "Conoscenza"
