from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "ascolto.surveys"
    label = "surveys"
    verbose_name = "Ascolto: valutazioni e questionari"
