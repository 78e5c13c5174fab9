"""The public pages' protections: the client's address and a rate limit per address.

Counts live in Django's cache (Redis when ASCOLTO_CACHE_URL is set, so every web process shares
them; the in-process cache otherwise). Nothing personal is logged: an address is only ever a
cache key.
"""

from __future__ import annotations

import hashlib
import re
import time
from functools import cache as once
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_LIMIT = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")


def setting(name: str, default: str) -> str:
    """A setting (read from the environment in config/settings.py), or `default`."""
    value = getattr(settings, name, None)
    return default if value is None or value == "" else str(value)


def parse_limit(text: str) -> tuple[int, int]:
    """`"20/h"` → (20, 3600); `"100/10m"` → (100, 600). `"0/h"` turns the limit off."""
    match = _LIMIT.match(text)
    if not match:
        raise ImproperlyConfigured(f"A rate limit reads like '20/h' or '100/10m', not {text!r}")
    count, number, unit = match.groups()
    return int(count), int(number or 1) * _UNITS[unit]


def behind_proxy() -> bool:
    return bool(getattr(settings, "ASCOLTO_BEHIND_PROXY", False))


def client_address(request: HttpRequest) -> str:
    """REMOTE_ADDR; behind a reverse proxy (ASCOLTO_BEHIND_PROXY), the right-most hop of
    X-Forwarded-For, the one our own proxy appended: hops to its left are the client's word."""
    if behind_proxy():
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if hops:
            return str(hops[-1])[:64]
    return str(request.META.get("REMOTE_ADDR", ""))[:64]


def over_limit(request: HttpRequest, scope: str, setting_name: str, default: str) -> bool:
    """Count one more request of this address in `scope`; true once it is past the limit
    (fixed windows of the configured length)."""
    count, seconds = parse_limit(setting(setting_name, default))
    if count <= 0:
        return False
    window = int(time.time() // seconds)
    address = hashlib.blake2b(client_address(request).encode(), digest_size=12).hexdigest()
    key = f"ascolto:rl:{scope}:{window}:{address}"
    client = _redis()
    if client is not None:
        # One round trip: count and (first time only) set the expiry, atomically.
        pipe = client.pipeline(transaction=True)
        pipe.incr(key)
        pipe.expire(key, seconds + 1, nx=True)
        used = int(pipe.execute()[0])
    else:
        try:
            used = cache.incr(key)
        except ValueError:
            used = 1 if cache.add(key, 1, timeout=seconds + 1) else cache.incr(key)
    return used > count


@once
def _redis() -> Any:
    """A client of the Redis server behind the default cache, when it is Redis (one per
    process, with its connection pool); None for any other cache backend."""
    config = settings.CACHES.get("default", {})
    if not str(config.get("BACKEND", "")).endswith("RedisCache"):
        return None
    import redis

    location = config["LOCATION"]
    return redis.Redis.from_url(location if isinstance(location, str) else location[0])
