"""What the telephony system tells us about calls to 020202."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ascolto.channels.models import Conversation
from ascolto.citizens.models import Identity


class CallRecord(models.Model):
    """A call as the telephony system saw it: which queue it reached through the IVR, when it
    arrived, how long the citizen waited, how long they talked with the operator, or that they
    hung up before an answer. The source of answer rate, queue wait and call-volume forecasts.
    Linked to its conversation (and through it to the case the operator logged, if any)."""

    external_id = models.CharField("id della chiamata", max_length=64, unique=True)
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
            models.CheckConstraint(
                condition=Q(abandoned=False) | Q(talk_seconds=0), name="call_abandoned_no_talk"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__gte=models.F("arrived_at")), name="call_ends_after_arrival"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.queue} · {self.arrived_at:%d/%m/%Y %H:%M}"
