"""The access log of personal data: who read whose data, when, from where, and why."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy

from ascolto.core.appendonly import AppendOnlyModel, AppendOnlyQuerySet


class AccessRecord(AppendOnlyModel):
    """One read of personal data in the console or the API: a case page, a citizen's page, an
    attachment downloaded, a search or a list that showed citizens, an export.

    It names people and objects by id and keeps a snapshot of the reader's username, with no
    foreign key: a record outlives the user, the case and the citizen it is about, and no
    deletion elsewhere cascades into the log. Append-only (core/appendonly.py): only the
    retention prune (`audit.actions.prune_access_log`) deletes, under its escape `prune`."""

    class Purpose(models.TextChoices):
        CASE = "case", gettext_lazy("Pagina del caso")
        CITIZEN = "citizen", gettext_lazy("Scheda del cittadino")
        ATTACHMENT = "attachment", gettext_lazy("Allegato scaricato")
        INBOX = "inbox", gettext_lazy("Elenco dei casi")
        SEARCH = "search", gettext_lazy("Ricerca")
        CALLER = "caller", gettext_lazy("Ricerca del chiamante")
        DUPLICATES = "duplicates", gettext_lazy("Possibili doppioni")
        SOCIAL = "social", gettext_lazy("Commenti social")
        EXPORT = "export", gettext_lazy("Esportazione")
        API = "api", gettext_lazy("API")
        ACCESS_LOG = "access_log", gettext_lazy("Registro degli accessi")
        ADMIN = "admin", gettext_lazy("Amministrazione")

    append_only_escape = "prune"

    at = models.DateTimeField("quando", default=timezone.now)
    user_id = models.BigIntegerField("id dell'utente", null=True, blank=True)
    username = models.CharField("utente", max_length=150, blank=True)
    purpose = models.CharField("schermata", max_length=20, choices=Purpose.choices)
    kind = models.CharField("oggetto", max_length=30)
    object_ids = models.JSONField("id degli oggetti", default=list, blank=True)
    citizen_ids = models.JSONField("id dei cittadini", default=list, blank=True)
    shown = models.CharField("cosa è stato mostrato", max_length=200, blank=True)
    ip = models.GenericIPAddressField("indirizzo IP", null=True, blank=True)
    agent = models.CharField("browser", max_length=120, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = "accesso ai dati personali"
        verbose_name_plural = "accessi ai dati personali"
        ordering = ["-at", "-pk"]
        base_manager_name = "objects"
        # Nobody adds, changes or deletes records by hand: only reading the log is granted.
        default_permissions = ()
        permissions = [("view_accessrecord", "Può leggere il registro degli accessi")]
        indexes = [
            models.Index(fields=["at"], name="accessrecord_at_idx"),
            models.Index(fields=["user_id", "at"], name="accessrecord_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.username or '—'} · {self.get_purpose_display()} · {self.at:%d/%m/%Y %H:%M}"
