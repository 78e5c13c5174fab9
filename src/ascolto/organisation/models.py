"""The municipality's organisation: offices in a tree, teams of operators, operators with roles."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Value
from django.db.models.functions import Concat, Substr
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.models import Device

from ascolto.core.roles import Role


class Office(models.Model):
    """An organisational unit of the municipality: a department (Direzione), an area, a business
    unit, a unit, or a task force set up for a campaign.

    Offices form a tree; a second-level case is routed to an office, and an office operator sees
    the cases of their office and of every office below it. `path` is the materialised path of
    ids ("/3/17/42/"), kept by `save()`, so "this office and everything below" is one indexed
    prefix query.
    """

    class Kind(models.TextChoices):
        DEPARTMENT = "department", gettext_lazy("Direzione")
        AREA = "area", gettext_lazy("Area")
        BUSINESS_UNIT = "business_unit", gettext_lazy("Business unit")
        UNIT = "unit", gettext_lazy("Unità")
        TASK_FORCE = "task_force", gettext_lazy("Task force")

    name = models.CharField("nome", max_length=200)
    code = models.SlugField("codice", max_length=64, unique=True)
    kind = models.CharField("tipo", max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name="ufficio superiore",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField("percorso", max_length=255, editable=False, db_index=True)
    email = models.EmailField("email per le notifiche", blank=True)
    budget_line = models.CharField(
        "capitolo di bilancio", max_length=64, blank=True, help_text="per il riparto dei costi"
    )
    is_active = models.BooleanField("attivo", default=True)

    class Meta:
        verbose_name = "ufficio"
        verbose_name_plural = "uffici"
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        old_path = self.path
        if self.pk is None:
            super().save(*args, **kwargs)  # an id first: the path is made of ids
            args, kwargs = (), {"using": kwargs.get("using")}
        parent_path = self.parent.path if self.parent is not None else "/"
        self.path = f"{parent_path}{self.pk}/"
        super().save(*args, **kwargs)
        if old_path and old_path != self.path:
            # The office moved: rewrite the paths of its whole subtree in one statement.
            Office.objects.filter(path__startswith=old_path).exclude(pk=self.pk).update(
                path=Concat(Value(self.path), Substr("path", len(old_path) + 1))
            )

    def clean(self) -> None:
        if self.pk and self.parent_id and self.parent and self.parent.is_within(self):
            raise ValidationError({"parent": _("Un ufficio non può stare sotto sé stesso.")})

    def subtree(self) -> models.QuerySet[Office]:
        """This office and every office below it."""
        return Office.objects.filter(path__startswith=self.path)

    def is_within(self, other: Office) -> bool:
        """Whether this office is `other` or lies below it."""
        return self.path.startswith(other.path)


class User(AbstractUser):
    """A member of staff who uses the console: an operator, a supervisor, an analyst or an
    administrator. Citizens are not users; they are `citizens.Citizen`."""

    # The enum lives in core, where the access rules read it; `User.Role` is its name here.
    Role = Role

    role = models.CharField("ruolo", max_length=20, choices=Role.choices, default=Role.FIRST_LEVEL)
    office = models.ForeignKey(
        Office,
        verbose_name="ufficio",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
        help_text=(
            "per gli operatori d'ufficio: vedono solo i casi di questo ufficio e di quelli "
            "sottostanti"
        ),
    )

    extension = models.CharField(
        "interno telefonico",
        max_length=32,
        blank=True,
        help_text=(
            "l'interno o l'identificativo dell'operatore nel centralino: le chiamate in arrivo "
            "su questo interno aprono la scheda del chiamante nella sua console, e le chiamate "
            "importate dal sistema telefonico lo nominano così"
        ),
    )

    # Raised by "sign out everywhere" and by a reset of the second factor: it is part of the
    # session's authentication hash, so every session signed in before is refused on its next
    # request, whatever the session engine (database rows or signed cookies).
    session_generation = models.PositiveIntegerField(
        "generazione delle sessioni", default=0, editable=False
    )

    class Meta:
        verbose_name = "operatore"
        verbose_name_plural = "operatori"
        constraints = [
            models.UniqueConstraint(
                fields=["extension"],
                condition=~models.Q(extension=""),
                name="user_extension_unique",
            )
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        """Django's hash of the password, with the session generation: a new password or a new
        generation ends every session made before (Django checks it on each request)."""
        key_salt = "ascolto.organisation.User.get_session_auth_hash"
        value = f"{self.password}:{self.session_generation}"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()


class SecondFactorReset(models.Model):
    """An administrator's reset of a member of staff's second factor (a lost or replaced phone):
    who did it, for whom, when and why. Written once by `organisation.actions`; never changed
    nor deleted (the admin shows it read-only)."""

    user = models.ForeignKey(
        User,
        verbose_name="operatore",
        on_delete=models.PROTECT,
        related_name="second_factor_resets",
    )
    actor = models.ForeignKey(
        User,
        verbose_name="azzerato da",
        on_delete=models.PROTECT,
        related_name="second_factor_resets_made",
    )
    at = models.DateTimeField("quando", db_index=True)
    reason = models.CharField("motivo", max_length=300, blank=True)
    devices = models.PositiveSmallIntegerField("dispositivi rimossi", default=0)

    class Meta:
        verbose_name = "azzeramento del secondo fattore"
        verbose_name_plural = "azzeramenti del secondo fattore"
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.user} ({self.at:%Y-%m-%d %H:%M})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("a second-factor reset is recorded once and never changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("a second-factor reset is never deleted")


class Team(models.Model):
    """A queue of operators: a contact-center team, the Scrivi back office, the social team, a
    task force's team. Cases are assigned to a team and then to one of its members."""

    name = models.CharField("nome", max_length=200)
    code = models.SlugField("codice", max_length=64, unique=True)
    office = models.ForeignKey(
        Office, verbose_name="ufficio", on_delete=models.PROTECT, related_name="teams"
    )
    members = models.ManyToManyField(User, verbose_name="membri", blank=True, related_name="teams")
    is_active = models.BooleanField("attivo", default=True)

    class Meta:
        verbose_name = "team"
        verbose_name_plural = "team"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DirectoryDeviceManager(models.Manager["DirectoryDevice"]):
    def devices_for_user(self, user: Any, confirmed: bool | None = None) -> Any:
        """None: the directory is no device the user can give a code to (so it counts neither as
        having a second factor nor among the devices a code is tried against)."""
        return self.none()


class DirectoryDevice(Device):  # type: ignore[misc]
    """The city's directory as the second factor of a single sign-on (decision 0021): when the
    directory's ID token says it checked a second factor itself (`amr`/`acr`), the session is
    verified with this device, as django-otp verifies it with an authenticator app. It accepts
    no code; one row per member of staff, made at their first such sign-in."""

    # No reverse accessor on the user: nothing reads a user's directory device but this app.
    user: models.ForeignKey[User, User] = models.ForeignKey(
        User, verbose_name="operatore", on_delete=models.CASCADE, related_name="+"
    )

    objects = DirectoryDeviceManager()

    class Meta:
        verbose_name = "secondo fattore dell'elenco del Comune"
        verbose_name_plural = "secondi fattori dell'elenco del Comune"

    def verify_token(self, token: Any) -> bool:
        return False
