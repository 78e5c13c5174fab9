"""Rows kept in a process's memory for a few seconds: `Kept`.

The busiest public requests (the Scrivi form's POST, a Meta delivery, a case sent through the
API) each need a row that changes rarely (their channel) on every request. Reading it costs a
round trip and the ORM's work (0.48 ms of CPU a Meta delivery, measured with
`benchmarks/webhooks.py`), so each keeps what it read for a few seconds per process. A change
is seen at once by the process that makes it when the owner connects `forget` to the model's
signals, and within `seconds` by the others.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Kept(Generic[K, V]):
    """Values by key, each read by its caller's `read` and kept for `seconds` on `clock`.

    `keep_missing`: whether a None read is kept too (a code nobody configured asked for again
    and again) or read again on the next call (a channel an administrator is about to create).
    Past `most` keys, everything is dropped: anyone may ask for any code, and the memory must
    not grow with them."""

    def __init__(
        self,
        seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        keep_missing: bool = True,
        most: int = 1000,
    ) -> None:
        self.seconds = seconds
        self.clock = clock
        self.keep_missing = keep_missing
        self.most = most
        self._values: dict[K, tuple[float, V]] = {}

    def get(self, key: K, read: Callable[[], V]) -> V:
        """The value kept for `key` if it was read less than `seconds` ago, else `read()`."""
        now = self.clock()
        kept = self._values.get(key)
        if kept is not None and now - kept[0] < self.seconds:
            return kept[1]
        value = read()
        if value is None and not self.keep_missing:
            self._values.pop(key, None)
            return value
        if len(self._values) > self.most:
            self._values.clear()
        self._values[key] = (now, value)
        return value

    def forget(self, **_: object) -> None:
        """Drop every kept value (a signal receiver: a row was saved or deleted here)."""
        self._values.clear()
