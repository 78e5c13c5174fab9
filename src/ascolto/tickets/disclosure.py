"""What of a case's citizen a public page must not show: their email addresses, phone numbers,
fiscal code and full name, found in a text the city wrote (a reply, a resolution) and replaced
with `HIDDEN`. Read by the status page (whoever holds the tracking code reads it) and the
Open311 feed (public)."""

from __future__ import annotations

import re

from ascolto.citizens.models import Citizen, Identity
from ascolto.tickets.models import Ticket

HIDDEN = "[…]"


def contacts_pattern(ticket: Ticket) -> re.Pattern[str] | None:
    """What of the case's citizen a reply must not show here: their email addresses, phone
    numbers (however spaced, with or without +39), fiscal code and full name, from the citizen's
    record and their identities. Whoever holds the code reads the page: a reply quoting them
    ("we will write to maria.rossi@…") must not hand them to a guesser or to a shoulder."""
    if ticket.citizen_id is None:
        return None
    citizen = Citizen.objects.filter(pk=ticket.citizen_id).first()
    if citizen is None:
        return None
    values = [citizen.email, citizen.fiscal_code, citizen.phone]
    values += list(
        Identity.objects.filter(
            citizen=citizen,
            kind__in=[Identity.Kind.EMAIL, Identity.Kind.PHONE, Identity.Kind.WHATSAPP],
        ).values_list("value", flat=True)
    )
    names = [
        f"{citizen.first_name} {citizen.last_name}",
        f"{citizen.last_name} {citizen.first_name}",
    ]
    parts: list[str] = []
    for value in [v.strip() for v in values if v and len(v.strip()) >= 5]:
        digits = re.sub(r"\D", "", value)
        if "@" not in value and len(digits) >= 6 and len(digits) >= len(value) - 4:
            national = digits[2:] if digits.startswith("39") and len(digits) > 10 else digits
            # A phone number as anyone may write it: spaces, dots, dashes, +39 or 0039 first.
            parts.append(r"(?:(?:\+|00)?39[\s./-]*)?" + r"[\s./-]*".join(national))
        else:
            parts.append(re.escape(value))
    parts += [r"\s+".join(map(re.escape, n.split())) for n in names if len(n.strip()) >= 5]
    if not parts:
        return None
    return re.compile("|".join(f"(?:{p})" for p in parts), re.IGNORECASE)


def without_contacts(text: str, pattern: re.Pattern[str] | None) -> str:
    return pattern.sub(HIDDEN, text) if pattern is not None else text
