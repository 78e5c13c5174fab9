"""What the open interfaces keep: the external systems' tokens, the idempotency keys of their
creating requests, and the outgoing webhooks' subscriptions and deliveries."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy


class ApiToken(models.Model):
    """The token of one external system (the portal, the waste company, a reporting app).

    Only the SHA-256 of the token is kept (`digest`); the token itself is shown once, when an
    administrator creates it. `scopes` lists what it may do (`api.tokens.SCOPES`); `office`, if
    set, limits it to that office's cases and those of the offices below, as the console does.
    """

    name = models.CharField("sistema", max_length=200)
    prefix = models.CharField("inizio del token", max_length=12, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField("permessi", default=list)
    office = models.ForeignKey(
        "organisation.Office",
        verbose_name="ambito (ufficio)",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rate_per_minute = models.PositiveIntegerField("richieste al minuto", default=600)
    expires_at = models.DateTimeField("scade il", null=True, blank=True)
    revoked_at = models.DateTimeField("revocato il", null=True, blank=True)
    last_used_at = models.DateTimeField("ultimo uso", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("creato il", default=timezone.now)

    class Meta:
        verbose_name = "token API"
        verbose_name_plural = "token API"
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class IdempotencyKey(models.Model):
    """A creating POST's `Idempotency-Key` with the answer it got, so that a retried request
    gets the same answer and creates nothing twice. Kept for `api.idempotency.KEEP`."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    request_digest = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    body = models.BinaryField(null=True, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "chiave di idempotenza"
        verbose_name_plural = "chiavi di idempotenza"
        constraints = [
            models.UniqueConstraint(fields=["token", "key"], name="idempotency_key_per_token")
        ]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.key})"


class WebhookSubscription(models.Model):
    """An external system's subscription to domain events (case opened, resolved, …): each
    event is POSTed to `url`, signed with `secret` (HMAC-SHA256 over timestamp and body)."""

    name = models.CharField("sistema", max_length=200)
    url = models.URLField("indirizzo (HTTPS)", max_length=500)
    secret = models.CharField("segreto", max_length=128)
    events = models.JSONField("eventi", default=list)
    office = models.ForeignKey(
        "organisation.Office",
        verbose_name="ambito (ufficio)",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_active = models.BooleanField("attiva", default=True)
    created_at = models.DateTimeField("creata il", default=timezone.now)

    class Meta:
        verbose_name = "webhook in uscita"
        verbose_name_plural = "webhook in uscita"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WebhookCall(models.Model):
    """One event to deliver to one subscription, with its attempts: retried with exponential
    backoff until delivered or `failed_at`; an administrator can send it again."""

    class Status(models.TextChoices):
        PENDING = "pending", gettext_lazy("Da consegnare")
        DELIVERED = "delivered", gettext_lazy("Consegnato")
        FAILED = "failed", gettext_lazy("Non consegnato")

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="calls"
    )
    event_id = models.CharField("evento", max_length=64)
    event = models.CharField("tipo di evento", max_length=64)
    payload = models.JSONField("contenuto")
    status = models.CharField(
        "stato", max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField("tentativi", default=0)
    next_attempt_at = models.DateTimeField("prossimo tentativo", default=timezone.now)
    last_status_code = models.PositiveSmallIntegerField("ultima risposta", null=True, blank=True)
    last_error = models.CharField("ultimo errore", max_length=500, blank=True)
    delivered_at = models.DateTimeField("consegnato il", null=True, blank=True)
    failed_at = models.DateTimeField("non consegnato dal", null=True, blank=True)
    created_at = models.DateTimeField("creato il", default=timezone.now)

    class Meta:
        verbose_name = "consegna di un webhook"
        verbose_name_plural = "consegne dei webhook"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event_id"], name="webhook_call_once_per_event"
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription}"
