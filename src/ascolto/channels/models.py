"""Channels, the conversations held on them, and their messages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from ascolto.citizens.models import Identity
from ascolto.core.errors import InvalidInput


class Channel(models.Model):
    """One configured way citizens reach the municipality: the Scrivi web form, a mailbox, the
    020202 phone line, the WhatsApp number, the Facebook page, the Instagram account. Its `config`
    is validated against the schema of its kind (`channels/config.py`)."""

    class Kind(models.TextChoices):
        WEB = "web", gettext_lazy("Modulo web (Scrivi)")
        EMAIL = "email", gettext_lazy("Email")
        PHONE = "phone", gettext_lazy("Telefono")
        WHATSAPP = "whatsapp", gettext_lazy("WhatsApp")
        MESSENGER = "messenger", gettext_lazy("Facebook Messenger")
        FACEBOOK = "facebook", gettext_lazy("Facebook (commenti)")
        INSTAGRAM = "instagram", gettext_lazy("Instagram")
        API = "api", gettext_lazy("API")

    kind = models.CharField("tipo", max_length=20, choices=Kind.choices)
    code = models.SlugField("codice", max_length=64, unique=True)
    name = models.CharField("nome", max_length=200)
    config = models.JSONField("configurazione", default=dict, blank=True)
    is_active = models.BooleanField("attivo", default=True)

    class Meta:
        verbose_name = "canale"
        verbose_name_plural = "canali"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from ascolto.channels.config import validate_config

        try:
            self.config = validate_config(self.kind, self.config)
        except InvalidInput as exc:
            raise ValidationError({"config": exc.message}) from exc

    @property
    def session_window(self) -> timedelta:
        return timedelta(hours=int(self.config.get("session_hours", 0)))

    @property
    def opens_cases(self) -> bool:
        return bool(self.config.get("opens_cases", True))


class Conversation(models.Model):
    """One thread on one channel with one identity: a phone call, a web-form submission and its
    replies, an email thread, a WhatsApp or Messenger session, a comment thread under a post.

    A conversation exists even when it opens no case (a chatbot session, an answered comment); it
    is the unit behind volume, repeat-contact and channel-share figures. A case links one or more
    conversations (`Ticket.conversations`).
    """

    class Status(models.TextChoices):
        OPEN = "open", gettext_lazy("Aperta")
        CLOSED = "closed", gettext_lazy("Chiusa")

    channel = models.ForeignKey(
        Channel, verbose_name="canale", on_delete=models.PROTECT, related_name="conversations"
    )
    identity = models.ForeignKey(
        Identity, verbose_name="recapito", on_delete=models.PROTECT, related_name="conversations"
    )
    external_thread_id = models.CharField("id del thread sul canale", max_length=255, blank=True)
    status = models.CharField("stato", max_length=10, choices=Status.choices, default=Status.OPEN)
    subject = models.CharField("oggetto", max_length=255, blank=True)
    started_at = models.DateTimeField("iniziata il", db_index=True)
    last_message_at = models.DateTimeField("ultimo messaggio")

    class Meta:
        verbose_name = "conversazione"
        verbose_name_plural = "conversazioni"
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_thread_id"],
                condition=~Q(external_thread_id=""),
                name="conversation_unique_thread",
            )
        ]
        indexes = [
            models.Index(
                fields=["identity", "channel", "-last_message_at"], name="conversation_recent_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} · {self.started_at:%d/%m/%Y %H:%M}"


class Message(models.Model):
    """One entry of a conversation: what the citizen wrote or said, a reply sent to them, or an
    internal note an operator left on the case. Unique on `(channel, external_id)`, so a webhook
    delivered twice stores one message. Outbound messages carry a delivery status and the number
    of attempts made to send them."""

    class Direction(models.TextChoices):
        INBOUND = "inbound", gettext_lazy("Ricevuto")
        OUTBOUND = "outbound", gettext_lazy("Inviato")
        NOTE = "note", gettext_lazy("Nota interna")

    class Status(models.TextChoices):
        RECEIVED = "received", gettext_lazy("Ricevuto")
        QUEUED = "queued", gettext_lazy("In coda")
        SENT = "sent", gettext_lazy("Inviato")
        DELIVERED = "delivered", gettext_lazy("Consegnato")
        READ = "read", gettext_lazy("Letto")
        FAILED = "failed", gettext_lazy("Non inviato")

    conversation = models.ForeignKey(
        Conversation,
        verbose_name="conversazione",
        on_delete=models.CASCADE,
        related_name="messages",
    )
    channel = models.ForeignKey(
        Channel, verbose_name="canale", on_delete=models.PROTECT, related_name="+"
    )
    external_id = models.CharField("id sul canale", max_length=255, blank=True)
    direction = models.CharField("direzione", max_length=10, choices=Direction.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="autore",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    subject = models.CharField("oggetto", max_length=255, blank=True)
    text = models.TextField("testo")
    attachments = models.JSONField("allegati", default=list, blank=True)
    sent_at = models.DateTimeField("inviato il")
    created_at = models.DateTimeField("registrato il", auto_now_add=True)
    status = models.CharField("stato", max_length=10, choices=Status.choices)
    attempts = models.PositiveSmallIntegerField("tentativi", default=0)
    last_error = models.CharField("ultimo errore", max_length=500, blank=True)
    raw = models.JSONField("dati originali", null=True, blank=True)
    # The external system that wrote this reply or note through the API (its token's name),
    # when no member of staff did (`core.acting`): the thread shows it as the author. The
    # database's default too, so the code before this column could still write messages.
    system = models.CharField(
        "sistema esterno", max_length=200, blank=True, default="", db_default=""
    )

    class Meta:
        verbose_name = "messaggio"
        verbose_name_plural = "messaggi"
        ordering = ["sent_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=~Q(external_id=""),
                name="message_unique_external_id",
            )
        ]
        indexes = [models.Index(fields=["conversation", "sent_at"], name="message_thread_idx")]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} · {self.sent_at:%d/%m/%Y %H:%M}"

    def summary(self, length: int = 80) -> str:
        """The text on one line (every run of whitespace and line breaks one space), cut."""
        text: Any = " ".join(self.text.split())
        return str(text[:length] + ("…" if len(text) > length else ""))


class PendingInbound(models.Model):
    """A message accepted from a channel and not yet taken in: the durable intake queue.

    The Scrivi form (and any adapter that must answer fast) stores the submission here with one
    insert and answers the citizen with its pre-assigned tracking code; `channels.queue.drain`
    later hands a batch of pending rows to intake and marks them processed in the same
    transaction. A row is never deleted by the queue: an accepted request cannot be lost between
    the citizen's answer and its case. A row that fails is tried again with exponential backoff
    (`next_attempt_at`), without limit, until it is taken in or an administrator marks it
    handled (`handled_at`). See docs/decisions/0007-intake-queue.md.
    """

    channel = models.CharField("canale", max_length=64)
    external_id = models.CharField("id sul canale", max_length=255)
    payload = models.JSONField("messaggio")
    code = models.CharField("codice pratica", max_length=20, unique=True)
    accepted_at = models.DateTimeField("accettato il", default=timezone.now)
    processed_at = models.DateTimeField("elaborato il", null=True, blank=True)
    attempts = models.PositiveSmallIntegerField("tentativi", default=0)
    last_error = models.CharField("ultimo errore", max_length=500, blank=True)
    # Backoff: a failed row is not tried again before this time (null: due now).
    next_attempt_at = models.DateTimeField("prossimo tentativo", null=True, blank=True)
    # An administrator took the request in by hand: it is no longer retried.
    handled_at = models.DateTimeField("gestito a mano il", null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="gestito da",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "messaggio in coda"
        verbose_name_plural = "messaggi in coda"
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"], name="pending_inbound_unique_external_id"
            )
        ]
        indexes = [
            models.Index(
                fields=["id"],
                condition=Q(processed_at__isnull=True),
                name="pending_inbound_todo_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} · {self.code}"

    @property
    def is_pending(self) -> bool:
        return self.processed_at is None and self.handled_at is None


class WebhookDelivery(models.Model):
    """One signed delivery of Meta's webhooks (WhatsApp, Messenger, Instagram, Page feed), kept
    as it arrived: the durable intake queue of Meta's channels.

    The webhook checks the signature and stores the body with one insert, so Meta gets its 200
    at once; `channels.adapters.meta.deliveries.drain` later parses it, hands the messages of all
    its entries to intake in one batch, applies the status updates it carries and marks it
    processed in the same transaction. Like `PendingInbound`, a row is never deleted by the
    queue, is retried with exponential backoff (`next_attempt_at`) without limit when it fails,
    and is shown to administrators after a few failures until it is taken in or marked handled
    (`handled_at`). See docs/decisions/0014-meta-webhooks.md.
    """

    # The code of the channel whose webhook URL received it (its app secret signed it).
    channel = models.CharField("canale", max_length=64)
    body = models.TextField("contenuto ricevuto")
    received_at = models.DateTimeField("ricevuto il", default=timezone.now)
    processed_at = models.DateTimeField("elaborato il", null=True, blank=True)
    attempts = models.PositiveSmallIntegerField("tentativi", default=0)
    last_error = models.CharField("ultimo errore", max_length=500, blank=True)
    # Backoff: a failed row is not tried again before this time (null: due now).
    next_attempt_at = models.DateTimeField("prossimo tentativo", null=True, blank=True)
    # An administrator dealt with it by hand: it is no longer retried.
    handled_at = models.DateTimeField("gestito a mano il", null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="gestito da",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "consegna webhook Meta"
        verbose_name_plural = "consegne webhook Meta"
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["id"],
                condition=Q(processed_at__isnull=True),
                name="webhook_delivery_todo_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} · {self.received_at:%d/%m/%Y %H:%M:%S}"

    @property
    def is_pending(self) -> bool:
        return self.processed_at is None and self.handled_at is None


class PendingStatus(models.Model):
    """A WhatsApp status update (sent, delivered, read, failed) for a message id no outbound
    message carries yet: Meta may report on a message before our send has recorded the id it
    got back. Kept here, the highest status only, and applied (never backwards) when the
    message gets that id (`deliveries.apply_pending`); `prune_webhooks` removes those that never
    matched one of ours after a few days (a message sent by another tool on the same number)."""

    channel = models.ForeignKey(Channel, verbose_name="canale", on_delete=models.CASCADE)
    external_id = models.CharField("id sul canale", max_length=255)
    status = models.CharField("stato", max_length=16)
    error = models.CharField("errore", max_length=500, blank=True)
    received_at = models.DateTimeField("ricevuto il", default=timezone.now)

    class Meta:
        verbose_name = "stato in attesa del messaggio"
        verbose_name_plural = "stati in attesa del messaggio"
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"], name="pending_status_unique_message"
            )
        ]

    def __str__(self) -> str:
        return f"{self.external_id} · {self.status}"
