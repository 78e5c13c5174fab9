"""Shared models: the transactional outbox."""

from __future__ import annotations

from django.db import models


class OutboxEvent(models.Model):
    """Something that happened and that follow-up work must react to.

    Written in the same transaction as the change it reports (a case opened, a reply to send), so
    a crash between commit and enqueue loses nothing: `relay_outbox` picks up every event left
    unprocessed. Payloads hold ids only, never personal data.
    """

    topic = models.CharField("argomento", max_length=64, db_index=True)
    payload = models.JSONField("contenuto", default=dict)
    created_at = models.DateTimeField("creato il", auto_now_add=True)
    processed_at = models.DateTimeField("elaborato il", null=True, blank=True)
    attempts = models.PositiveSmallIntegerField("tentativi", default=0)
    last_error = models.TextField("ultimo errore", blank=True)
    # Backoff: not tried again before this time (null: due now); see core/outbox.py.
    next_attempt_at = models.DateTimeField("prossimo tentativo", null=True, blank=True)
    # Still failing when its retry window closed: no longer tried (the admin can retry it).
    failed_at = models.DateTimeField("non riuscito il", null=True, blank=True)

    class Meta:
        verbose_name = "evento in uscita"
        verbose_name_plural = "eventi in uscita"
        indexes = [
            models.Index(
                fields=["created_at"],
                name="outbox_pending_idx",
                condition=models.Q(processed_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.topic} #{self.pk}"
