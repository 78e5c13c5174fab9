"""What a request does when a part it depends on stops answering for a while (issue 19's fault
drill: `make faults`).

- **The database** does not answer (restarted, failed over): the request fails, and the citizen
  or operator gets a 503 with `Retry-After` that says to try again, not a 500 that blames the
  site. Nothing half-written stays: each action is one transaction.
- **The shared cache** (Redis) does not answer: what only speeds things up or counts carries
  on without it. The current alerts are read from the database; the rate limits let requests
  through uncounted (an outage of the cache must not turn away every citizen) and say so in
  the log, at most once a minute per process (`cache_unavailable`).
- **The disk** that keeps uploads is read-only or full: a request that brings a file gets a 503
  that says the file could not be kept; its request was not recorded.

`unavailable(exc)` names which of these an exception is, for the error pages (`web.views.
errors.server_error`, the API's problem handler).
"""

from __future__ import annotations

import errno
import logging
import time

import redis
from django.db import InterfaceError, OperationalError

logger = logging.getLogger(__name__)

CACHE_ERRORS: tuple[type[Exception], ...] = (redis.exceptions.RedisError, ConnectionError)
"""What a cache call raises when the Redis server does not answer."""

DISK_ERRNOS = frozenset({errno.EROFS, errno.ENOSPC, errno.EDQUOT})
RETRY_AFTER = 30  # seconds: a database restart or a failover takes about that long

_warned_at: dict[str, float] = {}


def unavailable(exc: BaseException | None) -> str | None:
    """ "database", "cache" or "disk" when `exc` says that part does not answer, else None."""
    if isinstance(exc, (OperationalError, InterfaceError)):
        return "database"
    if isinstance(exc, CACHE_ERRORS):
        return "cache"
    if isinstance(exc, OSError) and exc.errno in DISK_ERRNOS:
        return "disk"
    return None


def cache_unavailable(what: str) -> None:
    """Log, at most once a minute per process and `what`, that the cache did not answer."""
    now = time.monotonic()
    if now - _warned_at.get(what, -60.0) >= 60.0:
        _warned_at[what] = now
        logger.warning("the cache does not answer: %s", what)
