"""Whether the database has the planner's statistics of a table (after `ANALYZE`)."""

from __future__ import annotations

from django.db import connection


def has_statistics(table: str) -> bool:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM pg_stats "
                "WHERE schemaname = current_schema() AND tablename = %s",
                [table],
            )
        else:
            cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = %s", [table])
        return bool(cursor.fetchone()[0])
