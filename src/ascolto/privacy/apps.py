from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "ascolto.privacy"
    label = "privacy"
    verbose_name = "Ascolto: protezione dei dati"

    def ready(self) -> None:
        # The sections of a citizen's access archive this app knows; other apps (the access
        # log) register theirs from their own `ready()` (docs/privacy.md).
        from ascolto.privacy import sections

        sections.register_builtin()
