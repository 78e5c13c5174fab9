"""Cases (tickets), the taxonomy they are filed under, and the rules that route them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ascolto.channels.models import Channel, Conversation, Message
from ascolto.citizens.models import Citizen, Identity
from ascolto.core.appendonly import AppendOnlyQuerySet
from ascolto.core.errors import DomainError, InvalidTransition
from ascolto.organisation.models import Office, Team
from ascolto.tickets.open311 import attributes as open311_questions


class Theme(models.Model):
    """A node of the city's taxonomy of requests: an area (Tributi), a theme within it (TARI) or
    a topic within that (dichiarazione). Reports group by area; routing rules match a node and
    everything below it. `path` is the materialised path of codes ("/tributi/tari/")."""

    class Level(models.IntegerChoices):
        AREA = 1, gettext_lazy("Area")
        THEME = 2, gettext_lazy("Tema")
        TOPIC = 3, gettext_lazy("Argomento")

    code = models.SlugField("codice", max_length=64, unique=True)
    name = models.CharField("nome", max_length=200)
    parent = models.ForeignKey(
        "self",
        verbose_name="superiore",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    level = models.PositiveSmallIntegerField("livello", choices=Level.choices, editable=False)
    path = models.CharField("percorso", max_length=255, editable=False, db_index=True)
    office = models.ForeignKey(
        Office,
        verbose_name="ufficio competente",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="themes",
    )
    is_active = models.BooleanField("attivo", default=True)
    position = models.PositiveSmallIntegerField("ordine", default=0)
    # Open311 GeoReport v2 (docs/open311.md): the themes offered to reporting apps as services,
    # with the Designers Italia "Segnalazione disservizio" category they fall in (the service's
    # group), a description for the app, and the extra questions of the service's definition
    # (`open311.services.Attribute`: code, datatype, required, description, values).
    open311_public = models.BooleanField(
        "servizio Open311",
        default=False,
        help_text="offerto alle app di segnalazione come servizio Open311",
    )
    disservice_category = models.CharField(
        "categoria di disservizio (Designers Italia)", max_length=100, blank=True
    )
    open311_description = models.CharField("descrizione per Open311", max_length=500, blank=True)
    open311_attributes = models.JSONField("domande aggiuntive (Open311)", default=list, blank=True)

    class Meta:
        verbose_name = "tema"
        verbose_name_plural = "temi"
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        parent = self.parent
        if parent is not None and parent.level >= Theme.Level.TOPIC:
            raise DomainError(_("Un argomento non può avere argomenti sotto di sé."))
        self.level = parent.level + 1 if parent is not None else Theme.Level.AREA
        self.path = f"{parent.path if parent is not None else '/'}{self.code}/"
        super().save(*args, **kwargs)

    def clean(self) -> None:
        try:
            open311_questions(self.open311_attributes)
        except DomainError as exc:
            raise ValidationError({"open311_attributes": exc.message}) from exc

    def area_code(self) -> str:
        return self.path.strip("/").split("/")[0]

    def ancestor_codes(self) -> list[str]:
        """Codes from this node up to its area, nearest first."""
        return list(reversed(self.path.strip("/").split("/")))


class Tag(models.Model):
    """A free label operators put on cases to find them later ('pagina-pass-sosta-poco-chiara')."""

    name = models.CharField("nome", max_length=100, unique=True)
    slug = models.SlugField("codice", max_length=100, unique=True)

    class Meta:
        verbose_name = "etichetta"
        verbose_name_plural = "etichette"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    """A named surge of requests the city plans for: the TARI bills, nursery enrolment, the
    renewal of parking permits. Cases are linked to it; it has its own period, key dates (the
    deadlines that drive calls), a task force and a dashboard."""

    code = models.SlugField("codice", max_length=64, unique=True)
    name = models.CharField("nome", max_length=200)
    description = models.TextField("descrizione", blank=True)
    theme = models.ForeignKey(
        Theme,
        verbose_name="tema",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaigns",
    )
    tag = models.ForeignKey(
        Tag,
        verbose_name="etichetta",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaigns",
    )
    task_force = models.ForeignKey(
        Office,
        verbose_name="task force",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaigns",
    )
    starts_on = models.DateField("inizio")
    ends_on = models.DateField("fine")
    key_dates = models.JSONField(
        "date chiave",
        default=list,
        blank=True,
        help_text='scadenze, es. [{"date": "2026-05-31", "label": "scadenza prima rata"}]',
    )

    class Meta:
        verbose_name = "campagna"
        verbose_name_plural = "campagne"
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="campaign_period"
            )
        ]

    def __str__(self) -> str:
        return self.name


class SlaPolicy(models.Model):
    """A service-level promise: how soon a case gets its first answer and its resolution. Scrivi
    promises an answer within 30 calendar days; a callback within the hour booked."""

    code = models.SlugField("codice", max_length=64, unique=True)
    name = models.CharField("nome", max_length=200)
    resolution_days = models.PositiveIntegerField("giorni per la risposta")
    working_days = models.BooleanField(
        "giorni lavorativi",
        default=False,
        help_text="contare solo i giorni lavorativi (esclusi sabato, domenica e festivi)",
    )
    first_response_hours = models.PositiveIntegerField(
        "ore per la prima risposta", null=True, blank=True
    )

    class Meta:
        verbose_name = "livello di servizio (SLA)"
        verbose_name_plural = "livelli di servizio (SLA)"

    def __str__(self) -> str:
        unit = "giorni lavorativi" if self.working_days else "giorni"
        return f"{self.name} ({self.resolution_days} {unit})"


class RoutingRule(models.Model):
    """Where a new case goes: by channel, theme (and everything below it) and kind, to an
    office, a team, a level and an SLA policy. The active rule with the lowest priority number
    that matches wins; empty conditions match anything."""

    name = models.CharField("nome", max_length=200)
    priority = models.PositiveIntegerField("priorità", default=100, help_text="più basso vince")
    channel_kind = models.CharField(
        "canale", max_length=20, choices=Channel.Kind.choices, blank=True
    )
    theme = models.ForeignKey(
        Theme,
        verbose_name="tema",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="routing_rules",
    )
    kind = models.CharField("tipo di richiesta", max_length=20, blank=True)
    office = models.ForeignKey(
        Office,
        verbose_name="ufficio",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="routing_rules",
    )
    team = models.ForeignKey(
        Team,
        verbose_name="team",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="routing_rules",
    )
    level = models.PositiveSmallIntegerField(
        "livello", choices=[(1, "Primo livello"), (2, "Secondo livello")], default=1
    )
    sla_policy = models.ForeignKey(
        SlaPolicy,
        verbose_name="SLA",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="routing_rules",
    )
    is_active = models.BooleanField("attiva", default=True)

    class Meta:
        verbose_name = "regola di smistamento"
        verbose_name_plural = "regole di smistamento"
        ordering = ["priority", "pk"]

    def __str__(self) -> str:
        return self.name


class Move(NamedTuple):
    """One move of the case workflow: the statuses a case may be in to make it, and the
    statuses it may lead to (several when it depends on the case: a reopened case goes back to
    the level that last worked on it)."""

    sources: frozenset[str]
    targets: frozenset[str]


def _follows(moves: Mapping[str, Move]) -> dict[str, frozenset[str]]:
    """Which status may follow which: every (source, target) pair of the moves."""
    statuses = {status for move in moves.values() for status in move.sources | move.targets}
    return {
        status: frozenset(
            t for move in moves.values() if status in move.sources for t in move.targets
        )
        for status in statuses
    }


class Ticket(models.Model):
    """A case: one request of a citizen, from the first message to its answer.

    It has a public tracking code the citizen can look it up by (random, not guessable), the
    channel it came from, a kind and a theme, the office, team and operator handling it, a
    status and an SLA due time. Every change is written by an action in `tickets/actions.py`,
    which records a `TicketEvent`; nothing else saves a ticket.
    """

    class Kind(models.TextChoices):
        INFORMATION = "information", gettext_lazy("Richiesta di informazioni")
        VERIFICATION = "verification", gettext_lazy("Richiesta di verifica")
        SUGGESTION = "suggestion", gettext_lazy("Suggerimento")
        COMPLAINT = "complaint", gettext_lazy("Reclamo")
        DISSERVICE = "disservice", gettext_lazy("Segnalazione di disservizio")
        APPOINTMENT = "appointment", gettext_lazy("Appuntamento")
        CALLBACK = "callback", gettext_lazy("Richiamata")

    class Status(models.TextChoices):
        NEW = "new", gettext_lazy("Nuovo")
        OPEN = "open", gettext_lazy("In lavorazione")
        OFFICE = "office", gettext_lazy("Assegnato a un ufficio")
        WAITING = "waiting", gettext_lazy("In attesa del cittadino")
        RESOLVED = "resolved", gettext_lazy("Risolto")
        CLOSED = "closed", gettext_lazy("Chiuso")
        CANCELLED = "cancelled", gettext_lazy("Annullato")

    class Level(models.IntegerChoices):
        FIRST = 1, gettext_lazy("Primo livello")
        SECOND = 2, gettext_lazy("Secondo livello")

    code = models.CharField("codice pratica", max_length=20, unique=True, editable=False)
    channel = models.ForeignKey(
        Channel,
        verbose_name="canale di origine",
        on_delete=models.PROTECT,
        related_name="tickets",
        db_index=False,  # `ticket_channel_idx` (channel, created_at) serves it
    )
    kind = models.CharField("tipo", max_length=20, choices=Kind.choices, default=Kind.INFORMATION)
    theme = models.ForeignKey(
        Theme,
        verbose_name="tema",
        db_index=False,  # `ticket_theme_idx` (theme, created_at) serves it
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    tags = models.ManyToManyField(Tag, verbose_name="etichette", blank=True, related_name="tickets")
    campaign = models.ForeignKey(
        Campaign,
        verbose_name="campagna",
        db_index=False,  # `ticket_campaign_idx` (campaign, created_at) serves it
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    level = models.PositiveSmallIntegerField("livello", choices=Level.choices, default=Level.FIRST)
    office = models.ForeignKey(
        Office,
        verbose_name="ufficio",
        db_index=False,  # `ticket_office_recent_idx` (office, -created_at) serves it
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    team = models.ForeignKey(
        Team,
        verbose_name="team",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="assegnatario",
        db_index=False,  # `ticket_assignee_idx` (assignee, status) serves it
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_tickets",
    )
    status = models.CharField("stato", max_length=12, choices=Status.choices, default=Status.NEW)
    citizen = models.ForeignKey(
        Citizen,
        verbose_name="cittadino",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    identity = models.ForeignKey(
        Identity,
        verbose_name="recapito",
        db_index=False,  # `analytics_ticket_identity_idx` (identity, created_at, …)
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    conversations = models.ManyToManyField(
        Conversation, verbose_name="conversazioni", blank=True, related_name="tickets"
    )
    subject = models.CharField("oggetto", max_length=255, blank=True)
    description = models.TextField("descrizione", blank=True)
    place = models.CharField("luogo", max_length=255, blank=True)
    resolution = models.TextField("risoluzione", blank=True)
    sla_policy = models.ForeignKey(
        SlaPolicy,
        verbose_name="SLA",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="tickets",
    )
    due_at = models.DateTimeField("scadenza", null=True, blank=True)
    sla_breached_at = models.DateTimeField("scadenza superata il", null=True, blank=True)
    first_response_at = models.DateTimeField("prima risposta", null=True, blank=True)
    resolved_at = models.DateTimeField("risolto il", null=True, blank=True)
    closed_at = models.DateTimeField("chiuso il", null=True, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name="unito al caso",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
    )
    satisfaction = models.PositiveSmallIntegerField("soddisfazione (1-5)", null=True, blank=True)
    created_at = models.DateTimeField("aperto il", default=timezone.now, db_index=True)
    updated_at = models.DateTimeField("aggiornato il", auto_now=True)

    ACTIVE = (Status.NEW, Status.OPEN, Status.OFFICE, Status.WAITING)
    FINAL = (Status.CLOSED, Status.CANCELLED)

    # The workflow as data: each move, from which statuses it may be made and where it leads.
    # The actions' guards (`tickets.actions`) check a case against its move before acting, and
    # the case page asks the same guards which actions to offer (`action_refusal`). Merging a
    # duplicate is not a move: it closes any case not yet final (see `merge_tickets`).
    MOVES: dict[str, Move] = {
        # the first assignment or reply of a new case
        "take": Move(frozenset({Status.NEW}), frozenset({Status.OPEN})),
        "escalate": Move(frozenset(ACTIVE), frozenset({Status.OFFICE})),
        "send_back": Move(frozenset({Status.OFFICE}), frozenset({Status.OPEN})),
        "wait": Move(
            frozenset({Status.NEW, Status.OPEN, Status.OFFICE}), frozenset({Status.WAITING})
        ),
        # the citizen writes on a case waiting for them, or resolved: back to its level
        "citizen_writes": Move(
            frozenset({Status.WAITING, Status.RESOLVED}), frozenset({Status.OPEN, Status.OFFICE})
        ),
        "resolve": Move(frozenset(ACTIVE), frozenset({Status.RESOLVED})),
        "close": Move(frozenset({Status.RESOLVED}), frozenset({Status.CLOSED})),
        "reopen": Move(
            frozenset({Status.RESOLVED, Status.CLOSED}), frozenset({Status.OPEN, Status.OFFICE})
        ),
        "cancel": Move(frozenset(ACTIVE), frozenset({Status.CANCELLED})),
    }
    # Which status may follow which (every move's pairs); `apply_status` checks it, and the error
    # names both ends of a refused move. A case is closed only once resolved; nothing leads back
    # to new, and a cancelled case never moves again.
    TRANSITIONS: dict[str, frozenset[str]] = {
        **dict.fromkeys(Status.values, frozenset()),
        **_follows(MOVES),
    }

    class Meta:
        verbose_name = "caso"
        verbose_name_plural = "casi"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "office"], name="ticket_status_office_idx"),
            models.Index(fields=["status", "theme"], name="ticket_status_theme_idx"),
            models.Index(fields=["office", "-created_at"], name="ticket_office_recent_idx"),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_idx"),
            models.Index(fields=["theme", "created_at"], name="ticket_theme_idx"),
            models.Index(fields=["channel", "created_at"], name="ticket_channel_idx"),
            models.Index(fields=["campaign", "created_at"], name="ticket_campaign_idx"),
            models.Index(
                fields=["due_at"],
                name="ticket_open_due_idx",
                condition=Q(status__in=["new", "open", "office", "waiting"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True)
                | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="ticket_satisfaction_range",
            )
        ]

    def __str__(self) -> str:
        return self.code

    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    def can_transition_to(self, status: str) -> bool:
        return status in self.TRANSITIONS.get(self.status, frozenset())

    def may(self, move: str) -> bool:
        """Whether this case's status allows `move` (a key of `MOVES`)."""
        return self.status in self.MOVES[move].sources

    def apply_status(self, status: str, at: datetime) -> str:
        """Move this row to `status` (checked against TRANSITIONS), keeping the resolution and
        closing times in step; return the previous status. Writes nothing: the caller saves the
        row and records the event."""
        if not self.can_transition_to(status):
            raise refusal(self.status, status, why_not(self.status, status))
        previous, self.status = self.status, status
        if status == self.Status.RESOLVED:
            self.resolved_at = at
        elif status == self.Status.CLOSED:
            self.closed_at = at
        elif previous in (self.Status.RESOLVED, self.Status.CLOSED):
            self.resolved_at = None
            self.closed_at = None
        return previous

    def is_overdue(self, at: Any = None) -> bool:
        at = at or timezone.now()
        return self.is_active() and self.due_at is not None and self.due_at < at

    def thread(self) -> models.QuerySet[Message]:
        """The messages of this case's conversations, as its page shows them.

        A merged duplicate holds only the messages recorded up to its merge (`closed_at`, set by
        `merge_tickets`; a merged case is never reopened, so it stays put). Its conversations
        stay linked to it, because it was opened from them and reports count them, but they go
        on in the kept case, which may belong to another office: a later note or reply there is
        the kept case's, and must not show on the duplicate to whoever could see only the
        duplicate. The cut is on `created_at` (when we recorded the message), not `sent_at`
        (what the channel claims), so a late-delivered email is not backdated into it.

        Likewise a conversation that opened a later case (the citizen wrote again on the thread
        of this case once it was closed) goes on in that case, which may be another office's:
        its messages from the later case's opening on are not this case's. Cases merged into
        this one are not "later cases": what they hold is this case's.
        """
        messages = Message.objects.filter(conversation__tickets=self)
        if self.parent_id is not None and self.closed_at is not None:
            messages = messages.filter(created_at__lte=self.closed_at)
        later = (
            Ticket.objects.filter(
                conversations=models.OuterRef("conversation"),
                created_at__gt=self.created_at,
                created_at__lte=models.OuterRef("created_at"),
            )
            .exclude(pk=self.pk)
            .exclude(parent_id=self.pk)
        )
        return messages.exclude(models.Exists(later))


