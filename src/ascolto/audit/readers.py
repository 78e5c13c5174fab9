"""Who reads: the reader of a request as the access log records them."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from ascolto.core.ratelimit import client_address


@dataclass(frozen=True)
class Reader:
    """The person who was shown personal data, and from where: their id and username (a
    snapshot: the log outlives a renamed or removed account), the address and a short user
    agent."""

    user_id: int | None
    username: str
    ip: str = ""
    agent: str = ""


def _valid_ip(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return ""


def reader_of(request: HttpRequest) -> Reader:
    """The signed-in user of `request` and where they are: the client address as the rate
    limits and the sign-in throttle read it (`core.ratelimit.client_address`)."""
    user: Any = request.user
    return Reader(
        user_id=user.pk if getattr(user, "is_authenticated", False) else None,
        username=str(getattr(user, "username", "") or ""),
        ip=_valid_ip(client_address(request)),
        agent=str(request.META.get("HTTP_USER_AGENT", ""))[:120],
    )
