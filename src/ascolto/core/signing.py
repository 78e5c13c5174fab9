"""Checking that a webhook comes from who shares our secret (the telephony system).

The sender signs the raw request body with HMAC-SHA256 and the shared secret and sends
`X-Ascolto-Signature: sha256=<hex>` with `X-Ascolto-Timestamp: <unix seconds>`; a request whose
timestamp is more than five minutes away from our clock is refused, so a captured request cannot
be replayed later. The comparison is in constant time. See docs/contact-center.md.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

from ascolto.core.errors import DomainError

SIGNATURE_HEADER = "X-Ascolto-Signature"
TIMESTAMP_HEADER = "X-Ascolto-Timestamp"
MAX_SKEW_SECONDS = 5 * 60


class BadSignature(DomainError):
    """The webhook is not signed with our secret, or is too old (or too new) to be accepted."""


def sign_webhook(body: bytes, secret: str) -> str:
    """The value of the signature header for `body` (what the sender computes)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_webhook(
    body: bytes, headers: Mapping[str, str], secret: str, *, now: float | None = None
) -> None:
    """Raise `BadSignature` unless `body` is signed with `secret` and its timestamp is within
    five minutes of `now`. An empty secret refuses everything: an unconfigured webhook is shut."""
    if not secret:
        raise BadSignature("The webhook secret is not configured: every request is refused.")
    signature = headers.get(SIGNATURE_HEADER) or ""
    if not hmac.compare_digest(signature.encode(), sign_webhook(body, secret).encode()):
        raise BadSignature(f"{SIGNATURE_HEADER} does not match the body and the shared secret.")
    try:
        stamp = int(headers.get(TIMESTAMP_HEADER) or "")
    except ValueError:
        raise BadSignature(f"{TIMESTAMP_HEADER} is missing or not in unix seconds.") from None
    if abs((time.time() if now is None else now) - stamp) > MAX_SKEW_SECONDS:
        raise BadSignature(f"{TIMESTAMP_HEADER} is more than five minutes away from our clock.")
