"""Who a sender says they are: the one value object for the details a message brings along.

A web form's name, email and phone, the details an operator takes down during a call. Built at
the adapter boundary (the Scrivi form, the call form's action, any channel adapter that builds
an `InboundMessage`) and normalised as it is built, once: intake, the intake queue and
`citizens.batch` take the values as they are. A malformed value raises `InvalidInput` naming the
field, so the adapter answers the sender; nothing downstream finds it later.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from ascolto.citizens.handles import normalise_email, normalise_fiscal_code, normalise_phone
from ascolto.core.errors import InvalidInput
from ascolto.core.text import one_newline_style

MAX_NAME = 100


@dataclass(frozen=True)
class Sender:
    """A sender's own details, all optional; values normalised (`citizens.handles`): names
    stripped, the fiscal code upper-cased and checked, the email lower-cased, the phone in E.164.
    Building it again from its own values (a queued message read back) changes nothing."""

    first_name: str = ""
    last_name: str = ""
    fiscal_code: str = ""
    email: str = ""
    phone: str = ""

    def __post_init__(self) -> None:
        # Channels do deliver NULs and CRLFs; PostgreSQL stores no NUL, and a name is one line.
        first = one_newline_style(self.first_name.replace("\x00", "")).strip()
        last = one_newline_style(self.last_name.replace("\x00", "")).strip()
        if len(first) > MAX_NAME or len(last) > MAX_NAME:
            raise InvalidInput(
                _("Il nome o il cognome supera i %(max)d caratteri.") % {"max": MAX_NAME},
                field="name",
            )
        values = {"first_name": first, "last_name": last}
        for name, normalise in (
            ("fiscal_code", normalise_fiscal_code),
            ("email", normalise_email),
            ("phone", normalise_phone),
        ):
            raw = getattr(self, name).replace("\x00", "")
            values[name] = normalise(raw) if raw.strip() else ""
        for name, value in values.items():
            if value != getattr(self, name):
                object.__setattr__(self, name, value)

    def names_someone(self) -> bool:
        """Whether the details may find a citizen again: a fiscal code, an email or a phone."""
        return bool(self.fiscal_code or self.email or self.phone)
