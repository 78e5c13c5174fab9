"""Normalisation of the handles a citizen is reached by.

One handle has one canonical spelling, so the same person writing twice is recognised: phone
numbers in E.164 (read in the municipality's region when written without a prefix), emails
lower-cased, fiscal codes upper-cased and checked (check character and omocodia included).
Malformed input raises `InvalidInput` with a message that says what is wrong.
"""

from __future__ import annotations

import calendar
import re

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from ascolto.core.errors import InvalidInput

MAX_HANDLE_LENGTH = 255
MAX_EMAIL_LENGTH = 254  # RFC 5321: the longest address a mail server accepts
_BSUID = re.compile(r"^[A-Z]{2}\.(ENT\.)?[0-9A-Za-z]{1,120}$")
_DIGITS = re.compile(r"^[0-9]{1,64}$")


def normalise_phone(raw: str, *, field: str = "phone") -> str:
    """Return the number in E.164 (`+393331234567`); raise `InvalidInput` if it is not valid."""
    text = (raw or "").strip()
    if not text:
        raise InvalidInput(_("Il numero di telefono è vuoto."), field=field)
    if len(text) > 40:
        raise InvalidInput(_("Il numero di telefono è troppo lungo."), field=field)
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, settings.ASCOLTO_PHONE_REGION)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput(
            _("«%(raw)s» non è un numero di telefono.") % {"raw": raw}, field=field
        ) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput(
            _("«%(raw)s» non è un numero di telefono valido.") % {"raw": raw}, field=field
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str, *, field: str = "email") -> str:
    """Return the address lower-cased; raise `InvalidInput` if it is not an email address."""
    text = (raw or "").strip().lower()
    if not text:
        raise InvalidInput(_("L'indirizzo email è vuoto."), field=field)
    if len(text) > MAX_EMAIL_LENGTH:
        # Django's validator lets 320 characters through; no mail server delivers to more than
        # 254, and the columns that store an address hold no more.
        raise InvalidInput(
            _("L'indirizzo email è lungo %(n)d caratteri; al massimo %(max)d.")
            % {"n": len(text), "max": MAX_EMAIL_LENGTH},
            field=field,
        )
    try:
        validate_email(text)
    except ValidationError as exc:
        raise InvalidInput(
            _("«%(raw)s» non è un indirizzo email valido.") % {"raw": raw}, field=field
        ) from exc
    return text


# A fiscal code's shape (omocodia: a digit may be written as one of LMNPQRSTUV), the values of
# its characters in odd and even places, and the months' letters (DM 23 December 1976).
# Checked here rather than with python-codicefiscale, which also looks the birthplace up in its
# table of municipalities: 16 MiB at import and 23 MiB more at the first check, held for the rest
# of a web worker's life (benchmarks/worker_memory.py --fiscal-code: 133 MiB against the 120 MiB
# a worker may hold; 106 MiB with this check). What is checked is what the error message promises:
# the shape, a real day of the year, and the check character. tests/test_fiscal_codes.py checks
# it against that library's own codes.
_FISCAL_SHAPE = re.compile(
    r"^[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$"
)
_ODD = dict(
    zip(
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        [1, 0, 5, 7, 9, 13, 15, 17, 19, 21]
        + [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25]
        + [24, 23],
        strict=True,
    )
)
_EVEN = {c: (int(c) if c.isdigit() else ord(c) - ord("A")) for c in _ODD}
_MONTHS = "ABCDEHLMPRST"
_OMOCODIA = str.maketrans("LMNPQRSTUV", "0123456789")


def fiscal_code_ok(code: str) -> bool:
    """Whether `code` (upper case, no spaces) is an Italian fiscal code: its shape, the day of
    birth (plus 40 for women) a day of its month, and its check character."""
    if not _FISCAL_SHAPE.match(code):
        return False
    total = sum(_ODD[c] if i % 2 == 0 else _EVEN[c] for i, c in enumerate(code[:15]))
    if code[15] != chr(ord("A") + total % 26):
        return False
    day = int(code[9:11].translate(_OMOCODIA))
    day = day - 40 if day > 40 else day
    year = int(code[6:8].translate(_OMOCODIA))  # 19yy or 20yy: leap alike, 1900 aside
    return 1 <= day <= calendar.monthrange(2000 + year, _MONTHS.index(code[8]) + 1)[1]


def normalise_fiscal_code(raw: str, *, field: str = "fiscal_code") -> str:
    """Return the Italian fiscal code upper-cased; raise `InvalidInput` if it is not valid."""
    text = re.sub(r"\s+", "", raw or "").upper()
    if not text:
        raise InvalidInput(_("Il codice fiscale è vuoto."), field=field)
    if fiscal_code_ok(text):
        return text
    raise InvalidInput(
        _(
            "«%(raw)s» non è un codice fiscale valido (16 caratteri, con il carattere di "
            "controllo corrispondente)."
        )
        % {"raw": raw},
        field=field,
    )


def normalise_handle(kind: str, raw: str) -> str:
    """Return the canonical spelling of a handle of `kind` (an `Identity.Kind` value)."""
    from ascolto.citizens.models import Identity

    text = (raw or "").strip()
    if kind in (Identity.Kind.PHONE, Identity.Kind.WHATSAPP):
        if kind == Identity.Kind.WHATSAPP and _DIGITS.match(text):
            text = "+" + text  # WhatsApp ids are international numbers without the '+'
        return normalise_phone(text, field="handle")
    if kind == Identity.Kind.EMAIL:
        return normalise_email(text, field="handle")
    if not text:
        raise InvalidInput(_("Il recapito %(kind)s è vuoto.") % {"kind": kind}, field="handle")
    if len(text) > MAX_HANDLE_LENGTH:
        raise InvalidInput(
            _("Il recapito %(kind)s è lungo %(n)d caratteri; al massimo %(max)d.")
            % {"kind": kind, "n": len(text), "max": MAX_HANDLE_LENGTH},
            field="handle",
        )
    if kind == Identity.Kind.WHATSAPP_BSUID:
        if not _BSUID.match(text):
            raise InvalidInput(
                _("«%(text)s» non è un identificativo utente WhatsApp (come «IT.1349120865»).")
                % {"text": text},
                field="handle",
            )
        return text
    if kind in (Identity.Kind.FACEBOOK_PSID, Identity.Kind.INSTAGRAM_ID):
        if not _DIGITS.match(text):
            raise InvalidInput(
                _("«%(text)s» non è un %(kind)s: deve essere fatto di sole cifre.")
                % {"text": text, "kind": kind},
                field="handle",
            )
        return text
    if kind == Identity.Kind.LOGIN:
        if any(ch.isspace() or not ch.isprintable() for ch in text):
            raise InvalidInput(
                _("L'identificativo di accesso non può contenere spazi."), field="handle"
            )
        return text
    raise InvalidInput(
        _("Tipo di recapito sconosciuto: «%(kind)s».") % {"kind": kind}, field="handle"
    )
