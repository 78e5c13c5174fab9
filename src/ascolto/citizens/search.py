"""Finding a citizen by what an operator types: a name, an email address, a phone number (any
format), a fiscal code or a case's tracking code (decision 0005's rules of access apply).

What is typed is read as one key, in this order: a tracking code (the case itself), an email
address (it has an "@"), a fiscal code (16 letters and digits), a phone number (digits, spaces,
"+", "-", ".", "/", parentheses), else a name. Twelve letters with no digit that name no case
in scope ("Paola Ferrari") are read as a name. Handles are normalised by `citizens.handles`, so
"333 123 4567", "+39 333-1234567" and "00393331234567" are one number; they are looked up by
equality on indexed columns (`Citizen.email`, `Citizen.phone`, `Citizen.fiscal_code`,
`Identity(kind, value)`). A name is folded like the generated `Citizen.first_key`/`last_key`
columns (lower case, accents and apostrophes dropped) and each split of the words into first
and last name, in either order, is a prefix match on an index: "rossi mario", "Mario Rossi" and
"ross mar" find Mario Rossi; "De Luca Nicolò" finds Nicolò De Luca.

Every result passes `core.access.visible_citizens`: an office operator finds only citizens with
a case in their offices; a tracking code finds a case only in the user's scope.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.db import connections
from django.db.models import Count, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact

from ascolto.citizens.handles import normalise_email, normalise_fiscal_code, normalise_phone
from ascolto.citizens.models import NAME_FOLDS, Citizen, Identity
from ascolto.core import access
from ascolto.core.errors import InvalidInput
from ascolto.tickets.models import Ticket
from ascolto.tickets.search import tracking_code

MAX_RESULTS = 20
MAX_WORDS = 4
_PHONE = re.compile(r"^\+?[0-9 ()./-]{6,40}$")
_FISCAL = re.compile(r"^[A-Za-z0-9]{16}$")
_SPACES = re.compile(r"\s+")
PHONE_KINDS = (Identity.Kind.PHONE, Identity.Kind.WHATSAPP)


class Key:
    """The kinds of key a search reads what is typed as."""

    CODE = "code"
    EMAIL = "email"
    FISCAL_CODE = "fiscal_code"
    PHONE = "phone"
    NAME = "name"


@dataclass
class Found:
    """What a search found: the key it read, its normalised spelling, the citizens (with the
    number of their cases the user may see) or the case a tracking code names."""

    text: str
    key: str = ""
    value: str = ""
    citizens: list[Citizen] = field(default_factory=list)
    cases: dict[int, int] = field(default_factory=dict)
    case: Ticket | None = None
    error: str = ""


def name_key(text: str) -> str:
    """`text` folded as the database folds names (`citizens.models.folded`), spaces collapsed."""
    folded = text.lower()
    for accented, plain in NAME_FOLDS:
        folded = folded.replace(accented, plain)
    return _SPACES.sub(" ", folded).strip()


def read_key(text: str) -> tuple[str, str]:
    """`(key, value)`: which kind of key `text` is and its normalised spelling; raises
    `InvalidInput` for a text that looks like an email, fiscal code or phone but is not one."""
    text = text.strip()
    code = tracking_code(text)
    if code is not None:
        return Key.CODE, code
    if "@" in text:
        return Key.EMAIL, normalise_email(text, field="q")
    compact = _SPACES.sub("", text)
    if _FISCAL.match(compact) and re.search(r"[0-9]", compact) and re.search(r"[A-Za-z]", compact):
        return Key.FISCAL_CODE, normalise_fiscal_code(compact, field="q")
    if _PHONE.match(text) and sum(ch.isdigit() for ch in text) >= 6:
        return Key.PHONE, normalise_phone(text, field="q")
    return Key.NAME, name_key(text)


def find(text: str, user: Any, limit: int = MAX_RESULTS, *, everyone: bool = False) -> Found:
    """Search for `text` as `user` sees: at most `limit` citizens, or the case of a code.
    `everyone`: every citizen, whatever `user`'s scope: the DPO looking a person up in the
    access log (the caller checks `core.access.reads_access_log`); no case counts then."""
    text = (text or "").strip()[:200]
    found = Found(text=text)
    if not text:
        return found
    try:
        found.key, found.value = read_key(text)
    except InvalidInput as exc:
        found.error = exc.message
        return found
    if found.key == Key.CODE:
        cases = Ticket.objects.all() if everyone else access.visible(Ticket.objects.all(), user)
        found.case = cases.filter(code=found.value).first()
        if found.case is not None or any(ch.isdigit() or ch == "-" for ch in text):
            return found
        # Twelve letters read as a code ("Paola Ferrari" is one: no check character) that
        # names no case: a name, after all. Not when written with a code's dashes or digits:
        # about one code in ninety has no digit, and "KGFT-PHGN-NKKX" is nobody's name.
        found.key, found.value = Key.NAME, name_key(text)
    citizens = _matching(found.key, found.value)
    if citizens is None:
        return found
    # "Not merged" through a function: a record kept is the common case, so no index should
    # serve it (SQLite's planner, without statistics, would pick `merged_into`'s over the key's).
    kept = citizens.filter(Exact(Coalesce("merged_into_id", Value(0)), 0))
    if everyone:
        found.citizens = list(kept.order_by("last_key", "first_key", "pk")[:limit])
        return found
    rows = list(access.visible_citizens(kept, user).order_by("last_key", "first_key", "pk")[:limit])
    found.citizens = rows
    if rows:
        found.cases = case_counts([c.pk for c in rows], user)
    return found


def case_counts(pks: list[int], user: Any) -> dict[int, int]:
    """The number of cases filed under each citizen of `pks` that `user` may see."""
    tickets = access.visible(Ticket.objects.filter(citizen_id__in=pks), user)
    return dict(
        tickets.order_by()
        .values("citizen_id")
        .annotate(n=Count("id"))
        .values_list("citizen_id", "n")
    )


def _matching(key: str, value: str) -> QuerySet[Citizen] | None:
    """The citizens `value` of kind `key` names (before access), None when nothing can match."""
    if key == Key.FISCAL_CODE:
        return Citizen.objects.filter(fiscal_code=value)
    if key == Key.EMAIL:
        return _by_handle(Q(email=value), (Identity.Kind.EMAIL,), value)
    if key == Key.PHONE:
        return _by_handle(Q(phone=value), PHONE_KINDS, value)
    words = value.split()[:MAX_WORDS]
    if not words:
        return None
    return Citizen.objects.filter(name_condition(words))


def _by_handle(own: Q, kinds: tuple[str, ...], value: str) -> QuerySet[Citizen]:
    """Citizens whose record holds `value` (`own`) or who have it as an identity: two index
    look-ups, joined in Python (an OR across the two tables would scan the citizens)."""
    pks = set(
        Identity.objects.filter(kind__in=kinds, value=value, citizen__isnull=False).values_list(
            "citizen_id", flat=True
        )
    )
    pks.update(Citizen.objects.filter(own).values_list("pk", flat=True)[: MAX_RESULTS * 5])
    return Citizen.objects.filter(pk__in=sorted(pks))


def name_condition(words: list[str]) -> Q:
    """Each split of `words` into a first and a last name, either way round, as index prefix
    matches on the folded name columns; all the words may also be one name ("de lu" for De Luca,
    "maria gra" for Maria Grazia)."""
    whole = " ".join(words)
    condition = _prefix("last_key", whole) | _prefix("first_key", whole)
    for cut in range(1, len(words)):
        head, tail = " ".join(words[:cut]), " ".join(words[cut:])
        condition |= _prefix("last_key", head) & _prefix("first_key", tail)
        condition |= _prefix("first_key", head) & _prefix("last_key", tail)
    return condition


def _prefix(column: str, value: str) -> Q:
    """`column` starts with `value`, spelled so an index serves it: on PostgreSQL a LIKE (the
    `varchar_pattern_ops` index), on SQLite a range (its LIKE ignores case and no index)."""
    if connections[Citizen.objects.db].vendor == "postgresql":
        return Q(**{f"{column}__startswith": value})
    upper = value[:-1] + chr(ord(value[-1]) + 1)
    return Q(**{f"{column}__gte": value, f"{column}__lt": upper})
