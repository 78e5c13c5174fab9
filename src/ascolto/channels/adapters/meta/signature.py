"""The two checks of Meta's webhooks (all products alike), before anything is parsed or stored.

- The verification handshake: Meta calls the webhook URL with `hub.mode=subscribe`,
  `hub.verify_token` (the token typed in the app's settings) and `hub.challenge`, and expects the
  challenge back; anything else is refused.
- The payload signature: every delivery carries `X-Hub-Signature-256: sha256=<hex>`, the
  HMAC-SHA256 of the raw body bytes keyed with the app secret. It is computed over the bytes as
  received (a JSON parsed and written again would differ) and compared in constant time.

An empty token or secret accepts nothing: a channel whose secret is not configured refuses every
delivery rather than trusting them all.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

SIGNATURE_HEADER = "X-Hub-Signature-256"
PREFIX = "sha256="


def sign(app_secret: str, body: bytes) -> str:
    """The header value Meta sends with `body` (what the tests and the sandbox send)."""
    return PREFIX + hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def signature_ok(app_secret: str, body: bytes, header: str | None) -> bool:
    """Whether `header` is the app secret's signature of the raw `body`."""
    if not app_secret or not header or not header.startswith(PREFIX):
        return False
    expected = sign(app_secret, body)
    # compare_digest wants ASCII on both sides: a header with other characters is simply wrong.
    if not header.isascii():
        return False
    return hmac.compare_digest(expected, header)


def challenge(params: Mapping[str, str], verify_token: str) -> str | None:
    """The challenge to echo when `params` are a valid verification request for
    `verify_token`; None when the request must be refused (403)."""
    mode = params.get("hub.mode", "")
    token = params.get("hub.verify_token", "")
    answer = params.get("hub.challenge", "")
    if not verify_token or mode != "subscribe" or not answer or not token.isascii():
        return None
    if not hmac.compare_digest(token.encode("utf-8"), verify_token.encode("utf-8")):
        return None
    return answer
