"""Writing many rows' changed columns in one statement, cheaply.

Django's `bulk_update` writes one `CASE WHEN id = … THEN …` per row and column: for a drained
batch of 40 sessions and 6 columns that is 240 expressions built, compiled and sent, which cost
the assistant's drain more CPU than its turns (measured with cProfile, `benchmarks/chatbot.py`).
On PostgreSQL `update_rows` sends `UPDATE … FROM (VALUES (…), …)` instead: one row of
parameters per row, nothing for the ORM to build; elsewhere it is `bulk_update`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django.db import connection, models

_VARCHAR = re.compile(r"^varchar\(\d+\)$")


def update_rows(rows: Sequence[models.Model], fields: Sequence[str]) -> int:
    """Write `fields` of `rows` (instances of one model, with primary keys) in one statement;
    return how many rows were updated."""
    if not rows:
        return 0
    model = type(rows[0])
    if connection.vendor != "postgresql":
        return int(model._default_manager.bulk_update(rows, list(fields)))
    meta = model._meta
    pk = meta.pk
    assert pk is not None  # noqa: S101 (a model always has one)
    columns: list[models.Field[Any, Any]] = [pk]
    for name in fields:
        column = meta.get_field(name)
        assert isinstance(column, models.Field)  # noqa: S101 (a concrete column)
        columns.append(column)
    quote = connection.ops.quote_name
    names = [quote(str(column.column)) for column in columns]
    # The VALUES' types; a text's without its length (an explicit cast to varchar(n) would cut
    # a longer value silently, where the column refuses it).
    types = [_VARCHAR.sub("varchar", str(column.db_type(connection))) for column in columns]
    casts = ", ".join(f"%s::{kind}" for kind in types)
    sets = ", ".join(f"{name} = v.{name}" for name in names[1:])
    values = ", ".join([f"({casts})"] * len(rows))
    params = [
        column.get_db_prep_value(getattr(row, column.attname), connection)
        for row in rows
        for column in columns
    ]
    table = quote(meta.db_table)
    sql = (
        f"UPDATE {table} AS t SET {sets} FROM (VALUES {values}) AS v({', '.join(names)}) "  # noqa: S608 (our names)
        f"WHERE t.{names[0]} = v.{names[0]}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)
