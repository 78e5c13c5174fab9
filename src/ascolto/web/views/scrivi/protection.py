"""The public pages' protections: the client's address, the rate limits (`core.ratelimit`, where
the counting lives so that the webhooks and the API use the same), and the 429 page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from ascolto.core.ratelimit import (
    Rule,
    behind_proxy,
    browser_key,
    client_address,
    limited,
    over_limit,
    parse_limit,
    setting,
)

__all__ = [
    "Rule",
    "behind_proxy",
    "browser_key",
    "client_address",
    "limited",
    "over_limit",
    "parse_limit",
    "setting",
    "too_many",
    "with_retry_after",
]


def with_retry_after(response: HttpResponse, seconds: int) -> HttpResponse:
    """A 429 answer that says when to try again (RFC 6585: `Retry-After`, in seconds)."""
    response.status_code = 429
    response["Retry-After"] = str(max(1, seconds))
    response["Cache-Control"] = "no-store"
    return response


def too_many(request: HttpRequest, seconds: int) -> HttpResponse:
    """The citizen pages' 429 page: what happened and how long to wait, in Italian."""
    minutes = max(1, -(-seconds // 60))
    response = render(
        request,
        "web/scrivi/too_many.html",
        {"title": _("Troppe richieste"), "minutes": minutes},
        status=429,
    )
    return with_retry_after(response, seconds)
