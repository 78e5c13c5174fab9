"""Independent read-only queries of one page run at once, each on its own connection.

A page that adds up several large aggregates (a survey's results: the responses, the
invitations and the answers, each grouping a year of rows) waits for them one after another,
while PostgreSQL could run them side by side on other cores. `at_once` runs such calls in
threads, each with its own database connection (Django's connections belong to a thread),
and returns their results in order; the calling thread runs the first call itself.

Each call reads its own snapshot: the figures of one page may differ by what was committed in
the milliseconds between them, which an aggregate page can bear. Inside a transaction (a view
that wrote before it reads, every test that runs in a transaction) or on SQLite, whose one
writer gains nothing from more readers, the calls run one after another in this thread, on
its connection: there they see what the transaction wrote.

Measured with `benchmarks/surveys.py` (the results page of 100,000 responses on PostgreSQL, at
rest): the three groupings took 85, 80 and 95 ms one after another.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.db import connection, connections


def parallel_reads_possible() -> bool:
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def at_once(*calls: Callable[[], Any]) -> list[Any]:
    """The results of `calls` (read-only, independent of one another), in their order."""
    if len(calls) < 2 or not parallel_reads_possible():
        return [call() for call in calls]

    def run(context: contextvars.Context, call: Callable[[], Any]) -> Any:
        # The caller's context: its language, time zone and database routing (core/replica).
        try:
            return context.run(call)
        finally:
            connections.close_all()  # this thread's connections, opened for this call

    with ThreadPoolExecutor(max_workers=len(calls) - 1) as pool:
        futures = [pool.submit(run, contextvars.copy_context(), call) for call in calls[1:]]
        first = calls[0]()
        return [first, *(future.result() for future in futures)]
