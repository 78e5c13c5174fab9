"""The roles a member of staff has in the console: their names live here, once.

`organisation.User.role` takes its choices from `Role`, and `core.access` decides what each role
may see from the same names. The enum sits in `core` because `core` is below `organisation`:
the access rules read it without importing the app they protect (decision 0005).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy


class Role(models.TextChoices):
    FIRST_LEVEL = "first_level", gettext_lazy("Operatore di primo livello")
    OFFICE = "office", gettext_lazy("Operatore d'ufficio")
    SUPERVISOR = "supervisor", gettext_lazy("Supervisore")
    ANALYST = "analyst", gettext_lazy("Analista")
    ADMINISTRATOR = "administrator", gettext_lazy("Amministratore")
