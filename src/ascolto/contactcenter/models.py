"""What the telephony system tells us about calls to 020202."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy

from ascolto.channels.models import Conversation
from ascolto.citizens.models import Identity


class CallRecord(models.Model):
    """A call as the telephony system saw it: which queue it reached through the IVR, when it
    arrived, how long the citizen waited, how long they talked with the operator, or that they
    hung up before an answer. The source of answer rate, queue wait and call-volume forecasts.
    Linked to its conversation (and through it to the case the operator logged, if any)."""

    # Unique through `call_external_id_unique` below, not `unique=True`: on PostgreSQL that also
    # builds a second index for LIKE searches that nothing makes, and every import pays for it.
    external_id = models.CharField("id della chiamata", max_length=64)
    conversation = models.OneToOneField(
        Conversation,
        verbose_name="conversazione",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="call",
    )
    caller = models.ForeignKey(
        Identity,
        verbose_name="chiamante",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
        help_text="vuoto per le chiamate anonime",
        db_index=False,  # `call_caller_idx` (caller, arrived_at) serves it
    )
    queue = models.CharField("coda", max_length=64)
    ivr_path = models.CharField("percorso IVR", max_length=255, blank=True)
    arrived_at = models.DateTimeField("arrivo")
    answered_at = models.DateTimeField("risposta", null=True, blank=True)
    ended_at = models.DateTimeField("fine")
    wait_seconds = models.PositiveIntegerField("attesa in coda (s)")
    talk_seconds = models.PositiveIntegerField("conversazione (s)", default=0)
    abandoned = models.BooleanField("abbandonata", default=False)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="operatore",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
    )

    class Meta:
        verbose_name = "chiamata"
        verbose_name_plural = "chiamate"
        ordering = ["-arrived_at"]
        indexes = [
            models.Index(fields=["arrived_at"], name="call_arrived_idx"),
            models.Index(fields=["queue", "arrived_at"], name="call_queue_idx"),
            models.Index(fields=["caller", "arrived_at"], name="call_caller_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["external_id"], name="call_external_id_unique"),
            models.CheckConstraint(
                condition=Q(abandoned=False) | Q(talk_seconds=0), name="call_abandoned_no_talk"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__gte=models.F("arrived_at")), name="call_ends_after_arrival"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.queue} · {self.arrived_at:%d/%m/%Y %H:%M}"


class ForecastRun(models.Model):
    """One forecast of calls arriving at the contact center: which history it was fitted on,
    which model won the rolling-origin cross-validation and with what error, and the staffing
    targets used to turn it into operators. Its points are `ForecastPoint`s."""

    class Source(models.TextChoices):
        CALL_RECORDS = "call_records", gettext_lazy("Chiamate registrate")
        CSV = "csv", gettext_lazy("File CSV")

    created_at = models.DateTimeField("creato il", auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="creato da",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source = models.CharField("dati", max_length=20, choices=Source.choices)
    interval_minutes = models.PositiveSmallIntegerField("intervallo (minuti)")
    history_start = models.DateTimeField("storico dal")
    history_end = models.DateTimeField("storico al")
    horizon_start = models.DateTimeField("previsione dal")
    horizon_end = models.DateTimeField("previsione al")
    model_name = models.CharField("modello scelto", max_length=64)
    mase = models.FloatField("MASE", null=True, blank=True)
    rmse = models.FloatField("RMSE", null=True, blank=True)
    candidates = models.JSONField(
        "modelli confrontati",
        default=list,
        blank=True,
        help_text="errore di validazione incrociata di ogni modello candidato",
    )
    totals = models.JSONField(
        "totali",
        default=dict,
        blank=True,
        help_text="per giorno, settimana e mese: chiamate previste con intervalli all'80 % e 95 %",
    )
    notes = models.JSONField(
        "note",
        default=list,
        blank=True,
        help_text=(
            "che cosa la previsione ha notato: giorni chiusi con chiamate, confronti scartati, "
            "modelli esclusi (vedi contactcenter.actions.forecast_notes)"
        ),
    )
    staffing = models.JSONField(
        "obiettivi di servizio",
        default=dict,
        blank=True,
        help_text="livello di servizio, tempo medio di gestione, shrinkage, pazienza",
    )

    class Meta:
        verbose_name = "previsione delle chiamate"
        verbose_name_plural = "previsioni delle chiamate"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        period = f"{self.horizon_start:%d/%m/%Y}–{self.horizon_end:%d/%m/%Y}"
        return f"Previsione {period} ({self.model_name})"


class CalendarSettings(models.Model):
    """The contact center's operating calendar: the days of the week the line answers, the
    public holidays of its country and region, the city's patron day, and the extra closed and
    open days (a strike, an extraordinary Saturday before a deadline). Forecasts follow it; a
    single row, edited by supervisors on the contact-center page."""

    country = models.CharField(
        "paese",
        max_length=3,
        default="IT",
        blank=True,
        help_text="codice ISO delle festività nazionali (IT); vuoto: nessuna festività",
    )
    subdivision = models.CharField(
        "provincia o regione",
        max_length=10,
        default="MI",
        blank=True,
        help_text="sigla della provincia per le festività locali (MI: Sant'Ambrogio)",
    )
    patron_month = models.PositiveSmallIntegerField("mese del santo patrono", null=True, blank=True)
    patron_day = models.PositiveSmallIntegerField("giorno del santo patrono", null=True, blank=True)
    weekdays = models.JSONField(
        "giorni di apertura",
        default=list,
        blank=True,
        help_text="0 = lunedì … 6 = domenica; vuoto: appresi dalle chiamate",
    )
    closed_on_holidays = models.BooleanField("chiuso nei giorni festivi", default=True)
    closed_dates = models.JSONField("altri giorni di chiusura", default=list, blank=True)
    open_dates = models.JSONField("aperture straordinarie", default=list, blank=True)
    updated_at = models.DateTimeField("aggiornato il", auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="aggiornato da",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "calendario di apertura"
        verbose_name_plural = "calendario di apertura"

    def __str__(self) -> str:
        return "Calendario di apertura"


class ForecastJob(models.Model):
    """A forecast a supervisor started from the contact-center page, run in the background by
    the task worker: its progress (one step per candidate model, then staffing), and the run it
    made or why it made none. The page polls it."""

    class Status(models.TextChoices):
        QUEUED = "queued", gettext_lazy("In coda")
        RUNNING = "running", gettext_lazy("In corso")
        DONE = "done", gettext_lazy("Fatta")
        FAILED = "failed", gettext_lazy("Non riuscita")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="richiesta da",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    horizon_days = models.PositiveSmallIntegerField("giorni da prevedere")
    interval_minutes = models.PositiveSmallIntegerField("intervallo (minuti)")
    status = models.CharField("stato", max_length=10, choices=Status.choices, default=Status.QUEUED)
    step = models.PositiveSmallIntegerField("passo", default=0)
    steps = models.PositiveSmallIntegerField("passi", default=1)
    doing = models.CharField("in corso", max_length=100, blank=True)
    error = models.TextField("motivo", blank=True)
    run = models.ForeignKey(
        ForecastRun,
        verbose_name="previsione",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("richiesta il", auto_now_add=True)
    started_at = models.DateTimeField("iniziata il", null=True, blank=True)
    finished_at = models.DateTimeField("finita il", null=True, blank=True)

    class Meta:
        verbose_name = "previsione richiesta"
        verbose_name_plural = "previsioni richieste"
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Previsione richiesta {self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        """How far it has got, for the progress bar."""
        if self.status == self.Status.DONE:
            return 100
        return min(99, round(100 * self.step / max(self.steps, 1)))

    @property
    def active(self) -> bool:
        return self.status in {self.Status.QUEUED, self.Status.RUNNING}


class ForecastPoint(models.Model):
    """Calls expected in one interval of one series (a queue), with 80 % and 95 % prediction
    intervals; the operators that interval requires (on headsets, and rostered once shrinkage is
    added); and the operators the shift plan puts on it. Where the plan exceeds the requirement
    there is spare capacity, offered to citizens as callback slots."""

    run = models.ForeignKey(
        ForecastRun, verbose_name="previsione", on_delete=models.CASCADE, related_name="points"
    )
    series = models.CharField("serie", max_length=64)
    start = models.DateTimeField("inizio intervallo")
    calls = models.FloatField("chiamate previste")
    lo80 = models.FloatField("minimo 80 %")
    hi80 = models.FloatField("massimo 80 %")
    lo95 = models.FloatField("minimo 95 %")
    hi95 = models.FloatField("massimo 95 %")
    agents = models.PositiveIntegerField("operatori necessari", null=True, blank=True)
    rostered = models.PositiveIntegerField("operatori da pianificare", null=True, blank=True)
    scheduled = models.PositiveIntegerField(
        "operatori in turno", null=True, blank=True, help_text="dal piano dei turni"
    )

    class Meta:
        verbose_name = "punto di previsione"
        verbose_name_plural = "punti di previsione"
        ordering = ["run", "series", "start"]
        constraints = [
            models.UniqueConstraint(fields=["run", "series", "start"], name="forecastpoint_unique")
        ]

    def __str__(self) -> str:
        return f"{self.series} {self.start:%d/%m/%Y %H:%M}: {self.calls:.1f}"


class CallbackBooking(models.Model):
    """A citizen asked to be called back in a slot (through an operator, the IVR, the chatbot or
    the web). The booking is a case of kind callback whose due time is the end of the slot; the
    slot was offered because the forecast left spare capacity in it."""

    class Via(models.TextChoices):
        OPERATOR = "operator", gettext_lazy("Operatore")
        IVR = "ivr", gettext_lazy("Risponditore automatico")
        CHATBOT = "chatbot", gettext_lazy("Chatbot")
        WEB = "web", gettext_lazy("Sito web")

    ticket = models.OneToOneField(
        "tickets.Ticket", verbose_name="caso", on_delete=models.CASCADE, related_name="callback"
    )
    phone = models.CharField("numero da richiamare", max_length=20)
    slot_start = models.DateTimeField("dalle")
    slot_end = models.DateTimeField("alle")
    requested_via = models.CharField("richiesta tramite", max_length=10, choices=Via.choices)
    created_at = models.DateTimeField("prenotata il", auto_now_add=True)

    class Meta:
        verbose_name = "richiamata prenotata"
        verbose_name_plural = "richiamate prenotate"
        ordering = ["slot_start"]
        indexes = [models.Index(fields=["slot_start"], name="callback_slot_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(slot_end__gt=models.F("slot_start")), name="callback_slot_order"
            )
        ]

    def __str__(self) -> str:
        return f"Richiamata {self.slot_start:%d/%m %H:%M}"


class IncomingCall(models.Model):
    """A call ringing on an operator's extension, as the telephony system announced it ("call
    started"): the console of that operator opens the caller's panel once (screen-pop) and the
    call form starts from this number and call id. `seen_at` is set when the console has
    shown it."""

    call_id = models.CharField("id della chiamata", max_length=64, unique=True)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="operatore",
        on_delete=models.CASCADE,
        related_name="incoming_calls",
    )
    phone = models.CharField("numero del chiamante", max_length=40, blank=True)
    queue = models.CharField("coda", max_length=64, blank=True)
    started_at = models.DateTimeField("inizio della chiamata")
    created_at = models.DateTimeField("ricevuta il", auto_now_add=True)
    seen_at = models.DateTimeField("mostrata il", null=True, blank=True)

    class Meta:
        verbose_name = "chiamata in arrivo"
        verbose_name_plural = "chiamate in arrivo"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["operator", "seen_at", "created_at"], name="incoming_pending_idx")
        ]

    def __str__(self) -> str:
        return f"{self.call_id} → {self.operator}"


class IvrNode(models.Model):
    """One choice of the IVR menu of 020202 ("premi 1 per l'anagrafe"): the key the caller
    presses (`code`), what the recorded voice says (`label`), the menu it belongs to (`parent`)
    and where the call goes from there: deeper into the menu (nothing), to a queue of operators,
    to any operator, or the end of the call (the recording answered the question). `path` is
    the keys from the top joined by ">", as the telephony system writes `CallRecord.ivr_path`
    ("1>3"); kept by `save()`."""

    OPERATOR = "operator"
    END = "end"

    code = models.CharField(
        "tasto",
        max_length=8,
        validators=[RegexValidator(r"^[0-9*#]+$", "Un tasto del telefono: cifre, * o #.")],
    )
    label = models.CharField("voce", max_length=200)
    parent = models.ForeignKey(
        "self",
        verbose_name="menu superiore",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
    )
    transfer = models.CharField(
        "trasferisce a",
        max_length=64,
        blank=True,
        help_text=(
            'il nome di una coda, "operator" (qualunque operatore) o "end" (fine della '
            "chiamata: la registrazione risponde); vuoto per un menu con altre voci"
        ),
    )
    path = models.CharField("percorso", max_length=255, unique=True, editable=False)

    class Meta:
        verbose_name = "voce del risponditore (IVR)"
        verbose_name_plural = "voci del risponditore (IVR)"
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "code"], name="ivr_node_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.path} · {self.label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        old_path = self.path
        self.path = f"{self.parent.path}{IVR_SEPARATOR}{self.code}" if self.parent else self.code
        super().save(*args, **kwargs)
        if old_path and old_path != self.path:
            # A key changed or the choice moved: its whole submenu moves with it.
            for child in self.children.all():
                child.save()

    def depth(self) -> int:
        return self.path.count(IVR_SEPARATOR) + 1


IVR_SEPARATOR = ">"  # as in CallRecord.ivr_path: the keys pressed, from the top menu down
