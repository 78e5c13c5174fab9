"""The telephony system's webhooks: `POST /telephony/call-started/` (screen-pop).

Signed with the shared secret `ASCOLTO_TELEPHONY_WEBHOOK_SECRET` (`core.signing`): a request
with a bad or stale signature answers 401 and stores nothing. The payload is in
docs/contact-center.md.
"""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.urls import URLPattern, path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ascolto.contactcenter.actions import announce_call, parse_call_started
from ascolto.core.errors import DomainError, NotFound
from ascolto.core.signing import BadSignature, verify_webhook

log = logging.getLogger(__name__)


@csrf_exempt  # a machine calls this, with an HMAC signature instead of a session
@require_POST
def call_started(request: HttpRequest) -> JsonResponse:
    """A call is ringing on an operator's extension: store its screen-pop."""
    try:
        verify_webhook(request.body, request.headers, settings.ASCOLTO_TELEPHONY_WEBHOOK_SECRET)
    except BadSignature as exc:
        log.warning("telephony call-started refused: %s", exc.message)
        return JsonResponse({"detail": "bad signature"}, status=401)
    try:
        payload = json.loads(request.body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return JsonResponse({"detail": "The body is not JSON."}, status=400)
    try:
        incoming = announce_call(**parse_call_started(payload))
    except NotFound as exc:
        return JsonResponse({"detail": exc.message, "field": exc.field}, status=404)
    except DomainError as exc:
        return JsonResponse({"detail": exc.message, "field": exc.field}, status=400)
    log.info("telephony call-started: pop %s for operator %s", incoming.pk, incoming.operator_id)
    return JsonResponse({"id": incoming.pk}, status=202)


urlpatterns: list[URLPattern] = [
    path("call-started/", call_started, name="call-started"),
]
