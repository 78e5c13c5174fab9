"""When to try again: exponential backoff with jitter, shared by the intake queue and the outbox.

A failure that lasts (the mail server down for two hours, a category switched off) must not use
up its retries in seconds, and many rows failing together must not all come back in the same
second: each wait doubles, up to a cap, and is spread by a random ±10 %.
"""

from __future__ import annotations

import random
from datetime import timedelta

JITTER = 0.1


def backoff(attempts: int, *, base: timedelta, cap: timedelta) -> timedelta:
    """How long to wait after the `attempts`-th failed try: `base`·2^(attempts−1), at most
    `cap`, times a random factor within ±JITTER."""
    exponent = min(max(attempts - 1, 0), 40)  # 2**40 · base is past any cap
    seconds = min(base.total_seconds() * 2**exponent, cap.total_seconds())
    return timedelta(seconds=seconds * random.uniform(1 - JITTER, 1 + JITTER))  # noqa: S311
