"""Who reads: the reader of a request as the access log records them."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest


@dataclass(frozen=True)
class Reader:
    """The person who was shown personal data, and from where: their id and username (a
    snapshot: the log outlives a renamed or removed account), the address and a short user
    agent."""

    user_id: int | None
    username: str
    ip: str = ""
    agent: str = ""


def client_address(request: HttpRequest) -> str:
    """REMOTE_ADDR; behind our reverse proxy (ASCOLTO_BEHIND_PROXY), the right-most hop of
    X-Forwarded-For, the one the proxy appended (the hops to its left are the client's word)."""
    if getattr(settings, "ASCOLTO_BEHIND_PROXY", False):
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if hops:
            return str(hops[-1])[:64]
    return str(request.META.get("REMOTE_ADDR", ""))[:64]


def _valid_ip(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return ""


def reader_of(request: HttpRequest) -> Reader:
    user: Any = request.user
    return Reader(
        user_id=user.pk if getattr(user, "is_authenticated", False) else None,
        username=str(getattr(user, "username", "") or ""),
        ip=_valid_ip(client_address(request)),
        agent=str(request.META.get("HTTP_USER_AGENT", ""))[:120],
    )
