"""Public tracking codes of cases.

A citizen looks a case up by its code alone, so the code must not be guessable: 12 random
characters from Crockford's base-32 alphabet (no I, L, O, U: nothing to misread on the phone),
60 bits from the operating system's CSPRNG, shown in groups of four: `K7Q2-9XHD-3FPA`.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_SHAPE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


def new_code() -> str:
    chars = "".join(secrets.choice(ALPHABET) for _ in range(12))
    return f"{chars[:4]}-{chars[4:8]}-{chars[8:]}"


def normalise_code(raw: str) -> str:
    """Read a code as a citizen may type it: any case, dashes or none, O for 0, I/L for 1."""
    text = re.sub(r"[\s\-]", "", raw or "").upper().translate(str.maketrans("OIL", "011"))
    if len(text) == 12:
        text = f"{text[:4]}-{text[4:8]}-{text[8:]}"
    return text


def is_code(text: str) -> bool:
    return bool(_SHAPE.match(text))
