"""Service charters (carte dei servizi) and their quality indicators.

A charter is the city's public promise about one service: what the citizen may expect, in
commitments with a number (answered within 30 days, a queue wait under 2 minutes). Each
commitment is a `QualityIndicator` whose value is computed from the cases, calls and survey
answers of a period (`charters.indicators`), never typed in (decision 0024)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy


class ServiceCharter(models.Model):
    """The charter of one service: its document, when it was issued and last updated, when the
    next update is planned and where its update stands. Published, it has a page under
    /trasparenza/carte-dei-servizi/ with its indicators measured."""

    class UpdateState(models.TextChoices):
        NOT_STARTED = "not_started", gettext_lazy("Non avviato")
        IN_PROGRESS = "in_progress", gettext_lazy("In corso")
        APPROVAL = "approval", gettext_lazy("In approvazione")
        UPDATED = "updated", gettext_lazy("Aggiornata")

    title = models.CharField("titolo", max_length=200)
    slug = models.SlugField("indirizzo", max_length=80, unique=True)
    service = models.ForeignKey(
        "surveys.Service",
        verbose_name="servizio",
        on_delete=models.PROTECT,
        related_name="charters",
    )
    office = models.ForeignKey(
        "organisation.Office",
        verbose_name="ufficio responsabile",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="charters",
    )
    summary = models.TextField("presentazione", blank=True)
    issued_on = models.DateField("data di emanazione")
    updated_on = models.DateField("ultimo aggiornamento", null=True, blank=True)
    next_update_on = models.DateField("prossimo aggiornamento previsto", null=True, blank=True)
    update_state = models.CharField(
        "stato dell'aggiornamento",
        max_length=12,
        choices=UpdateState.choices,
        default=UpdateState.NOT_STARTED,
    )
    document_url = models.URLField("documento", blank=True, help_text="il PDF della carta")
    # The charter's PDF uploaded here instead (or as well): stored under a random name outside
    # the served folders (`charters.documents`), downloaded from the public page.
    document_file = models.CharField("file del documento", max_length=200, blank=True)
    document_name = models.CharField("nome del documento", max_length=100, blank=True)
    document_size = models.PositiveIntegerField("dimensione del documento (byte)", default=0)
    published = models.BooleanField("pubblicata", default=False)
    created_at = models.DateTimeField("creata il", default=timezone.now)

    class Meta:
        verbose_name = "carta dei servizi"
        verbose_name_plural = "carte dei servizi"
        ordering = ["title", "pk"]

    def __str__(self) -> str:
        return self.title


class QualityIndicator(models.Model):
    """One commitment of a charter, measured: a formula from a fixed list
    (`charters.indicators.FORMULAS`) with its parameters (a theme, a queue, a number of days),
    a target and whether the value must stay at least or at most that, computed per month,
    quarter or year."""

    class Formula(models.TextChoices):
        ANSWERED_WITHIN = (
            "answered_within",
            gettext_lazy("Quota di richieste con risposta entro N giorni"),
        )
        RESOLVED_WITHIN = (
            "resolved_within",
            gettext_lazy("Quota di richieste risolte entro N giorni"),
        )
        MEAN_RESOLUTION = "mean_resolution", gettext_lazy("Tempo medio di risoluzione (giorni)")
        COMPLAINT_SHARE = "complaint_share", gettext_lazy("Quota di reclami sulle richieste")
        QUEUE_WAIT = "queue_wait", gettext_lazy("Attesa media in coda (secondi)")
        CALLS_ANSWERED = "calls_answered", gettext_lazy("Quota di chiamate con risposta")
        CALLS_ABANDONED = "calls_abandoned", gettext_lazy("Quota di chiamate abbandonate")
        CSAT = "csat", gettext_lazy("Soddisfazione media (1-5)")
        SATISFIED_SHARE = "satisfied_share", gettext_lazy("Quota di utenti soddisfatti (4-5)")
        NPS = "nps", gettext_lazy("Net Promoter Score")

    class Direction(models.TextChoices):
        AT_LEAST = "at_least", gettext_lazy("almeno")
        AT_MOST = "at_most", gettext_lazy("al massimo")

    class Frequency(models.TextChoices):
        MONTH = "month", gettext_lazy("Mese")
        QUARTER = "quarter", gettext_lazy("Trimestre")
        YEAR = "year", gettext_lazy("Anno")

    charter = models.ForeignKey(ServiceCharter, on_delete=models.CASCADE, related_name="indicators")
    name = models.CharField("impegno", max_length=200)
    description = models.TextField("descrizione", blank=True)
    formula = models.CharField("formula", max_length=20, choices=Formula.choices)
    parameters = models.JSONField("parametri", default=dict, blank=True)
    target = models.FloatField("obiettivo")
    direction = models.CharField(
        "l'obiettivo è", max_length=10, choices=Direction.choices, default=Direction.AT_LEAST
    )
    unit = models.CharField("unità", max_length=20, blank=True)
    period = models.CharField(
        "periodo di misura", max_length=10, choices=Frequency.choices, default=Frequency.MONTH
    )
    position = models.PositiveSmallIntegerField("ordine", default=0)

    class Meta:
        verbose_name = "indicatore di qualità"
        verbose_name_plural = "indicatori di qualità"
        ordering = ["charter", "position", "pk"]

    def __str__(self) -> str:
        return self.name
