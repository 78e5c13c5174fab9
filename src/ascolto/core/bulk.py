"""Writing many rows at once, where Django's own bulk methods cost more than the work.

`update_each(objs, fields)` writes the given fields of saved instances of one model, each with its
own values, as `QuerySet.bulk_update` does, in one `UPDATE … FROM (VALUES …)` statement per
`BATCH` rows. Django's `bulk_update` builds a `CASE WHEN pk = … THEN …` expression per row and
field and resolves each in Python: measured on the 2-core machine while draining Meta's webhook
deliveries (batches of about 280 messages), it was 0.82 ms of the 1.35 ms of CPU each message
cost; this statement is built with one string join. PostgreSQL and SQLite (3.33 and later) both
run it; other databases get Django's `bulk_update`.

`insert_select(model, rows)` writes the rows of a `values()` query (an aggregate, usually) into
`model`'s table in one `INSERT … SELECT`: the database computes and stores them, and no row
passes through Python, so the memory of the process does not grow with the rows (the report
summaries' rebuild, `analytics.summaries`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import Field, Model, QuerySet

BATCH = 500
_LENGTH = re.compile(r"\(\d+\)$")  # varchar(n) -> varchar


def update_each(objs: Sequence[Model], fields: Sequence[str]) -> int:
    """Write `fields` of each of `objs` (saved rows of one model) to the database; return the
    rows updated. Values are taken from the instances as they are (no `pre_save`, as
    `bulk_update`); expressions are not supported. An instance listed twice is written once,
    from its first listing (as `bulk_update`'s first matching `WHEN`)."""
    firsts: dict[object, Model] = {}
    for obj in objs:
        firsts.setdefault(obj.pk, obj)
    objs = list(firsts.values())
    if not objs:
        return 0
    model = type(objs[0])
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    if connection.vendor not in ("postgresql", "sqlite"):
        return model._base_manager.bulk_update(objs, fields)
    pk = meta.pk
    assert pk is not None  # noqa: S101 (every model has one)
    columns: list[Field[Any, Any]] = [pk]
    for name in fields:
        field = meta.get_field(name)
        if not isinstance(field, Field) or not field.concrete:
            raise ValueError(f"{name} is not a column of {meta.label}")
        columns.append(field)
    qn = connection.ops.quote_name
    if connection.vendor == "postgresql":
        # Typed placeholders: VALUES has no column types of its own to infer them from. A text's
        # type without its length: a cast to varchar(n) would cut a longer value silently,
        # where the column itself refuses it.
        casts = [
            _LENGTH.sub("", str(f.cast_db_type(connection)))  # type: ignore[attr-defined]
            for f in columns
        ]
        row = "(" + ", ".join(f"%s::{cast}" for cast in casts) + ")"
        names = ["v" + str(i) for i in range(len(columns))]
        source = "AS v(" + ", ".join(names) + ")"
    else:
        row = "(" + ", ".join("%s" for _ in columns) + ")"
        names = ["column" + str(i + 1) for i in range(len(columns))]  # SQLite's own names
        source = "AS v"
    assignments = ", ".join(
        f"{qn(f.column)} = v.{name}" for f, name in zip(columns[1:], names[1:], strict=True)
    )
    table = qn(meta.db_table)
    updated = 0
    with connection.cursor() as cursor:
        for start in range(0, len(objs), BATCH):
            chunk = objs[start : start + BATCH]
            params: list[Any] = []
            for obj in chunk:
                params.append(pk.get_db_prep_save(obj.pk, connection))
                for field in columns[1:]:
                    value = getattr(obj, field.attname)
                    params.append(field.get_db_prep_save(value, connection))
            cursor.execute(
                f"UPDATE {table} SET {assignments} "  # noqa: S608 (names are the model's)
                f"FROM (VALUES {', '.join([row] * len(chunk))}) {source} "
                f"WHERE {table}.{qn(pk.column)} = v.{names[0]}",
                params,
            )
            updated += cursor.rowcount
    return updated


def insert_select(model: type[Model], rows: QuerySet[Any, Any], prefix: str = "") -> int:
    """Insert into `model`'s table the rows of `rows`, a `values(...)` query whose keys are the
    names of `model`'s fields with `prefix` before them (a prefix keeps the keys clear of the
    queried model's own field names, which `values()` refuses as aliases); return the rows
    inserted. The database runs `INSERT INTO t (columns) SELECT keys FROM (query)`: the query
    keeps its own SQL, whatever its grouping or window functions."""
    meta = model._meta
    keys = [*rows.query.values_select, *rows.query.annotation_select]
    if not keys or any(not key.startswith(prefix) for key in keys):
        raise ValueError(f"the keys of the rows must all start with {prefix!r}")
    columns: list[str] = []
    for key in keys:
        field = meta.get_field(key.removeprefix(prefix))
        if not isinstance(field, Field) or not field.concrete:
            raise ValueError(f"{key} is not a column of {meta.label}")
        columns.append(field.column)
    connection = connections[router.db_for_write(model)]
    try:
        sql, params = rows.query.sql_with_params()
    except EmptyResultSet:  # a condition that can match nothing: nothing to insert
        return 0
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(c) for c in columns)}) "  # noqa: S608
            f"SELECT {', '.join('sub.' + qn(k) for k in keys)} FROM ({sql}) sub",
            params,
        )
        return max(int(cursor.rowcount), 0)
