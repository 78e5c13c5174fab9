"""Knowledge articles: one set of answers used by the citizen pages (self-help suggestions), the
operators, the chatbot and reply templates."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy

from ascolto.tickets.models import Theme


class Article(models.Model):
    """An answer to a question citizens ask, written once and shown wherever it helps.

    `audience` public articles appear on the citizen pages; internal ones only in the console.
    `url` points at the portal page the article summarises, when there is one.
    """

    class Audience(models.TextChoices):
        PUBLIC = "public", gettext_lazy("Pubblico")
        INTERNAL = "internal", gettext_lazy("Solo operatori")

    slug = models.SlugField("codice", max_length=120, unique=True)
    title = models.CharField("titolo", max_length=200)
    summary = models.CharField("in breve", max_length=300)
    body = models.TextField("testo")
    theme = models.ForeignKey(
        Theme,
        verbose_name="tema",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
    )
    keywords = models.CharField(
        "parole chiave", max_length=300, blank=True, help_text="separate da virgole"
    )
    url = models.URLField("pagina del portale", blank=True)
    audience = models.CharField(
        "destinatari", max_length=10, choices=Audience.choices, default=Audience.PUBLIC
    )
    is_published = models.BooleanField("pubblicato", default=True)
    updated_at = models.DateTimeField("aggiornato il", default=timezone.now)

    class Meta:
        verbose_name = "articolo"
        verbose_name_plural = "articoli"
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title
