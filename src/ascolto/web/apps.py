from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "ascolto.web"
    label = "web"
    verbose_name = "Console e pagine per i cittadini"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from ascolto.web import receivers

        user_logged_in.connect(
            receivers.remember_access_log_reader, dispatch_uid="web.access_log_reader"
        )
        receivers.connect_choice_lists()
