"""The virtual assistant: its menus (versioned, edited in the console), the sessions it holds
with citizens on WhatsApp and the web chat, and what the overview counts.

A session is keyed by a salted hash of the citizen's handle and holds no name or number
(decision 0016): the only copy of a WhatsApp number is on a queued `Reply`, cleared once the
Graph API accepted it. Turns, node use, hand-offs, forms, unanswered questions and survey
answers are rows with a time, so the overview reads them by month.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy


def _key() -> str:
    return uuid.uuid4().hex[:12]


class Menu(models.Model):
    """A menu of the assistant (the city's WhatsApp menu A–M, the web chat's): a code the
    channel's configuration names (`assistant_menu`), and its versions."""

    code = models.SlugField("codice", max_length=50, unique=True)
    name = models.CharField("nome", max_length=120)
    created_at = models.DateTimeField("creato il", default=timezone.now)

    class Meta:
        verbose_name = "menu dell'assistente"
        verbose_name_plural = "menu dell'assistente"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    def published(self) -> MenuVersion | None:
        """The version citizens see now, if one is published."""
        return self.versions.filter(status=MenuVersion.Status.PUBLISHED).first()


class MenuVersion(models.Model):
    """One version of a menu: a draft being edited, the published one (one per menu), or a
    retired one that sessions started on it may still be using. Published versions are never
    edited: a change is a new draft (`assistant.menus.draft_from`) then `publish`."""

    class Status(models.TextChoices):
        DRAFT = "draft", gettext_lazy("Bozza")
        PUBLISHED = "published", gettext_lazy("Pubblicata")
        RETIRED = "retired", gettext_lazy("Ritirata")

    menu = models.ForeignKey(Menu, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField("versione")
    status = models.CharField(
        "stato", max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    # The first message of a session: what the assistant is, and that it keeps no name or number.
    greeting = models.TextField("messaggio di benvenuto", blank=True)
    created_at = models.DateTimeField("creata il", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="creata da",
    )
    published_at = models.DateTimeField("pubblicata il", null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="pubblicata da",
    )

    class Meta:
        verbose_name = "versione del menu"
        verbose_name_plural = "versioni del menu"
        ordering = ["menu", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["menu", "number"], name="assistant_version_number"),
            models.UniqueConstraint(
                fields=["menu"],
                condition=models.Q(status="published"),
                name="assistant_one_published_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.menu} v{self.number}"

    def roots(self) -> models.QuerySet[MenuNode]:
        """The nodes of the top menu, in order."""
        return self.nodes.filter(parent__isnull=True).order_by("position", "letter")


class MenuNode(models.Model):
    """One entry of a menu version: its letter and label in the parent's list, the text shown
    when chosen, and what it does (`kind`).

    - `submenu`: its children are listed;
    - `card`: an information card, the `article`'s summary and link (or `text` and `url`);
    - `link`: `text` and `url`;
    - `form`: `fields` asked one by one (each `{"name", "label", "type", "required",
      "validation"}`; type text | email | phone | number | date | choice with `choices`);
      submitting opens a case through intake with the answers as text and `theme_code`;
    - `handoff`: `handoff` says to whom: an operator in the console (a case of the channel with
      the bot's transcript), a link to Scrivi (`url`), or the contact number (`phone`).

    `key` stays the same across versions (copied by `draft_from`), so node use is counted per
    node whatever version a session ran on.
    """

    class Kind(models.TextChoices):
        SUBMENU = "submenu", gettext_lazy("Sottomenu")
        CARD = "card", gettext_lazy("Scheda informativa")
        LINK = "link", gettext_lazy("Collegamento")
        FORM = "form", gettext_lazy("Modulo")
        HANDOFF = "handoff", gettext_lazy("Passaggio a un operatore")

    class Handoff(models.TextChoices):
        OPERATOR = "operator", gettext_lazy("Operatore nella console")
        SCRIVI = "scrivi", gettext_lazy("Collegamento a Scrivi")
        PHONE = "phone", gettext_lazy("Numero di contatto")

    version = models.ForeignKey(MenuVersion, on_delete=models.CASCADE, related_name="nodes")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    key = models.CharField("identificativo stabile", max_length=12, default=_key)
    position = models.PositiveIntegerField("posizione", default=0)
    letter = models.CharField("lettera", max_length=2)
    label = models.CharField("etichetta", max_length=72)
    text = models.TextField("testo", blank=True)
    kind = models.CharField("tipo", max_length=10, choices=Kind.choices, default=Kind.SUBMENU)
    article = models.ForeignKey(
        "knowledge.Article",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="articolo",
    )
    url = models.URLField("collegamento", blank=True)
    phone = models.CharField("numero di contatto", max_length=40, blank=True)
    fields = models.JSONField("campi del modulo", default=list, blank=True)
    handoff = models.CharField("passaggio a", max_length=10, choices=Handoff.choices, blank=True)
    theme_code = models.CharField("tema (codice)", max_length=50, blank=True)

    class Meta:
        verbose_name = "voce del menu"
        verbose_name_plural = "voci del menu"
        ordering = ["version", "parent_id", "position", "letter"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="assistant_node_key"),
        ]

    def __str__(self) -> str:
        return f"{self.letter}. {self.label}"

    def path(self) -> str:
        """The letters from the top menu to this node, e.g. `B.2`."""
        letters = []
        node: MenuNode | None = self
        while node is not None:
            letters.append(node.letter)
            node = node.parent
        return ".".join(reversed(letters))


class Session(models.Model):
    """A conversation of one citizen with the assistant, from the first message until idle for
    `engine.SESSION_IDLE` (or the end of a hand-off).

    `key` is a salted hash of the channel and the citizen's handle (WhatsApp id) or, on the web
    chat, of a random cookie token: no name or number. `version` is the menu version the session
    started on; it is kept until the session returns to the top menu, so publishing a new version
    never breaks a session in progress. `state` holds where the citizen is (the node, a form's
    answers while it is being filled; those are cleared when it is submitted or abandoned).
    """

    class Kind(models.TextChoices):
        WHATSAPP = "whatsapp", gettext_lazy("WhatsApp")
        WEB = "web", gettext_lazy("Chat sul sito")

    class Mode(models.TextChoices):
        BOT = "bot", gettext_lazy("Con l'assistente")
        FORM = "form", gettext_lazy("Compila un modulo")
        SURVEY = "survey", gettext_lazy("Questionario")
        HANDOFF = "handoff", gettext_lazy("Con un operatore")

    key = models.CharField("chiave (hash)", max_length=64, db_index=True)
    kind = models.CharField("canale", max_length=10, choices=Kind.choices)
    channel = models.CharField("codice del canale", max_length=50, blank=True)
    version = models.ForeignKey(
        MenuVersion, on_delete=models.PROTECT, related_name="sessions", verbose_name="versione"
    )
    mode = models.CharField("modalità", max_length=10, choices=Mode.choices, default=Mode.BOT)
    state: models.JSONField[dict[str, Any]] = models.JSONField("stato", default=dict)
    started_at = models.DateTimeField("iniziata il", default=timezone.now, db_index=True)
    last_at = models.DateTimeField("ultimo messaggio", default=timezone.now)
    # When the citizen last wrote: the 24-hour window of WhatsApp counts from here.
    last_inbound_at = models.DateTimeField("ultimo messaggio del cittadino", null=True)
    ended_at = models.DateTimeField("terminata il", null=True, blank=True)
    survey_sent_at = models.DateTimeField("questionario inviato il", null=True, blank=True)

    class Meta:
        verbose_name = "sessione dell'assistente"
        verbose_name_plural = "sessioni dell'assistente"
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["key", "ended_at"], name="assistant_session_open")]

    def __str__(self) -> str:
        return f"sessione {self.pk} ({self.kind})"


