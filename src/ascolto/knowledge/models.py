"""Knowledge articles: one set of answers used by the citizen pages (self-help suggestions), the
operators, the chatbot and reply templates."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy

from ascolto.tickets.models import Theme


class Article(models.Model):
    """An answer to a question citizens ask, written once and shown wherever it helps.

    `audience` public articles appear on the citizen pages; internal ones only in the console.
    `url` points at the portal page the article summarises, when there is one. `kind` tells an
    information article from a reply template (a text an operator sends, placeholders and all);
    both are searched and inserted the same way. `owner` and `owner_office` say who keeps the
    article true; every change of the text keeps the previous one as an `ArticleVersion`.
    """

    class Kind(models.TextChoices):
        INFORMATION = "information", gettext_lazy("Articolo informativo")
        TEMPLATE = "template", gettext_lazy("Modello di risposta")

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
    kind = models.CharField("tipo", max_length=12, choices=Kind.choices, default=Kind.INFORMATION)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="responsabile",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    owner_office = models.ForeignKey(
        "organisation.Office",
        verbose_name="ufficio responsabile",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_published = models.BooleanField("pubblicato", default=True)
    updated_at = models.DateTimeField("aggiornato il", default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="aggiornato da",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "articolo"
        verbose_name_plural = "articoli"
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class ArticleVersion(models.Model):
    """The text an article had before a change: who wrote it and when (`saved_*`), so the
    history can be read and an earlier text restored."""

    article = models.ForeignKey(
        Article, verbose_name="articolo", on_delete=models.CASCADE, related_name="versions"
    )
    title = models.CharField("titolo", max_length=200)
    summary = models.CharField("in breve", max_length=300)
    body = models.TextField("testo")
    keywords = models.CharField("parole chiave", max_length=300, blank=True)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="scritto da",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    saved_at = models.DateTimeField("scritto il")
    replaced_at = models.DateTimeField("sostituito il", default=timezone.now)

    class Meta:
        verbose_name = "versione di un articolo"
        verbose_name_plural = "versioni degli articoli"
        ordering = ["-replaced_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.title} ({self.saved_at:%d/%m/%Y %H:%M})"


class ArticleHelpful(models.Model):
    """A "this answer helped" mark: one per operator and case (after inserting the article in a
    reply), or one per citizen's browser session on the public article page (`session_key`)."""

    article = models.ForeignKey(
        Article, verbose_name="articolo", on_delete=models.CASCADE, related_name="helpful"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="operatore",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    case = models.ForeignKey(
        "tickets.Ticket",
        verbose_name="pratica",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    session_key = models.CharField("sessione", max_length=64, blank=True)
    created_at = models.DateTimeField("segnato il", default=timezone.now)

    class Meta:
        verbose_name = "risposta utile"
        verbose_name_plural = "risposte utili"
        constraints = [
            models.UniqueConstraint(
                fields=["article", "user", "case"],
                condition=models.Q(user__isnull=False),
                name="article_helpful_once_per_user_case",
            ),
            models.UniqueConstraint(
                fields=["article", "session_key"],
                condition=~models.Q(session_key=""),
                name="article_helpful_once_per_session",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} · {self.created_at:%d/%m/%Y %H:%M}"


class Alert(models.Model):
    """A notice on a current topic (a snow emergency, a strike, a deadline), shown at once on
    every channel it is meant for between `starts_at` and `ends_at`: at the top of the
    WhatsApp assistant's menu, on the Scrivi pages and the portal's feed and banner, in the
    operators' console. It ends by itself: what is current is decided by the clock
    (`alerts.current_alerts`), never by a flag someone must remember to clear.
    """

    class Priority(models.IntegerChoices):
        URGENT = 1, gettext_lazy("Urgente")
        IMPORTANT = 2, gettext_lazy("Importante")
        INFO = 3, gettext_lazy("Informativo")

    class Channel(models.TextChoices):
        WHATSAPP = "whatsapp", gettext_lazy("Assistente WhatsApp")
        WEB = "web", gettext_lazy("Pagine Scrivi e portale")
        CONSOLE = "console", gettext_lazy("Console operatori")

    title = models.CharField("titolo", max_length=120)
    text = models.TextField("testo", max_length=1000)
    link = models.URLField("link per saperne di più", max_length=500, blank=True)
    theme = models.ForeignKey(
        Theme,
        verbose_name="tema",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="alerts",
    )
    starts_at = models.DateTimeField("inizio")
    ends_at = models.DateTimeField("fine")
    on_whatsapp = models.BooleanField("sull'assistente WhatsApp", default=False)
    on_web = models.BooleanField("su Scrivi e sul portale", default=False)
    on_console = models.BooleanField("nella console operatori", default=False)
    priority = models.PositiveSmallIntegerField(
        "priorità", choices=Priority.choices, default=Priority.IMPORTANT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="creato da",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("creato il", default=timezone.now)
    updated_at = models.DateTimeField("aggiornato il", default=timezone.now)

    class Meta:
        verbose_name = "avviso"
        verbose_name_plural = "avvisi"
        ordering = ["priority", "starts_at", "pk"]
        indexes = [models.Index(fields=["ends_at", "starts_at"], name="alert_period")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="alert_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def channels(self) -> list[str]:
        """The channels the alert is shown on (`Alert.Channel` values)."""
        return [c for c in self.Channel.values if getattr(self, f"on_{c}")]


class AlertDelivery(models.Model):
    """An alert sent to one subscribed citizen by approved WhatsApp template: at most one per
    alert and citizen, so sending again reaches only who has not had it."""

    alert = models.ForeignKey(
        Alert, verbose_name="avviso", on_delete=models.CASCADE, related_name="deliveries"
    )
    citizen = models.ForeignKey(
        "citizens.Citizen", verbose_name="cittadino", on_delete=models.CASCADE, related_name="+"
    )
    # No database constraint: on PostgreSQL the messages are partitioned by month and their
    # key is (id, sent_at), which a foreign key on `id` alone cannot reference (decision 0033).
    # Django's SET_NULL still clears the link when a message is deleted through the ORM.
    message = models.ForeignKey(
        "channels.Message",
        verbose_name="messaggio",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    sent_at = models.DateTimeField("inviato il", default=timezone.now)

    class Meta:
        verbose_name = "invio di un avviso"
        verbose_name_plural = "invii degli avvisi"
        constraints = [
            models.UniqueConstraint(fields=["alert", "citizen"], name="alert_delivery_once")
        ]

    def __str__(self) -> str:
        return f"{self.alert_id} → {self.citizen_id}"
