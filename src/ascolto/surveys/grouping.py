"""Counts of responses, invitations and answers by several groupings at once, for the results
page.

On PostgreSQL one query per table answers every grouping (`GROUP BY GROUPING SETS`: one scan
of the period's rows, a hash per grouping), so the page of a survey with 100,000 answers reads
each table once instead of once per split. SQLite has no grouping sets: there each grouping is
its own `GROUP BY` (the same numbers; the demo's volumes are small).

Each grouping costs PostgreSQL a hash lookup per row, so the results page groups by pairs of
columns (month and channel, office and service) and sums a pair's cells into each column's
split (`rolled_up`): fewer hashes per row, the same counts, since counts and sums add up.
The month of a row is found by comparing its time with the local months' starts
(`month_of`), not by converting every row to the local time zone, which cost PostgreSQL more
than the grouping itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.db import connection, transaction
from django.db.models import Aggregate, Case, DateField, Q, QuerySet, Value, When
from django.utils import timezone

Key = tuple[str, ...]  # the columns of one grouping; () is the total
Groups = dict[Key, dict[Any, dict[str, Any]]]
WORK_MEM = "64MB"


@dataclass(frozen=True)
class Measure:
    """One aggregate: as the ORM writes it (for SQLite) and as SQL over the grouped rows."""

    orm: Aggregate
    sql: str


def month_of(date_field: str, months: Sequence[date]) -> Case:
    """The local month (its first day) of `date_field`, for rows from the first of `months`
    on: the latest month whose local midnight start the row is not before."""
    starts = [
        When(
            Q(**{f"{date_field}__gte": timezone.make_aware(datetime.combine(month, time.min))}),
            then=Value(month),
        )
        for month in reversed(months[1:])
    ]
    return Case(*starts, default=Value(months[0]), output_field=DateField())


@dataclass(frozen=True)
class Grouping:
    """`rows` grouped by each grouping of `sets` (tuples of `columns`), with `measures`.
    `columns` and `carried` (the columns the measures read without grouping by them) are
    fields or annotations of `rows`."""

    rows: QuerySet[Any]
    columns: tuple[str, ...]
    sets: list[Key]
    measures: dict[str, Measure]
    carried: tuple[str, ...] = ()


def grouped(grouping: Grouping) -> Groups:
    """For each set of `grouping`: {value (a tuple for several columns, else the value; ()
    for the total): the measures}."""
    if connection.vendor == "postgresql":
        return _grouping_sets(grouping)
    return _one_by_one(grouping)


def _one_by_one(grouping: Grouping) -> Groups:
    rows = grouping.rows.order_by()
    out: Groups = {}
    orm = {name: m.orm for name, m in grouping.measures.items()}
    for key in grouping.sets:
        if not key:
            out[key] = {(): rows.aggregate(**orm)}
            continue
        out[key] = {
            _value(row, key): {name: row[name] for name in grouping.measures}
            for row in rows.values(*key).annotate(**orm).order_by()
        }
    return out


def rolled_up(
    cells: dict[Any, dict[str, Any]], columns: Key, kept: Key
) -> dict[Any, dict[str, Any]]:
    """The cells of a grouping by `columns` summed into a grouping by `kept` (some of them;
    () for the total). Only for measures that add up: counts and sums, not distinct counts."""
    at = [columns.index(c) for c in kept]
    sums: dict[Any, list[Any]] = {}
    names: list[str] = []
    for value, found in cells.items():
        names = names or list(found)
        values = value if len(columns) > 1 else (value,)
        key = values[at[0]] if len(at) == 1 else tuple(values[i] for i in at)
        amounts = [found[name] or 0 for name in names]
        into = sums.get(key)
        if into is None:
            sums[key] = amounts
        else:
            sums[key] = [a + b for a, b in zip(into, amounts, strict=True)]
    return {key: dict(zip(names, amounts, strict=True)) for key, amounts in sums.items()}


def _value(row: dict[str, Any], key: Key) -> Any:
    value = tuple(row[c] for c in key)
    return value[0] if len(value) == 1 else value


def _grouping_sets(grouping: Grouping) -> Groups:
    rows = grouping.rows.order_by().values(*grouping.columns, *grouping.carried)
    inner, params = rows.query.sql_with_params()
    q = connection.ops.quote_name
    columns = grouping.columns
    listed = ", ".join(q(c) for c in columns)
    measures = ", ".join(m.sql for m in grouping.measures.values())
    sets = ", ".join("(" + ", ".join(q(c) for c in key) + ")" for key in grouping.sets)
    sql = (
        f"SELECT GROUPING({listed}), {listed}, {measures} FROM ({inner}) AS grouped "  # noqa: S608 (names)
        f"GROUP BY GROUPING SETS ({sets})"
    )
    out: Groups = {key: {} for key in grouping.sets}
    names = list(grouping.measures)
    width = len(columns)
    # Enough memory for every grouping to be a hash: the planner cannot estimate the months'
    # count and would otherwise sort the rows (on disk) once per grouping it does not hash.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        cursor.execute(sql, params)
        for record in cursor.fetchall():
            # GROUPING(a, b, …): a bit per column, the first the highest, set for the columns
            # the row is not grouped by.
            flags = record[0]
            key = tuple(c for i, c in enumerate(columns) if not flags & (1 << (width - 1 - i)))
            values = dict(zip(columns, record[1 : 1 + width], strict=True))
            found = dict(zip(names, record[1 + width :], strict=True))
            out.setdefault(key, {})[_value(values, key) if key else ()] = found
    return out