def why_not(current: str, requested: str) -> str:
    """Why a case in `current` cannot move to `requested`, in words an operator understands."""
    if current == Ticket.Status.CANCELLED:
        return _("un caso annullato non può più cambiare")
    if current == requested:
        return _("il caso è già in questo stato")
    if requested == Ticket.Status.CLOSED:
        return _("risolvi il caso prima di chiuderlo")
    if current in (Ticket.Status.RESOLVED, Ticket.Status.CLOSED):
        return _("riapri prima il caso")
    return ""


# Names of the moves that are not statuses, for refusal messages.
MOVES = {
    "assigned": gettext_lazy("Assegnato"),
    "replied": gettext_lazy("Risposta inviata"),
    "merged": gettext_lazy("Unito"),
}


def status_label(value: str) -> str:
    """The name of a status (or of a move such as 'assigned') for messages."""
    if value in Ticket.Status.values:
        return str(Ticket.Status(value).label)
    return str(MOVES.get(value, value))


def refusal(current: str, requested: str, reason: str = "") -> InvalidTransition:
    """The `InvalidTransition` for a refused move, its message naming both statuses."""
    message = _("Il caso non può passare da «%(current)s» a «%(requested)s»") % {
        "current": status_label(current),
        "requested": status_label(requested),
    }
    message += f": {reason}" if reason else "."
    return InvalidTransition(current, requested, reason, message=message)


