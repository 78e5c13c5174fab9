"""Analytics read from a PostgreSQL replica when one is configured (issue 19).

With `ASCOLTO_REPLICA_URL` set, settings add a second database alias, `replica`, and this
module's router. Code that only reads aggregates — the reports, the dashboards, the open data —
runs inside `reading()` (or a view decorated with `reads_replica`): its reads go to the replica,
so a supervisor's year-long report does not compete with the intake on the primary. Everything
else, and every write anywhere, goes to `default`; so does every read when no replica is
configured, inside a transaction on `default` (a read inside it must see its own writes), and
inside `primary()`: code that writes from what it reads (the summaries' catch-up) pins its
reads there, or it would act on a lagging copy.

A replica lags its primary by the replication delay (usually under a second with streaming
replication): the routed pages show aggregates, where that does not matter. Pages that show a
case, or read what the same request just wrote, are never routed. See docs/deploy.md
"More nodes".
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import connections

REPLICA = "replica"

_reading: ContextVar[bool] = ContextVar("ascolto_reading_replica", default=False)

P = ParamSpec("P")
R = TypeVar("R")


def configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def reading() -> Iterator[None]:
    """Send this block's reads to the replica, when there is one."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


@contextmanager
def primary() -> Iterator[None]:
    """This block reads the primary even inside `reading()`: for code that writes from what it
    read (the summaries' catch-up), which must not act on a lagging copy."""
    token = _reading.set(False)
    try:
        yield
    finally:
        _reading.reset(token)


def on_primary(function: Callable[P, R]) -> Callable[P, R]:
    """`primary()` around a whole function."""

    @functools.wraps(function)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        with primary():
            return function(*args, **kwargs)

    return wrapped


def reads_replica(view: Callable[P, R]) -> Callable[P, R]:
    """A view whose reads go to the replica (aggregates only: see the module's docstring)."""

    @functools.wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        with reading():
            return view(*args, **kwargs)

    return wrapped


class ReplicaRouter:
    """Reads inside `reading()` go to `replica`; all else to `default`; migrations only there."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str | None:
        if not _reading.get() or not configured():
            return None
        if connections["default"].in_atomic_block:
            return None
        return REPLICA

    def db_for_write(self, model: type[Any], **hints: Any) -> str | None:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # The replica is a copy of the primary: an object read there relates to one on default.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return db == "default"
