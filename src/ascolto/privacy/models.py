"""The records of the data-protection duties: a citizen's access archive being made and kept for
download, the erasures done and what each kept, the cases held for a legal reason, and each run of
the retention policy (docs/privacy.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy

from ascolto.citizens.models import Citizen
from ascolto.tickets.models import Ticket


class AccessArchive(models.Model):
    """A citizen's data gathered for their right of access (GDPR art. 15): a ZIP of a JSON
    document with every file, and a readable PDF, made in the background by the task worker
    (`privacy.actions.build_access_archive`), downloaded from the console by whoever may answer
    the request, and deleted after `ASCOLTO_PRIVACY_ARCHIVE_DAYS`. The files live outside every
    served folder (`ASCOLTO_PRIVACY_ARCHIVE_DIR`); `folder` is this archive's, inside it."""

    class Status(models.TextChoices):
        QUEUED = "queued", gettext_lazy("In coda")
        RUNNING = "running", gettext_lazy("In preparazione")
        DONE = "done", gettext_lazy("Pronto")
        FAILED = "failed", gettext_lazy("Non riuscito")
        EXPIRED = "expired", gettext_lazy("Scaduto e cancellato")

    citizen = models.ForeignKey(
        Citizen, verbose_name="cittadino", on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="richiesto da",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField("stato", max_length=10, choices=Status.choices, default=Status.QUEUED)
    step = models.PositiveSmallIntegerField("passo", default=0)
    steps = models.PositiveSmallIntegerField("passi", default=1)
    doing = models.CharField("in corso", max_length=100, blank=True)
    error = models.TextField("motivo", blank=True)
    folder = models.CharField("cartella", max_length=64, blank=True)
    zip_bytes = models.PositiveBigIntegerField("dimensione ZIP", default=0)
    pdf_bytes = models.PositiveBigIntegerField("dimensione PDF", default=0)
    created_at = models.DateTimeField("richiesto il", default=timezone.now)
    started_at = models.DateTimeField("iniziato il", null=True, blank=True)
    finished_at = models.DateTimeField("finito il", null=True, blank=True)
    expires_at = models.DateTimeField("scade il", null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = "archivio per il diritto di accesso"
        verbose_name_plural = "archivi per il diritto di accesso"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"archivio {self.pk} · cittadino #{self.citizen_id}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(100, round(100 * self.step / max(self.steps, 1)))

    @property
    def active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)


class LegalHold(models.Model):
    """A case the law requires to be kept whole (a pending procedure, an appeal, a request of the
    judicial authority): erasure and retention leave it intact while the hold stands, and say
    why. Released, not deleted: `released_at` set."""

    ticket = models.ForeignKey(
        Ticket, verbose_name="caso", on_delete=models.PROTECT, related_name="legal_holds"
    )
    reason = models.CharField("motivo", max_length=300)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="disposto da",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    set_at = models.DateTimeField("disposto il", default=timezone.now)
    released_at = models.DateTimeField("revocato il", null=True, blank=True)

    class Meta:
        verbose_name = "conservazione per obbligo di legge"
        verbose_name_plural = "conservazioni per obbligo di legge"
        ordering = ["-set_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"],
                condition=models.Q(released_at__isnull=True),
                name="legal_hold_one_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.reason[:40]}"


class Erasure(models.Model):
    """One erasure of a citizen's personal data (GDPR art. 17), or of the cases retention
    anonymised: who asked for it, when, why, what was removed (counts per kind) and what was kept
    and why (`kept`: the cases under a legal hold, with its reason). The citizen row stays as a
    pseudonym, so every figure over cases, calls and contacts stays the same."""

    class Cause(models.TextChoices):
        REQUEST = "request", gettext_lazy("Richiesta dell'interessato")
        RETENTION = "retention", gettext_lazy("Fine del periodo di conservazione")

    citizen = models.ForeignKey(
        Citizen,
        verbose_name="cittadino",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    cause = models.CharField("causa", max_length=10, choices=Cause.choices)
    reason = models.CharField("motivo", max_length=500, blank=True)
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="eseguita da",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    performed_at = models.DateTimeField("eseguita il", default=timezone.now)
    removed = models.JSONField("rimosso", default=dict, blank=True)
    kept = models.JSONField("conservato", default=list, blank=True)

    class Meta:
        verbose_name = "cancellazione"
        verbose_name_plural = "cancellazioni"
        ordering = ["-performed_at", "-pk"]

    def __str__(self) -> str:
        return f"cancellazione {self.pk} · {self.performed_at:%d/%m/%Y}"


class RetentionRun(models.Model):
    """One run of the retention policy (`apply_retention`, nightly): what it found per kind of
    data (`counts`), and whether it only listed it (`dry_run`) or did it."""

    started_at = models.DateTimeField("iniziata il", default=timezone.now)
    finished_at = models.DateTimeField("finita il", null=True, blank=True)
    dry_run = models.BooleanField("solo elenco", default=False)
    counts = models.JSONField("quanti per tipo", default=dict, blank=True)
    policy = models.JSONField("regole applicate", default=dict, blank=True)

    class Meta:
        verbose_name = "applicazione della conservazione"
        verbose_name_plural = "applicazioni della conservazione"
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"conservazione {self.started_at:%d/%m/%Y %H:%M}"


class ErasedCase(models.Model):
    """A case whose personal content an erasure removed (its texts, messages, files, raw
    payloads): what retention skips next time. The case row itself stays, with its counts,
    times, theme, channel, office and status."""

    ticket = models.OneToOneField(
        Ticket, verbose_name="caso", on_delete=models.PROTECT, related_name="erased"
    )
    erasure = models.ForeignKey(
        Erasure, verbose_name="cancellazione", on_delete=models.PROTECT, related_name="cases"
    )

    class Meta:
        verbose_name = "caso anonimizzato"
        verbose_name_plural = "casi anonimizzati"

    def __str__(self) -> str:
        return f"caso {self.ticket_id}"
