"""Counts of responses and invitations by several dimensions at once, for the results page.

On PostgreSQL one query per table answers every grouping (`GROUP BY GROUPING SETS`: one scan
of the period's rows, a hash per dimension), so the page of a survey with 100,000 answers reads
each table once instead of once per split. SQLite has no grouping sets: there each grouping is
its own `GROUP BY` (the same numbers; the demo's volumes are small).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Aggregate, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

Key = tuple[str, ...]  # the columns of one grouping; () is the total
WORK_MEM = "64MB"


@dataclass(frozen=True)
class Measure:
    """One aggregate: as the ORM writes it (for SQLite) and as SQL over the grouped rows."""

    orm: Aggregate
    sql: str


def grouped(
    rows: QuerySet[Any],
    date_field: str,
    columns: tuple[str, ...],
    sets: list[Key],
    measures: dict[str, Measure],
    carried: tuple[str, ...] = (),
) -> dict[Key, dict[Any, dict[str, Any]]]:
    """For each grouping of `sets` (tuples of `columns`): {value (a tuple for several columns,
    else the value; () for the total): the measures}. `month` is the local month of
    `date_field`; `carried` are columns the measures read without grouping by them."""
    zone = timezone.get_current_timezone()
    rows = rows.order_by().annotate(month=TruncMonth(date_field, tzinfo=zone))
    if connection.vendor == "postgresql":
        return _grouping_sets(rows, columns, carried, sets, measures)
    out: dict[Key, dict[Any, dict[str, Any]]] = {}
    orm = {name: m.orm for name, m in measures.items()}
    for key in sets:
        if not key:
            out[key] = {(): rows.aggregate(**orm)}
            continue
        out[key] = {_value(row, key): row for row in rows.values(*key).annotate(**orm).order_by()}
    return out


def _value(row: dict[str, Any], key: Key) -> Any:
    value = tuple(_day(row[c]) for c in key)
    return value[0] if len(value) == 1 else value


def _day(value: Any) -> Any:
    return value.date() if hasattr(value, "date") and hasattr(value, "hour") else value


def _grouping_sets(
    rows: QuerySet[Any],
    columns: tuple[str, ...],
    carried: tuple[str, ...],
    sets: list[Key],
    measures: dict[str, Measure],
) -> dict[Key, dict[Any, dict[str, Any]]]:
    inner, params = rows.values(*columns, *carried).query.sql_with_params()
    q = connection.ops.quote_name
    flags = ", ".join(f"GROUPING({q(c)})" for c in columns)
    listed = ", ".join(q(c) for c in columns)
    aggregates = ", ".join(m.sql for m in measures.values())
    groupings = ", ".join("(" + ", ".join(q(c) for c in key) + ")" for key in sets)
    sql = (
        f"SELECT {flags}, {listed}, {aggregates} FROM ({inner}) AS grouped "  # noqa: S608 (names)
        f"GROUP BY GROUPING SETS ({groupings})"
    )
    out: dict[Key, dict[Any, dict[str, Any]]] = {key: {} for key in sets}
    names = list(measures)
    # Enough memory for every grouping to be a hash: the planner cannot estimate the months'
    # count and would otherwise sort the rows (on disk) once per grouping it does not hash.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        cursor.execute(sql, params)
        for record in cursor.fetchall():
            grouped_out = record[: len(columns)]
            key = tuple(c for c, flag in zip(columns, grouped_out, strict=True) if flag == 0)
            values = dict(zip(columns, record[len(columns) : 2 * len(columns)], strict=True))
            found = dict(zip(names, record[2 * len(columns) :], strict=True))
            if values.get("month") is not None and timezone.is_aware(values["month"]):
                values["month"] = timezone.localtime(values["month"])
            out.setdefault(key, {})[_value(values, key) if key else ()] = found
    return out
