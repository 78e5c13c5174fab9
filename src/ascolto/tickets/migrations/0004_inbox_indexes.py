"""Indexes the inbox needs over a million cases (PostgreSQL; measured in benchmarks/inbox.py).

- `ticket_active_recent_idx`: the active cases, newest first, covering the columns the inbox
  counts and filters on, so the default view's counts are an index-only scan of ~15 k entries
  and its first page is 25 index entries, whatever the size of the closed history.
- `ticket_active_search_idx`: the search vector of the active cases only, so a search in the
  default view does not sift the matches of a whole year.

Partial and covering indexes are not expressible in `Ticket.Meta` portably, hence raw SQL (so
`makemigrations --check` stays clean). SQLite gets the same partial b-tree (no INCLUDE).
"""

from typing import Any

from django.db import migrations

ACTIVE = "('new', 'open', 'office', 'waiting')"

PG_FORWARD = [
    "CREATE INDEX IF NOT EXISTS ticket_active_recent_idx ON tickets_ticket "
    "(created_at DESC, id DESC) INCLUDE (status, channel_id, kind, due_at, office_id, theme_id, "
    f"assignee_id, team_id, campaign_id) WHERE status IN {ACTIVE}",
    "CREATE INDEX IF NOT EXISTS ticket_active_search_idx ON tickets_ticket "
    f"USING gin (search_vector) WHERE status IN {ACTIVE}",
]
SQLITE_FORWARD = [
    "CREATE INDEX IF NOT EXISTS ticket_active_recent_idx ON tickets_ticket "
    f"(created_at DESC, id DESC) WHERE status IN {ACTIVE}",
]
BACKWARD = [
    "DROP INDEX IF EXISTS ticket_active_recent_idx",
    "DROP INDEX IF EXISTS ticket_active_search_idx",
]


def _run(statements: dict[str, list[str]]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("tickets", "0003_case_search")]
    operations = [
        migrations.RunPython(
            _run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": BACKWARD, "sqlite": BACKWARD[:1]}),
        )
    ]
