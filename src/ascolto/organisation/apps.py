from django.apps import AppConfig


class OrganisationConfig(AppConfig):
    name = "ascolto.organisation"
    verbose_name = "Organizzazione"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from ascolto.organisation import receivers

        user_logged_in.connect(
            receivers.start_session_clocks, dispatch_uid="organisation.session_clocks"
        )
