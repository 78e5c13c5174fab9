"""The telephony system's webhook: one finished call per request, signed (core/webhooks.py).

    POST /api/v1/telephony/calls
    X-Ascolto-Timestamp: 1767340800
    X-Ascolto-Signature: sha256=<HMAC-SHA256 of "<timestamp>.<body>" with ASCOLTO_TELEPHONY_SECRET>
    {"call_id": "...", "queue": "...", "arrived_at": "...", ...}   (the import's columns)

A bad or missing signature, or a stale timestamp, gets 401 and nothing is read. A call already
stored (a delivery repeated) answers 200 with `"stored": false`; a new one 201.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Router, Schema
from ninja.responses import Status

from ascolto.contactcenter.actions import import_call_records, payload_records
from ascolto.core import webhooks

log = logging.getLogger(__name__)
router = Router(tags=["telephony"])


class Stored(Schema):
    call_id: str
    stored: bool


class Refused(Schema):
    detail: str
    field: str | None = None


@router.post("/calls", auth=None, response={200: Stored, 201: Stored, 400: Refused, 401: Refused})
def call_finished(request: HttpRequest) -> Status[dict[str, Any]]:
    """Store one finished call as the telephony system reports it; idempotent on `call_id`."""
    body = request.body
    if not webhooks.signature_ok(
        settings.ASCOLTO_TELEPHONY_SECRET,
        request.headers.get(webhooks.TIMESTAMP_HEADER),
        request.headers.get(webhooks.SIGNATURE_HEADER),
        body,
        tolerance=settings.ASCOLTO_TELEPHONY_TOLERANCE,
    ):
        log.warning("telephony webhook: bad signature or timestamp, request refused")
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
