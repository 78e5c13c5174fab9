"""Listening: page ratings now; surveys, survey plans and service charters later."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy


class PageRating(models.Model):
    """One answer to the Designers Italia page rating: "Quanto sono chiare le informazioni su
    questa pagina?" (1–5 stars), the follow-up answer chosen for that score, a short comment.

    Anonymous by design: no citizen, no address, no session is stored. `page` is the path of the
    rated page (no query string).
    """

    class Reason(models.TextChoices):
        # asked after 1–3 stars: "Dove hai incontrato le maggiori difficoltà?"
        NOT_CLEAR = "not_clear", gettext_lazy("A volte le indicazioni non erano chiare")
        NOT_COMPLETE = "not_complete", gettext_lazy("A volte le indicazioni non erano complete")
        LOST = "lost", gettext_lazy("A volte non capivo se stavo procedendo correttamente")
        TECHNICAL = "technical", gettext_lazy("Ho avuto problemi tecnici")
        OTHER_NEGATIVE = "other_negative", gettext_lazy("Altro")
        # asked after 4–5 stars: "Quali sono stati gli aspetti che hai preferito?"
        CLEAR = "clear", gettext_lazy("Le indicazioni erano chiare")
        COMPLETE = "complete", gettext_lazy("Le indicazioni erano complete")
        ON_TRACK = "on_track", gettext_lazy("Capivo sempre che stavo procedendo correttamente")
        NO_PROBLEMS = "no_problems", gettext_lazy("Non ho avuto problemi tecnici")
        OTHER_POSITIVE = "other_positive", gettext_lazy("Altro")

    NEGATIVE = (
        Reason.NOT_CLEAR,
        Reason.NOT_COMPLETE,
        Reason.LOST,
        Reason.TECHNICAL,
        Reason.OTHER_NEGATIVE,
    )
    POSITIVE = (
        Reason.CLEAR,
        Reason.COMPLETE,
        Reason.ON_TRACK,
        Reason.NO_PROBLEMS,
        Reason.OTHER_POSITIVE,
    )
    MAX_COMMENT = 200

    page = models.CharField("pagina", max_length=300)
    score = models.PositiveSmallIntegerField(
        "voto (1-5)",
        help_text=(
            "Stelle scelte, 1 = poco chiara, 5 = molto chiara. Le valutazioni registrate prima "
            "della migrazione surveys 0002 sono speculari: leggere 6 − voto (docs/reports.md)."
        ),
    )
    reason = models.CharField("risposta", max_length=20, choices=Reason.choices, blank=True)
    comment = models.CharField("commento", max_length=MAX_COMMENT, blank=True)
    created_at = models.DateTimeField("inviata il", default=timezone.now)

    class Meta:
        verbose_name = "valutazione di pagina"
        verbose_name_plural = "valutazioni di pagina"
        indexes = [models.Index(fields=["page", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=1, score__lte=5), name="page_rating_score_1_5"
            )
        ]

    def __str__(self) -> str:
        return f"{self.page}: {self.score}"
