"""The telephony system's webhooks, signed with its shared secret (core/webhooks.py).

    POST /api/v1/telephony/calls          one finished call (a call record)
    POST /api/v1/telephony/call-started   a call ringing on an operator's extension (screen-pop)

    POST /api/v1/telephony/calls
    X-Ascolto-Timestamp: 1767340800
    X-Ascolto-Signature: sha256=<HMAC-SHA256 of "<timestamp>.<body>" with ASCOLTO_TELEPHONY_SECRET>
    {"call_id": "...", "queue": "...", "arrived_at": "...", ...}   (the import's columns)

A bad or missing signature, or a stale timestamp, gets 401 and nothing is read. A call already
stored (a delivery repeated) answers 200 with `"stored": false`; a new one 201. A call started
answers 202 with the pop's id (the same id when delivered twice), 404 for an extension no
operator has. Payloads: docs/contact-center.md.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status

from ascolto.contactcenter.actions import (
    announce_call,
    import_call_records,
    parse_call_started,
    payload_records,
)
from ascolto.core import webhooks
from ascolto.core.errors import DomainError, NotFound
from ascolto.core.ratelimit import WEBHOOK_LIMIT, enforce

log = logging.getLogger(__name__)
router = Router(tags=["telephony"])


class Stored(Schema):
    call_id: str
    stored: bool


class Refused(Schema):
    detail: str
    field: str | None = None


class Popped(Schema):
    id: int


def _signed(request: HttpRequest) -> bool:
    """Whether the request carries the telephony system's signature, made within the tolerance."""
    ok = webhooks.signature_ok(
        settings.ASCOLTO_TELEPHONY_SECRET,
        request.headers.get(webhooks.TIMESTAMP_HEADER),
        request.headers.get(webhooks.SIGNATURE_HEADER),
        request.body,
        tolerance=settings.ASCOLTO_TELEPHONY_TOLERANCE,
    )
    if not ok:
        log.warning("telephony webhook %s: bad signature or timestamp, refused", request.path)
    return ok


@router.post("/calls", auth=None, response={200: Stored, 201: Stored, 400: Refused, 401: Refused})
def call_finished(request: HttpRequest) -> Status[dict[str, Any]]:
    """Store one finished call as the telephony system reports it; idempotent on `call_id`."""
    enforce(request, "telephony", [WEBHOOK_LIMIT])
    body = request.body
    if not _signed(request):
        return Status(401, {"detail": "Invalid signature."})
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return Status(400, {"detail": "The body is not JSON."})
    if not isinstance(payload, dict):
        return Status(400, {"detail": "The body must be one JSON object: one call."})
    report = import_call_records(payload_records(payload))
    if not report.ok:
        error = report.errors[0]
        return Status(400, {"detail": error.message, "field": error.column})
    return Status(
        201 if report.created else 200,
        {
            "call_id": str(payload.get("call_id", payload.get("id_chiamata", ""))),
            "stored": bool(report.created),
        },
    )


@router.post(
    "/call-started", auth=None, response={202: Popped, 400: Refused, 401: Refused, 404: Refused}
)
def call_started(request: HttpRequest) -> Status[dict[str, Any]]:
    """A call is ringing on an operator's extension: store its screen-pop (once per call id)."""
    enforce(request, "telephony", [WEBHOOK_LIMIT])
    if not _signed(request):
        return Status(401, {"detail": "Invalid signature."})
    try:
        payload = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return Status(400, {"detail": "The body is not JSON."})
    try:
        incoming = announce_call(**parse_call_started(payload))
    except NotFound as exc:
        return Status(404, {"detail": exc.message, "field": exc.field})
    except DomainError as exc:
        return Status(400, {"detail": exc.message, "field": exc.field})
    log.info("telephony call-started: pop %s for operator %s", incoming.pk, incoming.operator_id)
    return Status(202, {"id": incoming.pk})
