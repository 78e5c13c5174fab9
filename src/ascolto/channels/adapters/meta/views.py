"""The webhook of Meta's channels: `/webhooks/meta/<channel code>/`, one per Meta app.

GET answers Meta's verification handshake. POST checks the signature over the raw body before
anything else, then accepts the delivery as it arrived into the durable queue (one insert) and
answers 200 at once; the drain parses and takes it in (`deliveries`). Nothing is stored for a
delivery refused here. No session, no CSRF token (Meta signs instead), no parsing: the budget is
1,500 deliveries a second with a p99 of 50 ms.
"""

from __future__ import annotations

import logging

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from ascolto.channels.adapters.meta import deliveries
from ascolto.channels.adapters.meta.signature import SIGNATURE_HEADER, challenge, signature_ok
from ascolto.channels.config import secret
from ascolto.channels.models import Channel
from ascolto.core.memo import Kept
from ascolto.core.ratelimit import WEBHOOK_LIMIT, limited

logger = logging.getLogger(__name__)

TEXT = "text/plain; charset=utf-8"


# Channels by code, as the webhook last read them, for CHANNEL_SECONDS: the lookup is the
# largest part of a delivery's cost after the insert (0.48 ms of CPU a request through the ORM,
# measured with `benchmarks/webhooks.py`'s load), and a channel's code, kind and configuration
# change rarely. A channel switched off or reconfigured is seen at once by the process that
# saved it (`forget_channels`, on Channel's signals) and within CHANNEL_SECONDS by the others; the
# secret itself is read from the environment at every request.
CHANNEL_SECONDS = 10.0
_channels: Kept[str, Channel | None] = Kept(CHANNEL_SECONDS)


def _channel(code: str) -> Channel | None:
    return _channels.get(
        code,
        lambda: (
            Channel.objects.filter(code=code, kind__in=deliveries.META_KINDS, is_active=True)
            .only("code", "kind", "config")
            .first()
        ),
    )


def forget_channels(**_: object) -> None:
    """Drop the cached channels (a channel was saved or deleted in this process)."""
    _channels.forget()


@csrf_exempt
@require_http_methods(["GET", "POST"])
def webhook(request: HttpRequest, code: str) -> HttpResponse:
    # Only what the WSGI fast path did not take comes here (a signed delivery in production is
    # stored before Django sees it): verification, refusals, and everything in tests and dev.
    wait = limited(request, "meta-webhook", [WEBHOOK_LIMIT])
    if wait is not None:
        response = HttpResponse("too many requests", status=429, content_type=TEXT)
        response["Retry-After"] = str(wait)
        return response
    channel = _channel(code)
    if channel is None:
        return HttpResponse("unknown channel", status=404, content_type=TEXT)
    if request.method == "GET":
        token = secret(str(channel.config.get("verify_token_env", "")))
        answer = challenge(request.GET, token)
        if answer is None:
            return HttpResponse("verification refused", status=403, content_type=TEXT)
        return HttpResponse(answer[:200], content_type=TEXT)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > deliveries.MAX_BODY_BYTES:
        return HttpResponse("delivery too large", status=413, content_type=TEXT)
    try:
        body = request.body
    except RequestDataTooBig:
        return HttpResponse("delivery too large", status=413, content_type=TEXT)
    if len(body) > deliveries.MAX_BODY_BYTES:
        return HttpResponse("delivery too large", status=413, content_type=TEXT)
    refusal = _refusal(channel, body, request.headers.get(SIGNATURE_HEADER), log=True)
    if refusal is not None:
        return HttpResponse(refusal[1], status=refusal[0], content_type=TEXT)
    text = body.decode("utf-8")
    deliveries.accept(channel.code, text)
    return HttpResponse("ok", content_type=TEXT)


def accept_signed(code: str, body: bytes, signature: str | None) -> bool:
    """The POST of `webhook` when everything is plainly right, for the WSGI entry point's fast
    path (`config/wsgi.py`), which calls it without a request object: the channel known and
    active, the body within the size and signed with the app secret, UTF-8 without NUL; then
    stored with one insert (`deliveries.accept_now`). True when stored (the answer is 200 "ok");
    False for anything else, and the request then goes through `webhook`, which answers it
    (404, 413, 401, 400, or a 500) and logs it as for any request."""
    if len(body) > deliveries.MAX_BODY_BYTES:
        return False
    channel = _channel(code)
    if channel is None or _refusal(channel, body, signature) is not None:
        return False
    return deliveries.accept_now(channel.code, body)


def _refusal(
    channel: Channel, body: bytes, signature: str | None, *, log: bool = False
) -> tuple[int, str] | None:
    """Why a POSTed delivery of `channel` is refused (status, text), or None when it is signed
    with the app secret and is UTF-8 without NUL; with `log`, a missing secret and a bad
    signature are logged (the fast path hands such a request to `webhook`, which logs it)."""
    app_secret = secret(str(channel.config.get("app_secret_env", "")))
    if log and not app_secret:
        logger.error("meta webhook %s: the app secret variable is not set", channel.code)
    if not signature_ok(app_secret, body, signature):
        if log:
            logger.warning("meta webhook %s: bad or missing signature", channel.code)
        return 401, "bad signature"
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return 400, "the body is not UTF-8"
    if "\x00" in text:  # JSON escapes it; a raw NUL is no Meta delivery (and PostgreSQL refuses it)
        return 400, "the body holds a NUL byte"
    return None
