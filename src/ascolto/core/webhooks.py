"""Signed webhooks from the municipality's own systems (the telephony system's call records).

The sender signs each request with a secret shared with ascolto: the header
`X-Ascolto-Signature: sha256=<hex>` carries HMAC-SHA256 of `<timestamp>.<raw body>`, and
`X-Ascolto-Timestamp` the Unix time it was signed. The timestamp is inside the signature, so an
old request cannot be replayed with a new one; requests older (or newer) than the tolerance are
refused. docs/contact-center.md shows how to compute it.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Ascolto-Signature"
TIMESTAMP_HEADER = "X-Ascolto-Timestamp"
PREFIX = "sha256="


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The signature header's value for `body` sent at `timestamp`."""
    message = str(timestamp).encode("ascii") + b"." + body
    return PREFIX + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_ok(
    secret: str,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    *,
    tolerance: int,
    now: float | None = None,
) -> bool:
    """Whether `signature` is the secret's signature of `body` at `timestamp`, and the timestamp
    is within `tolerance` seconds of now. An empty secret accepts nothing."""
    if not secret or not timestamp or not signature or not timestamp.isdigit():
        return False
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature.strip())
