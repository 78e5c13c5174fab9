"""The placeholders of reply templates and articles inserted into an operator's reply.

An article's text may hold `{saluto}`, `{nome}`, `{codice}`, `{scadenza}` and `{ufficio}`;
`fill` puts in the values of one case. The salutation follows the citizen's data: their fiscal
code tells a woman from a man (the day of birth plus 40 for women); with no fiscal code the
neutral form is used. A placeholder that is not one of these is left as written.
"""

from __future__ import annotations

import re

from django.utils import timezone
from django.utils.translation import gettext as _

from ascolto.citizens.models import Citizen
from ascolto.tickets.models import Ticket

# Letters that replace digits in a fiscal code when two people would share one (omocodia).
_OMOCODIA = {letter: str(digit) for digit, letter in enumerate("LMNPQRSTUV")}
_FISCAL_CODE = re.compile(r"^[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-EHLMPRST][0-9LMNPQRSTUV]{2}[A-Z]")
PLACEHOLDER = re.compile(r"\{(saluto|nome|codice|scadenza|ufficio)\}")
NAMES = ("saluto", "nome", "codice", "scadenza", "ufficio")


def sex_from_fiscal_code(code: str) -> str:
    """ "F" or "M" read from an Italian fiscal code, "" when it is not one."""
    code = code.strip().upper()
    if not _FISCAL_CODE.match(code):
        return ""
    day = int("".join(_OMOCODIA.get(c, c) for c in code[9:11]))
    if 1 <= day <= 31:
        return "M"
    if 41 <= day <= 71:
        return "F"
    return ""


def salutation(citizen: Citizen | None) -> str:
    """How a reply opens: «Gentile Sig.ra Rossi» from the citizen's data, or the neutral form."""
    if citizen is None or not citizen.last_name.strip():
        return _("Gentile cittadina/cittadino")
    sex = sex_from_fiscal_code(citizen.fiscal_code)
    name = citizen.last_name.strip()
    if sex == "F":
        return _("Gentile Sig.ra %(name)s") % {"name": name}
    if sex == "M":
        return _("Gentile Sig. %(name)s") % {"name": name}
    full = f"{citizen.first_name.strip()} {name}".strip()
    return _("Gentile %(name)s") % {"name": full}


def values(ticket: Ticket) -> dict[str, str]:
    """The placeholders' values for one case."""
    citizen = ticket.citizen.live() if ticket.citizen is not None else None
    name = ""
    if citizen is not None:
        name = f"{citizen.first_name.strip()} {citizen.last_name.strip()}".strip()
    due = (
        f"{timezone.localtime(ticket.due_at):%d/%m/%Y}"
        if ticket.due_at is not None and ticket.is_active()
        else _("appena possibile")
    )
    return {
        "saluto": salutation(citizen),
        "nome": name or _("cittadina/cittadino"),
        "codice": ticket.code,
        "scadenza": due,
        "ufficio": ticket.office.name if ticket.office is not None else _("l'ufficio competente"),
    }


def fill(text: str, ticket: Ticket) -> str:
    """`text` with the case's values in place of its placeholders."""
    found = values(ticket)
    return PLACEHOLDER.sub(lambda match: found[match.group(1)], text)
