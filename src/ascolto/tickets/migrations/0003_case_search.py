"""Full-text search over cases (code, subject, description, place, resolution).

PostgreSQL: a stored generated `search_vector` column (Italian text search configuration, the
code and subject weighted highest) with a GIN index. The column is not a model field: Django
never writes it, PostgreSQL computes it on every insert and update, and the demo writer's COPY
names its columns, so it is filled there too.

SQLite: an external-content FTS5 table `tickets_ticket_fts` kept in step by triggers.
Caution: on SQLite, a later migration that alters `tickets_ticket` makes Django rebuild the
table, which drops these triggers; such a migration must run `SQLITE_FORWARD` again (then the
'rebuild' command refills the index).

Queries live in `ascolto/tickets/search.py`.
"""

from typing import Any

from django.db import migrations

PG_FORWARD = [
    """
    ALTER TABLE tickets_ticket ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, coalesce(code, '')), 'A')
        || setweight(to_tsvector('italian'::regconfig, coalesce(subject, '')), 'A')
        || setweight(to_tsvector('italian'::regconfig, coalesce(description, '')), 'B')
        || setweight(to_tsvector('italian'::regconfig, coalesce(place, '')), 'C')
        || setweight(to_tsvector('italian'::regconfig, coalesce(resolution, '')), 'C')
    ) STORED
    """,
    "CREATE INDEX ticket_search_idx ON tickets_ticket USING gin (search_vector)",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS ticket_search_idx",
    "ALTER TABLE tickets_ticket DROP COLUMN IF EXISTS search_vector",
]

_COLUMNS = "code, subject, description, place, resolution"
_NEW = "new.id, new.code, new.subject, new.description, new.place, new.resolution"
_OLD = "old.id, old.code, old.subject, old.description, old.place, old.resolution"

SQLITE_FORWARD = [
    f"""
    CREATE VIRTUAL TABLE IF NOT EXISTS tickets_ticket_fts USING fts5(
        {_COLUMNS}, content='tickets_ticket', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2'
    )
    """,
    "DROP TRIGGER IF EXISTS tickets_ticket_fts_ai",
    "DROP TRIGGER IF EXISTS tickets_ticket_fts_ad",
    "DROP TRIGGER IF EXISTS tickets_ticket_fts_au",
    f"""
    CREATE TRIGGER tickets_ticket_fts_ai AFTER INSERT ON tickets_ticket BEGIN
        INSERT INTO tickets_ticket_fts(rowid, {_COLUMNS}) VALUES ({_NEW});
    END
    """,  # noqa: S608
    f"""
    CREATE TRIGGER tickets_ticket_fts_ad AFTER DELETE ON tickets_ticket BEGIN
        INSERT INTO tickets_ticket_fts(tickets_ticket_fts, rowid, {_COLUMNS})
        VALUES ('delete', {_OLD});
    END
    """,  # noqa: S608
    f"""
    CREATE TRIGGER tickets_ticket_fts_au AFTER UPDATE OF {_COLUMNS} ON tickets_ticket BEGIN
        INSERT INTO tickets_ticket_fts(tickets_ticket_fts, rowid, {_COLUMNS})
        VALUES ('delete', {_OLD});
        INSERT INTO tickets_ticket_fts(rowid, {_COLUMNS}) VALUES ({_NEW});
    END
    """,  # noqa: S608
    "INSERT INTO tickets_ticket_fts(tickets_ticket_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS tickets_ticket_fts_ai",
    "DROP TRIGGER IF EXISTS tickets_ticket_fts_ad",
    "DROP TRIGGER IF EXISTS tickets_ticket_fts_au",
    "DROP TABLE IF EXISTS tickets_ticket_fts",
]


def _run(statements: dict[str, list[str]]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("tickets", "0002_seed_taxonomy")]
    operations = [
        migrations.RunPython(
            _run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        )
    ]
