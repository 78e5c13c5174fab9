"""What the console keeps per user: saved views of the inbox."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class SavedView(models.Model):
    """A filter set of the inbox an operator saved under a name ("TARI scaduti"), to find
    the same cases again with one click. `query` is the inbox's query string."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="operatore",
        on_delete=models.CASCADE,
        related_name="saved_views",
    )
    name = models.CharField("nome", max_length=80)
    query = models.CharField("filtri", max_length=1000, blank=True)
    created_at = models.DateTimeField("creata il", auto_now_add=True)

    class Meta:
        verbose_name = "vista salvata"
        verbose_name_plural = "viste salvate"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="savedview_user_name_unique")
        ]

    def __str__(self) -> str:
        return self.name
