"""What a queue's `drain_all` asked the database: its batches' reads, to check where each
started (the intake queue's and the Meta deliveries')."""

from __future__ import annotations

from typing import Any

from django.db import models


def batch_reads(captured: list[dict[str, Any]], model: type[models.Model]) -> list[str]:
    """The SQL of each batch a drain read from `model`'s table (a SELECT with a LIMIT), in
    order, from a `CaptureQueriesContext`'s `captured_queries`."""
    table = model._meta.db_table
    return [
        q["sql"]
        for q in captured
        if q["sql"].startswith("SELECT") and f'FROM "{table}"' in q["sql"] and " LIMIT " in q["sql"]
    ]


def starts_above(sql: str, model: type[models.Model], pk: int) -> bool:
    """Whether the batch read `sql` asks for ids above `pk`."""
    return f'"{model._meta.db_table}"."id" > {pk}' in sql
