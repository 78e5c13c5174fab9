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


class InboxLayout(models.Model):
    """How one operator lays out the inbox: which columns, in which order, and how tall the
    rows are. No row means the defaults (`ascolto.web.inbox_columns`)."""

    class Density(models.TextChoices):
        COMPACT = "compact", "compatta"
        COMFORTABLE = "comfortable", "comoda"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="operatore",
        on_delete=models.CASCADE,
        related_name="inbox_layout",
    )
    columns = models.CharField(
        "colonne", max_length=200, help_text="chiavi delle colonne, in ordine, separate da virgole"
    )
    density = models.CharField(
        "densità", max_length=12, choices=Density.choices, default=Density.COMPACT
    )
    updated_at = models.DateTimeField("aggiornata il", auto_now=True)

    class Meta:
        verbose_name = "disposizione della lista casi"
        verbose_name_plural = "disposizioni della lista casi"

    def __str__(self) -> str:
        return f"{self.user}: {self.columns}"
