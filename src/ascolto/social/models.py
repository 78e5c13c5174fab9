"""The social triage queue: one row per comment thread of the Facebook page or the Instagram
account, with what the social operators did with it (decision 0015)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy

from ascolto.channels.models import Conversation
from ascolto.tickets.models import Ticket


class SocialThread(models.Model):
    """A thread of comments under a post of the city's Facebook page or Instagram account (or a
    visitor's post on the page), waiting in the social triage queue or handled from it.

    One per conversation of a social channel (`social.queue.sync` adds the missing ones, so no
    thread intake stored is ever left out). Social comments open no case by themselves: an
    operator claims the thread, then answers it publicly or privately, opens a case, forwards a
    disservice report to an office (a second-level case whose outcome comes back here as a
    proposed reply), marks it not relevant or hides it. A claim expires (`claimed_until`), so
    a thread left by an operator goes back to the others.
    """

    class State(models.TextChoices):
        NEW = "new", gettext_lazy("Da gestire")
        ANSWERED = "answered", gettext_lazy("Risposto")
        CASE = "case", gettext_lazy("Caso aperto")
        FORWARDED = "forwarded", gettext_lazy("Inoltrato all'ufficio")
        OUTCOME = "outcome", gettext_lazy("Esito dall'ufficio")
        NOT_RELEVANT = "not_relevant", gettext_lazy("Non pertinente")
        HIDDEN = "hidden", gettext_lazy("Nascosto")

    # The states in the queue: a thread an operator still has to act on.
    TO_HANDLE = (State.NEW, State.OUTCOME)

    conversation = models.OneToOneField(
        Conversation,
        verbose_name="conversazione",
        on_delete=models.CASCADE,
        related_name="social_thread",
    )
    state = models.CharField(
        "stato", max_length=20, choices=State.choices, default=State.NEW, db_index=True
    )
    post_id = models.CharField("id del post", max_length=255, blank=True)
    permalink = models.URLField("link al post", max_length=500, blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="preso in carico da",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    claimed_until = models.DateTimeField("preso in carico fino a", null=True, blank=True)
    ticket = models.ForeignKey(
        Ticket,
        verbose_name="caso",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="social_threads",
    )
    proposed_reply = models.TextField("risposta proposta", blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="gestito da",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    handled_at = models.DateTimeField("gestito il", null=True, blank=True)
    last_error = models.CharField("ultimo errore", max_length=500, blank=True)
    created_at = models.DateTimeField("in coda dal", auto_now_add=True)

    class Meta:
        verbose_name = "thread social"
        verbose_name_plural = "thread social"
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.conversation.channel} · {self.get_state_display()}"

    def claimed_by_other(self, user_id: int | None, now: datetime) -> bool:
        """Whether someone other than `user_id` holds a live claim on the thread."""
        return (
            self.claimed_by_id is not None
            and self.claimed_by_id != user_id
            and self.claimed_until is not None
            and self.claimed_until > now
        )

    def holds(self, user_id: int | None, now: datetime) -> bool:
        """Whether `user_id` holds a live claim on the thread."""
        return (
            self.claimed_by_id is not None
            and self.claimed_by_id == user_id
            and self.claimed_until is not None
            and self.claimed_until > now
        )

    def to_handle(self) -> bool:
        return self.state in self.TO_HANDLE