class Turn(models.Model):
    """One message of a session, in or out, with what it was (`kind`) and the node it touched.
    No text is stored (the unanswered questions are kept apart, on purpose). `inbound_key`, a
    hash of the channel's message id, makes a re-delivered message one turn."""

    class Direction(models.TextChoices):
        INBOUND = "in", gettext_lazy("Ricevuto")
        OUTBOUND = "out", gettext_lazy("Inviato")

    class Kind(models.TextChoices):
        GREETING = "greeting", gettext_lazy("Benvenuto")
        CHOICE = "choice", gettext_lazy("Scelta di una voce")
        MENU = "menu", gettext_lazy("Menu")
        BACK = "back", gettext_lazy("Indietro")
        FREE_TEXT = "free_text", gettext_lazy("Testo libero")
        SUGGESTION = "suggestion", gettext_lazy("Risposte proposte")
        UNANSWERED = "unanswered", gettext_lazy("Domanda senza risposta")
        NODE = "node", gettext_lazy("Voce mostrata")
        FORM_FIELD = "form_field", gettext_lazy("Campo del modulo")
        FORM_SUBMITTED = "form", gettext_lazy("Modulo inviato")
        HANDOFF = "handoff", gettext_lazy("Passaggio a un operatore")
        ALERTS = "alerts", gettext_lazy("Avvisi")
        SURVEY = "survey", gettext_lazy("Questionario")
        RELAYED = "relayed", gettext_lazy("Inoltrato all'operatore")

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="turns")
    direction = models.CharField("direzione", max_length=3, choices=Direction.choices)
    kind = models.CharField("tipo", max_length=12, choices=Kind.choices)
    node_key = models.CharField("voce", max_length=12, blank=True, db_index=True)
    node = models.ForeignKey(
        MenuNode, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField("il", default=timezone.now, db_index=True)
    inbound_key = models.CharField("messaggio (hash)", max_length=64, null=True, blank=True)

    class Meta:
        verbose_name = "turno"
        verbose_name_plural = "turni"
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["inbound_key"], name="assistant_turn_once"),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class Unanswered(models.Model):
    """A question the assistant could not answer, with its text (the editors read these to
    decide what to add); counted most frequent first by the overview."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="unanswered")
    text = models.CharField("domanda", max_length=500)
    node_key = models.CharField("voce", max_length=12, blank=True)
    at = models.DateTimeField("il", default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "domanda senza risposta"
        verbose_name_plural = "domande senza risposta"
        ordering = ["-at"]

    def __str__(self) -> str:
        return self.text[:60]


class SurveyAnswer(models.Model):
    """The survey of a session ("Ti sono stato utile?" and an optional suggestion), asked once
    after `engine.SURVEY_AFTER` of inactivity; `path` is the menu path the session had reached
    (letters, e.g. `B.2`), `node_key` its last node."""

    session = models.OneToOneField(Session, on_delete=models.CASCADE, related_name="survey")
    path = models.CharField("percorso nel menu", max_length=100, blank=True)
    node_key = models.CharField("voce", max_length=12, blank=True)
    asked_at = models.DateTimeField("chiesto il", default=timezone.now, db_index=True)
    useful = models.BooleanField("utile", null=True)
    suggestion = models.TextField("suggerimento", blank=True)
    answered_at = models.DateTimeField("risposto il", null=True, blank=True)

    class Meta:
        verbose_name = "risposta al questionario"
        verbose_name_plural = "risposte al questionario"
        ordering = ["-asked_at"]

    def __str__(self) -> str:
        return f"questionario della sessione {self.session_id}"


class Reply(models.Model):
    """A message of the assistant to send (the outbox of the bot): retried until the Graph API
    accepts it, "sent" only then.

    `recipient` is the one place the citizen's WhatsApp handle is written, and only while the
    reply waits: it is emptied when the reply is sent or given up (decision 0016). `not_before`
    delays the survey, which each new turn of the session moves on.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", gettext_lazy("In coda")
        SENT = "sent", gettext_lazy("Inviato")
        FAILED = "failed", gettext_lazy("Non inviato")
        CANCELLED = "cancelled", gettext_lazy("Annullato")

    class Purpose(models.TextChoices):
        REPLY = "reply", gettext_lazy("Risposta")
        SURVEY = "survey", gettext_lazy("Questionario")

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="replies")
    channel = models.CharField("codice del canale", max_length=50)
    recipient = models.CharField("destinatario (fino all'invio)", max_length=64, blank=True)
    purpose = models.CharField(
        "scopo", max_length=10, choices=Purpose.choices, default=Purpose.REPLY
    )
    payload: models.JSONField[dict[str, Any]] = models.JSONField("messaggio", default=dict)
    status = models.CharField(
        "stato", max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    created_at = models.DateTimeField("creato il", default=timezone.now, db_index=True)
    not_before = models.DateTimeField("non prima del", null=True, blank=True)
    next_attempt_at = models.DateTimeField("prossimo tentativo", null=True, blank=True)
    attempts = models.PositiveIntegerField("tentativi", default=0)
    last_error = models.CharField("ultimo errore", max_length=500, blank=True)
    external_id = models.CharField("id del messaggio inviato", max_length=200, blank=True)
    sent_at = models.DateTimeField("inviato il", null=True, blank=True)

    class Meta:
        verbose_name = "messaggio dell'assistente"
        verbose_name_plural = "messaggi dell'assistente"
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"messaggio {self.pk} ({self.status})"
