from django.apps import AppConfig


class ChartersConfig(AppConfig):
    name = "ascolto.charters"
    label = "charters"
    verbose_name = "Ascolto: carte dei servizi"

    def ready(self) -> None:
        from ascolto.charters import documents
        from ascolto.core import maintenance

        maintenance.register_pruner(
            maintenance.Pruner(
                "charter_documents",
                "charter documents no charter names",
                lambda: documents.ORPHAN_GRACE_DAYS,
                documents.prune_orphans,
            )
        )
