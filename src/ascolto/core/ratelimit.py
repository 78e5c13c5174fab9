"""Rate limits of the public endpoints: the client's address, and counters in fixed windows.

Each public endpoint counts its requests under one or more rules (`Rule`): a generous one per
client address, so that a carrier's NAT or the front desk's kiosk (many citizens, one address)
is not shut out, and a tighter one per something that belongs to one person or one target: a
browser (its CSRF cookie, `browser_key`), a chat session (its cookie), a tracking code. A
request past any rule is refused with 429 and `Retry-After` (the seconds left in the window).
The limits are settings read like "20/h" or "100/10m" (`parse_limit`); "0/h" turns one off.

Counts live in Django's cache (Redis when ASCOLTO_CACHE_URL is set, so every web process shares
them; the in-process cache otherwise). While Redis does not answer, requests go through
uncounted, and the log says so once a minute (`core/outages.py`). Nothing personal is logged
nor stored in clear: an address, a cookie or a code is only ever hashed into a cache key.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache as once
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

from ascolto.core import outages

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


def _hashed(value: str) -> str:
    return hashlib.blake2b(value.encode(), digest_size=12).hexdigest()


def hit(scope: str, limit: str, who: str, *, count: bool = True) -> int | None:
    """Count one more request of `who` (already hashed or not personal) in `scope` under the
    limit `limit` ("20/h"); the seconds left in the window once past the limit, else None.
    With `count=False`, only read the counter (a rule that counts some requests, e.g. lookups
    of codes that do not exist, and refuses all of them once past)."""
    allowed, seconds = parse_limit(limit)
    if allowed <= 0:
        return None
    now = time.time()
    window = int(now // seconds)
    key = f"ascolto:rl:{scope}:{window}:{who}"
    try:
        if not count:
            used = int(cache.get(key) or 0) if _redis() is None else int(_redis().get(key) or 0)
        else:
            used = _incr(key, seconds)
    except outages.CACHE_ERRORS:
        # The shared cache does not answer: let the request through uncounted rather than turn
        # every citizen away while it is down (core/outages.py).
        outages.cache_unavailable("rate limits not counted")
        return None
    # Counting: the request that makes `allowed` still goes; reading: `allowed` already used up.
    if used < allowed or (count and used == allowed):
        return None
    return max(1, int((window + 1) * seconds - now))


def _incr(key: str, seconds: int) -> int:
    client = _redis()
    if client is not None:
        # One round trip: count and (first time only) set the expiry, atomically.
        pipe = client.pipeline(transaction=True)
        pipe.incr(key)
        pipe.expire(key, seconds + 1, nx=True)
        return int(pipe.execute()[0])
    try:
        return int(cache.incr(key))
    except ValueError:
        return 1 if cache.add(key, 1, timeout=seconds + 1) else int(cache.incr(key))


@dataclass(frozen=True)
class Rule:
    """One limit of an endpoint: the setting naming it and its default; `key` is what it
    counts per (None: the client's address; "": nothing to count per, the rule is skipped,
    e.g. a browser without a cookie); `count=False` only reads the counter."""

    setting: str
    default: str
    key: str | None = None
    count: bool = True
    scope: str = ""  # a scope of its own (default: the endpoint's scope + the setting)


def retry_after(request: HttpRequest, scope: str, rule: Rule) -> int | None:
    """Apply one rule to this request: seconds to wait when past it, else None."""
    who = _hashed(client_address(request) if rule.key is None else f"k:{rule.key}")
    return hit(
        rule.scope or f"{scope}:{rule.setting}",
        setting(rule.setting, rule.default),
        who,
        count=rule.count,
    )


def limited(request: HttpRequest, scope: str, rules: Iterable[Rule]) -> int | None:
    """Apply the rules in order, up to the first one past its limit: the seconds it says to
    wait, or None when the request may go on. The rules after it are not counted, so a request
    refused for its address does not use up a browser's or a tracking code's allowance."""
    for rule in rules:
        if rule.key == "":
            continue
        wait = retry_after(request, scope, rule)
        if wait is not None:
            return wait
    return None


class RateLimited(Exception):
    """Raised by `enforce`: the API answers it with 429 and `Retry-After` (api/urls.py)."""

    def __init__(self, seconds: int) -> None:
        super().__init__(f"rate limited for {seconds} s")
        self.seconds = seconds


def enforce(request: HttpRequest, scope: str, rules: Iterable[Rule]) -> None:
    """`limited`, raising `RateLimited` when past a limit (for API endpoints)."""
    wait = limited(request, scope, rules)
    if wait is not None:
        raise RateLimited(wait)


# The machine-to-machine endpoints: Meta's and the telephony system's webhooks, the public
# alerts feed and banner (embedded in the city's portal: one proxy may carry many citizens).
WEBHOOK_LIMIT = Rule("ASCOLTO_WEBHOOK_RATE_LIMIT", "6000/m")
ALERTS_LIMIT = Rule("ASCOLTO_ALERTS_RATE_LIMIT", "600/m")


def over_limit(request: HttpRequest, scope: str, setting_name: str, default: str) -> bool:
    """Count one more request of this address in `scope`; true once it is past the limit
    (fixed windows of the configured length)."""
    return retry_after(request, scope, Rule(setting_name, default, scope=scope)) is not None


def browser_key(request: HttpRequest) -> str:
    """What tells one browser from another without a session: its CSRF cookie (every form
    POST carries it). "" without one: then only the address rule applies."""
    value = request.COOKIES.get(settings.CSRF_COOKIE_NAME, "")
    return f"csrf:{value[:64]}" if value else ""


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


def forget_counts() -> None:
    """Drop every rate-limit count (the test suite, between tests: the cache outlives them)."""
    client = _redis()
    if client is None:
        cache.clear()
        return
    keys = list(client.scan_iter(match="ascolto:rl:*", count=1000))
    if keys:
        client.delete(*keys)