class TicketEvent(models.Model):
    """One change in the life of a case: who did what, when. Append-only: rows are never
    updated or deleted, and every time-based figure (first response, resolution time, time spent
    at each level) is computed from them."""

    class Kind(models.TextChoices):
        OPENED = "opened", gettext_lazy("Aperto")
        MESSAGE = "message", gettext_lazy("Messaggio del cittadino")
        REPLIED = "replied", gettext_lazy("Risposta inviata")
        NOTE = "note", gettext_lazy("Nota interna")
        STATUS = "status", gettext_lazy("Cambio di stato")
        ASSIGNED = "assigned", gettext_lazy("Assegnato")
        ESCALATED = "escalated", gettext_lazy("Passato a un ufficio")
        SENT_BACK = "sent_back", gettext_lazy("Restituito al primo livello")
        THEME = "theme", gettext_lazy("Tema cambiato")
        KIND = "kind", gettext_lazy("Tipo cambiato")
        TAGGED = "tagged", gettext_lazy("Etichette")
        CAMPAIGN = "campaign", gettext_lazy("Campagna")
        MERGED = "merged", gettext_lazy("Unito")
        CITIZEN = "citizen", gettext_lazy("Cittadino cambiato")
        SLA = "sla", gettext_lazy("Scadenza")
        SLA_BREACHED = "sla_breached", gettext_lazy("Scadenza superata")

    ticket = models.ForeignKey(
        Ticket, verbose_name="caso", on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField("tipo", max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="autore",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField("quando", default=timezone.now)
    from_value = models.CharField("da", max_length=255, blank=True)
    to_value = models.CharField("a", max_length=255, blank=True)
    data = models.JSONField("dettagli", default=dict, blank=True)

    # Append-only on every path (core/appendonly.py): the queryset refuses update() and
    # delete(), and a cascade from a deleted case, unless the demo's wipe of every case opened
    # its escape; on PostgreSQL a trigger refuses UPDATE and DELETE from anywhere (migration
    # 0007). Events go only with their case, and no action deletes a case.
    append_only_escape = "erase_cases"
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = "evento del caso"
        verbose_name_plural = "eventi dei casi"
        ordering = ["at", "pk"]
        base_manager_name = "objects"  # Django's own updates and cascades go through the guard
        indexes = [
            models.Index(fields=["ticket", "at"], name="ticketevent_ticket_idx"),
            models.Index(fields=["kind", "at"], name="ticketevent_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.at:%d/%m/%Y %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise DomainError(_("Gli eventi di un caso si aggiungono soltanto: non si modificano."))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise DomainError(_("Gli eventi di un caso si aggiungono soltanto: non si cancellano."))

    @property
    def system(self) -> str:
        """The external system that made this change through the API (its token's name), when
        no operator did (`core.acting.acting_system`); "" otherwise."""
        found = self.data.get("system") if isinstance(self.data, dict) else None
        return str(found) if found and self.actor_id is None else ""


class CasePresence(models.Model):
    """Who has a case's page open, and whether they are writing on it: one row per (case, user),
    its `seen_at` moved by the page's short poll. Rows older than `PRESENCE_SECONDS` count as
    gone; they are overwritten, never piled up."""

    ticket = models.ForeignKey(
        Ticket, verbose_name="caso", on_delete=models.CASCADE, related_name="presences"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="utente",
        on_delete=models.CASCADE,
        related_name="+",
    )
    seen_at = models.DateTimeField("visto il", default=timezone.now)
    typing = models.BooleanField("sta scrivendo", default=False)

    class Meta:
        verbose_name = "presenza sul caso"
        verbose_name_plural = "presenze sui casi"
        constraints = [
            models.UniqueConstraint(fields=["ticket", "user"], name="casepresence_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} · {self.user_id}"
