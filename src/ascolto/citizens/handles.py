"""Normalisation of the handles a citizen is reached by.

One handle has one canonical spelling, so the same person writing twice is recognised: phone
numbers in E.164 (read in the municipality's region when written without a prefix), emails
lower-cased, fiscal codes upper-cased and checked (check character and omocodia included).
Malformed input raises `InvalidInput` with a message that says what is wrong.
"""

from __future__ import annotations

import re

import phonenumbers
from codicefiscale import codicefiscale
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from ascolto.core.errors import InvalidInput

MAX_HANDLE_LENGTH = 255
MAX_EMAIL_LENGTH = 254  # RFC 5321: the longest address a mail server accepts
_BSUID = re.compile(r"^[A-Z]{2}\.(ENT\.)?[0-9A-Za-z]{1,120}$")
_DIGITS = re.compile(r"^[0-9]{1,64}$")


def normalise_phone(raw: str, *, field: str = "phone") -> str:
    """Return the number in E.164 (`+393331234567`); raise `InvalidInput` if it is not valid."""
    text = (raw or "").strip()
    if not text:
        raise InvalidInput("The phone number is empty.", field=field)
    if len(text) > 40:
        raise InvalidInput("The phone number is too long to be a phone number.", field=field)
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, settings.ASCOLTO_PHONE_REGION)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInput(f"'{raw}' is not a phone number ({exc}).", field=field) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput(f"'{raw}' is not a valid phone number.", field=field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str, *, field: str = "email") -> str:
    """Return the address lower-cased; raise `InvalidInput` if it is not an email address."""
    text = (raw or "").strip().lower()
    if not text:
        raise InvalidInput("The email address is empty.", field=field)
    if len(text) > MAX_EMAIL_LENGTH:
        # Django's validator lets 320 characters through; no mail server delivers to more than
        # 254, and the columns that store an address hold no more.
        raise InvalidInput(
            f"The email address is {len(text)} characters long; at most {MAX_EMAIL_LENGTH}.",
            field=field,
        )
    try:
        validate_email(text)
    except ValidationError as exc:
        raise InvalidInput(f"'{raw}' is not a valid email address.", field=field) from exc
    return text


def normalise_fiscal_code(raw: str, *, field: str = "fiscal_code") -> str:
    """Return the Italian fiscal code upper-cased; raise `InvalidInput` if it is not valid."""
    text = re.sub(r"\s+", "", raw or "").upper()
    if not text:
        raise InvalidInput("The fiscal code is empty.", field=field)
    if len(text) != 16 or not codicefiscale.is_valid(text):
        raise InvalidInput(
            f"'{raw}' is not a valid fiscal code (16 characters, with a matching check letter).",
            field=field,
        )
    return text


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
        raise InvalidInput(f"The {kind} handle is empty.", field="handle")
    if len(text) > MAX_HANDLE_LENGTH:
        raise InvalidInput(
            f"The {kind} handle is {len(text)} characters long; at most {MAX_HANDLE_LENGTH}.",
            field="handle",
        )
    if kind == Identity.Kind.WHATSAPP_BSUID:
        if not _BSUID.match(text):
            raise InvalidInput(
                f"'{text}' is not a WhatsApp business-scoped user id (like 'IT.1349120865').",
                field="handle",
            )
        return text
    if kind in (Identity.Kind.FACEBOOK_PSID, Identity.Kind.INSTAGRAM_ID):
        if not _DIGITS.match(text):
            raise InvalidInput(f"'{text}' is not a {kind}: it must be digits.", field="handle")
        return text
    if kind == Identity.Kind.LOGIN:
        if any(ch.isspace() or not ch.isprintable() for ch in text):
            raise InvalidInput("A login subject cannot contain spaces.", field="handle")
        return text
    raise InvalidInput(f"Unknown handle kind '{kind}'.", field="handle")
