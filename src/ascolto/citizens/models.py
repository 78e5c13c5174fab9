"""Citizens and the handles they reach the municipality by."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Replace
from django.utils import timezone
from django.utils.translation import gettext_lazy

# Accented letters an Italian name may carry, folded to the plain letter so that "Nicolò",
# "NICOLO'" and "nicolo" find the same person. The same folding runs in the database (the
# generated `*_key` columns below) and in Python on what is typed (`citizens.search.name_key`).
NAME_FOLDS = (
    ("à", "a"), ("á", "a"), ("â", "a"), ("ä", "a"), ("è", "e"), ("é", "e"), ("ê", "e"),
    ("ë", "e"), ("ì", "i"), ("í", "i"), ("î", "i"), ("ï", "i"), ("ò", "o"), ("ó", "o"),
    ("ô", "o"), ("ö", "o"), ("ù", "u"), ("ú", "u"), ("û", "u"), ("ü", "u"), ("ç", "c"),
    ("ñ", "n"), ("'", ""), ("’", ""),
)  # fmt: skip


def folded(field: str) -> models.Func:
    """The database expression of `field` lower-cased with `NAME_FOLDS` applied."""
    expression: models.Func = Lower(field)
    for accented, plain in NAME_FOLDS:
        expression = Replace(expression, models.Value(accented), models.Value(plain))
    return expression


class Citizen(models.Model):
    """A person who contacts the municipality: a resident, a visitor, a business owner.

    Known by name and, when they give it, their fiscal code; every phone number, email address and
    social or WhatsApp account they used is an `Identity` pointing here, so their whole history is
    one list. When two records turn out to be the same person they are merged: the absorbed one
    keeps `merged_into` and nothing else points at it.
    """

    first_name = models.CharField("nome", max_length=100, blank=True)
    last_name = models.CharField("cognome", max_length=100, blank=True)
    fiscal_code = models.CharField("codice fiscale", max_length=16, blank=True)
    email = models.EmailField("email", blank=True)
    phone = models.CharField("telefono", max_length=20, blank=True)
    # The names folded for search (lower case, no accents, no apostrophes), kept by the
    # database itself so every write (bulk ones included) keeps them right; indexed for prefix
    # search (`citizens.search`).
    first_key = models.GeneratedField(
        expression=folded("first_name"),
        output_field=models.CharField(max_length=100),
        db_persist=True,
    )
    last_key = models.GeneratedField(
        expression=folded("last_name"),
        output_field=models.CharField(max_length=100),
        db_persist=True,
    )
    created_at = models.DateTimeField("creato il", auto_now_add=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name="unito a",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="absorbed",
    )

    class Meta:
        verbose_name = "cittadino"
        verbose_name_plural = "cittadini"
        constraints = [
            models.UniqueConstraint(
                fields=["fiscal_code"],
                condition=~Q(fiscal_code="") & Q(merged_into__isnull=True),
                name="citizen_unique_fiscal_code",
            )
        ]
        indexes = [
            models.Index(fields=["last_name", "first_name"], name="citizen_name_idx"),
            # varchar_pattern_ops: on PostgreSQL a LIKE 'prefix%' uses the index whatever the
            # database's collation (ignored on SQLite, where the search uses a range).
            models.Index(
                fields=["last_key", "first_key"],
                name="citizen_name_key_idx",
                opclasses=["varchar_pattern_ops", "varchar_pattern_ops"],
            ),
            models.Index(
                fields=["first_key"],
                name="citizen_first_key_idx",
                opclasses=["varchar_pattern_ops"],
            ),
            # Plain indexes for the search by equality: the unique fiscal code's index is
            # partial (not merged), which SQLite's planner cannot match to `fiscal_code = %s`.
            models.Index(fields=["fiscal_code"], name="citizen_fiscal_code_idx"),
            models.Index(fields=["email"], name="citizen_email_idx"),
            models.Index(fields=["phone"], name="citizen_phone_idx"),
        ]

    def __str__(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return name or f"Cittadino #{self.pk}"

    def live(self) -> Citizen:
        """The record that is kept: this one, or the one it was merged into (followed through
        every merge)."""
        citizen, seen = self, set()
        while citizen.merged_into_id is not None and citizen.pk not in seen:
            seen.add(citizen.pk)
            citizen = Citizen.objects.get(pk=citizen.merged_into_id)
        return citizen

    def contact(self, kind: str) -> str:
        """Where to reach the citizen by `kind` ('email' or 'phone'): the address or number on
        their record, else their handle of that kind seen last; "" when none is known."""
        own = self.email if kind == "email" else self.phone if kind == "phone" else ""
        if own:
            return own
        latest = (
            Identity.objects.filter(citizen=self, kind=kind)
            .order_by("-last_seen_at", "-pk")
            .values_list("value", flat=True)
            .first()
        )
        return latest or ""

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Identity(models.Model):
    """One handle on one channel: a phone number, an email address, a WhatsApp number or
    business-scoped user id, a Facebook page-scoped id, an Instagram id, a login subject (SPID,
    CIE). A contact whose citizen is unknown still has an identity, so repeat contacts are counted
    even for anonymous callers; it is linked to a citizen when they make themselves known."""

    class Kind(models.TextChoices):
        PHONE = "phone", gettext_lazy("Telefono")
        EMAIL = "email", gettext_lazy("Email")
        WHATSAPP = "whatsapp", gettext_lazy("WhatsApp (numero)")
        WHATSAPP_BSUID = "whatsapp_bsuid", gettext_lazy("WhatsApp (ID utente)")
        FACEBOOK_PSID = "facebook_psid", gettext_lazy("Facebook Messenger")
        INSTAGRAM_ID = "instagram_id", gettext_lazy("Instagram")
        LOGIN = "login", gettext_lazy("Accesso SPID/CIE")

    kind = models.CharField("tipo", max_length=20, choices=Kind.choices)
    value = models.CharField("recapito", max_length=255)
    display_name = models.CharField("nome mostrato", max_length=200, blank=True)
    citizen = models.ForeignKey(
        Citizen,
        verbose_name="cittadino",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="identities",
    )
    created_at = models.DateTimeField("primo contatto", auto_now_add=True)
    last_seen_at = models.DateTimeField("ultimo contatto", null=True, blank=True)

    class Meta:
        verbose_name = "recapito"
        verbose_name_plural = "recapiti"
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="identity_unique_handle")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"


class Consent(models.Model):
    """A consent a citizen gave or withdrew: the privacy notice of a form, being contacted for
    satisfaction surveys, being answered on a given channel. Append-only: the latest row for a
    purpose is the one in force. `notice_version` is the version of the text the citizen was
    shown (the Scrivi form's privacy notice: `ASCOLTO_PRIVACY_NOTICE_VERSION`); `recorded_at`
    when they gave it (for a form, when they sent it, not when the queued request was taken in).
    """

    class Purpose(models.TextChoices):
        PRIVACY = "privacy", gettext_lazy("Informativa privacy")
        SURVEYS = "surveys", gettext_lazy("Questionari di soddisfazione")
        NEWS = "news", gettext_lazy("Avvisi e comunicazioni")

    citizen = models.ForeignKey(
        Citizen, verbose_name="cittadino", on_delete=models.CASCADE, related_name="consents"
    )
    purpose = models.CharField("finalità", max_length=20, choices=Purpose.choices)
    granted = models.BooleanField("concesso")
    source = models.CharField("dove", max_length=100, blank=True)
    notice_version = models.CharField("versione dell'informativa", max_length=40, blank=True)
    recorded_at = models.DateTimeField("registrato il", default=timezone.now, editable=False)

    class Meta:
        verbose_name = "consenso"
        verbose_name_plural = "consensi"
        ordering = ["-recorded_at"]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()}: {'sì' if self.granted else 'no'}"


class MergeSuggestion(models.Model):
    """Two citizen records that may be the same person, for an operator to merge or keep apart.

    Intake opens one when a handle typed on a public channel belongs to another citizen, or when a
    handle matched a citizen whose name, email or fiscal code disagree with what the sender gave:
    it never moves that handle nor files the request under the other record (decision 0009). The
    pair is stored in id order (`first` is the older record, the one a merge keeps); `evidence`
    says what matched and what disagreed. Open at most once per pair; a dismissed pair is not
    suggested again.
    """

    class Status(models.TextChoices):
        OPEN = "open", gettext_lazy("Da valutare")
        ACCEPTED = "accepted", gettext_lazy("Uniti")
        DISMISSED = "dismissed", gettext_lazy("Tenuti separati")

    first = models.ForeignKey(
        Citizen, verbose_name="cittadino", on_delete=models.CASCADE, related_name="+"
    )
    second = models.ForeignKey(
        Citizen, verbose_name="altro cittadino", on_delete=models.CASCADE, related_name="+"
    )
    evidence = models.JSONField("indizi", default=dict, blank=True)
    status = models.CharField(
        "stato", max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    created_at = models.DateTimeField("proposto il", auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="deciso da",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField("deciso il", null=True, blank=True)

    class Meta:
        verbose_name = "possibile doppione"
        verbose_name_plural = "possibili doppioni"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["first", "second"],
                condition=Q(status="open"),
                name="merge_suggestion_unique_open_pair",
            ),
            models.CheckConstraint(
                condition=Q(first__lt=models.F("second")), name="merge_suggestion_ordered_pair"
            ),
        ]
        indexes = [models.Index(fields=["second", "first"], name="merge_suggestion_pair_idx")]

    def __str__(self) -> str:
        return f"#{self.first_id} ~ #{self.second_id} ({self.status})"


class PrivacyNotice(models.Model):
    """One version of a privacy notice citizens were shown (the Scrivi form's), kept word for
    word: a `Consent` names its `version`, and this row proves what that version said. The text
    is stored the first time a version is shown; `sha256` is the hash of that text, so a notice
    whose words changed without a new version number is recorded as a version of its own
    (`citizens.actions.record_privacy_notice`), never mistaken for the older one."""

    version = models.CharField("versione", max_length=40, unique=True)
    text = models.TextField("testo")
    sha256 = models.CharField("impronta SHA-256", max_length=64)
    recorded_at = models.DateTimeField("registrata il", default=timezone.now, editable=False)

    class Meta:
        verbose_name = "informativa privacy"
        verbose_name_plural = "informative privacy"
        ordering = ["-recorded_at"]

    def __str__(self) -> str:
        return self.version
