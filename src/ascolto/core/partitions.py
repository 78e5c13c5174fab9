"""Monthly partitions of the contact records on PostgreSQL (decision 0033).

The three tables that grow by millions of rows a year — call records, messages, case events —
are partitioned by range on their time column, one partition per calendar month of the city
(`TIME_ZONE`: a month's report maps onto exactly its partition), plus a DEFAULT partition so
that no insert ever fails for want of a partition. SQLite has no partitions: every function
here does nothing there, and the models' own constraints apply as they are.

What partitioning changes, and where it went:

- **Primary key** `(id, <time>)` on the database (PostgreSQL requires the partition key in every
  unique index); Django keeps `id` as the model's pk, and `id` stays unique because it comes from
  one sequence.
- **Other unique keys** (a message's `(channel, external_id)`, a call's `external_id` and its
  conversation) move to a small unpartitioned *key table* each, with the unique index under the
  constraint's old name, kept by a row trigger on the partitioned table in the same statement:
  a second insert of the same key fails with the same IntegrityError as before, and waits, as
  before, for a concurrent transaction holding it to end (race-safe).
- **Append-only** (case events): the statement trigger stays on the partitioned table, and each
  partition gets its own, so a raw UPDATE or DELETE on a partition is refused too.

`ensure_partitions` (the nightly `ensure_partitions` command) creates the months ahead and moves
rows that fell into DEFAULT into their month's new partition; `partition_table` and
`unpartition_table` are the migrations' two directions for an existing database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

# The transaction-local setting under which rows may be moved between partitions: the key
# tables are left alone (the rows keep their keys) and the partitions' append-only triggers let
# the DEFAULT partition give its rows up.
MOVE_SETTING = "ascolto.partition_move"

# The transaction-local setting under which an insert into a partitioned table leaves its key
# tables alone: the bulk insert that sets it has written every key of its rows itself (the call
# import claims the call ids, with the ids its calls then take, by INSERT … ON CONFLICT DO
# NOTHING on the key table: the arbiter, race-safe; a per-row trigger costs it a third).
KEYS_WRITTEN = "ascolto.keys_written"

# How far back the migration makes monthly partitions for existing rows; older rows go to the
# DEFAULT partition (a decade of a city's records fits; a stray date in year 1 does not make
# twenty thousand partitions).
MAX_MONTHS_BACK = 120


@dataclass(frozen=True)
class Key:
    """A unique key of a partitioned table kept in its own unpartitioned table.

    `columns` are the partitioned table's; `where` (SQL on the row, `NEW.`-free column names)
    says which rows carry the key (a partial unique constraint); `restore` is the statement that
    put the constraint back on an unpartitioned table."""

    name: str  # the old constraint's name: the key table's unique index takes it
    table: str
    columns: tuple[str, ...]
    where: str
    restore: str


@dataclass(frozen=True)
class Partitioned:
    table: str
    column: str
    keys: tuple[Key, ...] = ()
    append_only_escape: str = ""  # the table's append-only escape (core/appendonly.py), if any


CALLS = Partitioned(
    "contactcenter_callrecord",
    "arrived_at",
    keys=(
        Key(
            "call_external_id_unique",
            "contactcenter_callrecord_key",
            ("external_id",),
            "",
            "ALTER TABLE contactcenter_callrecord ADD CONSTRAINT call_external_id_unique "
            "UNIQUE (external_id)",
        ),
        Key(
            "contactcenter_callrecord_conversation_id_key",
            "contactcenter_callrecord_conversation",
            ("conversation_id",),
            "conversation_id IS NOT NULL",
            "ALTER TABLE contactcenter_callrecord ADD CONSTRAINT "
            "contactcenter_callrecord_conversation_id_key UNIQUE (conversation_id)",
        ),
    ),
)
MESSAGES = Partitioned(
    "channels_message",
    "sent_at",
    keys=(
        Key(
            "message_unique_external_id",
            "channels_message_key",
            ("channel_id", "external_id"),
            "external_id <> ''",
            "CREATE UNIQUE INDEX message_unique_external_id ON channels_message "
            "(channel_id, external_id) WHERE NOT (external_id = '')",
        ),
    ),
)
EVENTS = Partitioned("tickets_ticketevent", "at", append_only_escape="erase_cases")

TABLES = (CALLS, MESSAGES, EVENTS)


# --- months ------------------------------------------------------------------------------------


def month_start(year: int, month: int) -> datetime:
    """Midnight of the month's first day in the city's time zone."""
    return datetime.combine(date(year, month, 1), time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def months_from(year: int, month: int, count: int) -> list[tuple[int, int]]:
    out = []
    for _ in range(count):
        out.append((year, month))
        year, month = next_month(year, month)
    return out


def partition_name(table: str, year: int, month: int) -> str:
    return f"{table}_p{year:04d}_{month:02d}"


def default_name(table: str) -> str:
    return f"{table}_default"


def _local_month(column: str) -> str:
    """SQL: the (year, month) of `column` in the city's time zone."""
    zone = settings.TIME_ZONE.replace("'", "")
    return (
        f"EXTRACT(YEAR FROM {column} AT TIME ZONE '{zone}')::int, "
        f"EXTRACT(MONTH FROM {column} AT TIME ZONE '{zone}')::int"
    )


# --- catalogue ---------------------------------------------------------------------------------


def is_partitioned(cursor: Any, table: str) -> bool:
    cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [table])
    row = cursor.fetchone()
    return bool(row) and row[0] == "p"


def _exists(cursor: Any, name: str) -> bool:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
    return bool(cursor.fetchone()[0])


def partitions(cursor: Any, table: str) -> list[str]:
    """The partitions of `table`, by name."""
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = to_regclass(%s) ORDER BY c.relname",
        [table],
    )
    return [name for (name,) in cursor.fetchall()]


def _indexes(cursor: Any, table: str) -> list[tuple[str, str, bool, bool, str | None]]:
    """(name, definition, primary, unique, constraint name) of the table's own indexes."""
    cursor.execute(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid), i.indisprimary, i.indisunique, "
        "con.conname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid "
        "AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u') "
        "WHERE i.indrelid = to_regclass(%s) ORDER BY c.relname",
        [table],
    )
    return list(cursor.fetchall())


def _foreign_keys(cursor: Any, table: str) -> list[tuple[str, str]]:
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = to_regclass(%s) AND contype = 'f' AND conparentid = 0 ORDER BY conname",
        [table],
    )
    return list(cursor.fetchall())


def _incoming(cursor: Any, table: str) -> list[str]:
    cursor.execute(
        "SELECT conrelid::regclass::text || '.' || conname FROM pg_constraint "
        "WHERE confrelid = to_regclass(%s) AND contype = 'f' AND conparentid = 0",
        [table],
    )
    return [name for (name,) in cursor.fetchall()]


def _sequence(cursor: Any, table: str) -> str:
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    return str(cursor.fetchone()[0])


# --- partitions --------------------------------------------------------------------------------


def _append_only_on_partition(cursor: Any, spec: Partitioned, name: str) -> None:
    """A partition of an append-only table refuses UPDATE and DELETE sent to it directly; only
    a move of rows between partitions (`MOVE_SETTING`) may delete from it."""
    if not spec.append_only_escape:
        return
    from ascolto.core.appendonly import FUNCTION

    cursor.execute(f"DROP TRIGGER IF EXISTS {name}_append_only ON {name}")
    cursor.execute(
        f"CREATE TRIGGER {name}_append_only BEFORE UPDATE OR DELETE ON {name} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}('{MOVE_SETTING}')"
    )


def _create_default(cursor: Any, spec: Partitioned) -> None:
    name = default_name(spec.table)
    if not _exists(cursor, name):
        cursor.execute(f"CREATE TABLE {name} PARTITION OF {spec.table} DEFAULT")
        _append_only_on_partition(cursor, spec, name)


def _bounds(year: int, month: int) -> tuple[str, str]:
    return (
        month_start(year, month).isoformat(),
        month_start(*next_month(year, month)).isoformat(),
    )


def create_partition(cursor: Any, spec: Partitioned, year: int, month: int) -> bool:
    """Make the partition of `year`-`month` if it is missing, taking out of DEFAULT the rows of
    that month (PostgreSQL refuses a new partition while DEFAULT holds rows of its range).
    Returns whether it was made. Must run inside a transaction."""
    name = partition_name(spec.table, year, month)
    if _exists(cursor, name):
        return False
    since, until = _bounds(year, month)
    default = default_name(spec.table)
    cursor.execute(
        f"SELECT EXISTS (SELECT 1 FROM {default} WHERE {spec.column} >= %s "  # noqa: S608
        f"AND {spec.column} < %s)",
        [since, until],
    )
    if not cursor.fetchone()[0]:
        cursor.execute(
            f"CREATE TABLE {name} PARTITION OF {spec.table} "
            f"FOR VALUES FROM ('{since}') TO ('{until}')"
        )
    else:
        # A table of its own first, the month's rows moved into it, then attached: the rows keep
        # their ids and keys (MOVE_SETTING leaves the key tables alone).
        cursor.execute(
            f"CREATE TABLE {name} (LIKE {spec.table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        )
        cursor.execute(
            f"ALTER TABLE {name} ADD CONSTRAINT {name}_range CHECK ({spec.column} >= '{since}' "
            f"AND {spec.column} < '{until}')"
        )
        cursor.execute("SELECT set_config(%s, 'on', true)", [MOVE_SETTING])
        cursor.execute(
            f"WITH moved AS (DELETE FROM {default} WHERE {spec.column} >= %s "  # noqa: S608
            f"AND {spec.column} < %s RETURNING *) INSERT INTO {name} SELECT * FROM moved",
            [since, until],
        )
        cursor.execute("SELECT set_config(%s, '', true)", [MOVE_SETTING])
        cursor.execute(
            f"ALTER TABLE {spec.table} ATTACH PARTITION {name} "
            f"FOR VALUES FROM ('{since}') TO ('{until}')"
        )
        # The check let ATTACH skip scanning the rows; the partition bound says the same.
        cursor.execute(f"ALTER TABLE {name} DROP CONSTRAINT {name}_range")
    _append_only_on_partition(cursor, spec, name)
    return True


def _default_months(cursor: Any, spec: Partitioned) -> list[tuple[int, int]]:
    cursor.execute(
        f"SELECT DISTINCT {_local_month(spec.column)} FROM {default_name(spec.table)}"  # noqa: S608
    )
    return sorted((int(y), int(m)) for y, m in cursor.fetchall())


@dataclass
class Ensured:
    table: str
    created: list[str]
    moved: int  # rows taken out of DEFAULT
    left_in_default: int


def ensure_partitions(
    ahead: int = 3, *, today: date | None = None, tables: Iterable[Partitioned] = TABLES
) -> list[Ensured]:
    """Make the partitions of this month and the `ahead` months after it, and of every month
    whose rows fell into DEFAULT (moving them there); idempotent. Nothing on SQLite, nothing for
    a table not partitioned (yet)."""
    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        return []
    today = today or timezone.localdate()
    out = []
    for spec in tables:
        with transaction.atomic(), connection.cursor() as cursor:
            if not is_partitioned(cursor, spec.table):
                continue
            _create_default(cursor, spec)
            cursor.execute(f"SELECT count(*) FROM {default_name(spec.table)}")  # noqa: S608
            before = int(cursor.fetchone()[0])
            wanted = set(months_from(today.year, today.month, ahead + 1))
            wanted |= set(_default_months(cursor, spec))
            created = [
                partition_name(spec.table, y, m)
                for y, m in sorted(wanted)
                if create_partition(cursor, spec, y, m)
            ]
            cursor.execute(f"SELECT count(*) FROM {default_name(spec.table)}")  # noqa: S608
            after = int(cursor.fetchone()[0])
            out.append(Ensured(spec.table, created, before - after, after))
    return out


# --- key tables --------------------------------------------------------------------------------


def _create_keys(cursor: Any, spec: Partitioned) -> None:
    """The key tables of `spec`, filled from its rows, and the triggers that keep them."""
    for key in spec.keys:
        cols = ", ".join(key.columns)
        cursor.execute(
            f"CREATE TABLE {key.table} AS SELECT {cols}, id AS row_id "  # noqa: S608
            f"FROM {spec.table} WITH NO DATA"
        )
        for column in (*key.columns, "row_id"):
            cursor.execute(f"ALTER TABLE {key.table} ALTER COLUMN {column} SET NOT NULL")
        cursor.execute(
            f"INSERT INTO {key.table} SELECT {cols}, id FROM {spec.table}"  # noqa: S608
            + (f" WHERE {key.where}" if key.where else "")
        )
        cursor.execute(f"CREATE UNIQUE INDEX {key.name} ON {key.table} ({cols})")
        cursor.execute(f"CREATE INDEX {key.table}_row_idx ON {key.table} (row_id)")

        def carries(row: str, key: Key = key) -> str:
            """SQL: the row `row` (NEW, OLD) carries the key."""
            held = " AND ".join(f"{row}.{c} IS NOT NULL" for c in key.columns)
            return held + (" AND " + _on_row(key.where, key.columns, row) if key.where else "")

        values = ", ".join(f"NEW.{c}" for c in key.columns)
        # Names from the TABLES above, never from input.
        cursor.execute(
            f"""
CREATE OR REPLACE FUNCTION {key.table}_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM {key.table} WHERE row_id = OLD.id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND {carries("NEW")} THEN
        INSERT INTO {key.table} VALUES ({values}, NEW.id);
    END IF;
    RETURN NULL;
END;
$$;
"""  # noqa: S608
        )
        # The conditions are the triggers' WHEN: a row that changes no key (a message's status
        # saved, a reply without an id on the channel) queues no trigger event at all.
        moving = f"coalesce(current_setting('{MOVE_SETTING}', true), '') <> 'on'"
        written = f"coalesce(current_setting('{KEYS_WRITTEN}', true), '') <> 'on'"
        changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in (*key.columns, "id"))
        for suffix, event, when in (
            ("insert", "INSERT", f"{moving} AND {written} AND {carries('NEW')}"),
            ("update", "UPDATE", changed),
            ("delete", "DELETE", f"{moving} AND {carries('OLD')}"),
        ):
            cursor.execute(
                f"CREATE TRIGGER {key.table}_{suffix} AFTER {event} ON {spec.table} "
                f"FOR EACH ROW WHEN ({when}) EXECUTE FUNCTION {key.table}_sync()"
            )
        # Emptying the records (a test's flush, a demo's wipe) empties their keys.
        cursor.execute(
            f"""
CREATE OR REPLACE FUNCTION {key.table}_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE {key.table};
    RETURN NULL;
END;
$$;
"""
        )
        cursor.execute(
            f"CREATE TRIGGER {key.table}_truncate AFTER TRUNCATE ON {spec.table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {key.table}_truncate()"
        )


def _on_row(where: str, columns: tuple[str, ...], row: str) -> str:
    for column in columns:
        where = where.replace(column, f"{row}.{column}")
    return where


def _drop_keys(cursor: Any, spec: Partitioned) -> None:
    for key in spec.keys:
        for suffix in ("insert", "update", "delete"):
            cursor.execute(f"DROP TRIGGER IF EXISTS {key.table}_{suffix} ON {spec.table}")
        cursor.execute(f"DROP TRIGGER IF EXISTS {key.table}_truncate ON {spec.table}")
        cursor.execute(f"DROP FUNCTION IF EXISTS {key.table}_sync()")
        cursor.execute(f"DROP FUNCTION IF EXISTS {key.table}_truncate()")
        cursor.execute(f"DROP TABLE IF EXISTS {key.table}")


# --- the migration, both ways ------------------------------------------------------------------


def _rebuild(cursor: Any, spec: Partitioned, *, partitioned: bool, ahead: int) -> None:
    """Rebuild `spec.table` as a partitioned table (or back as a plain one) with the same
    columns, defaults, checks, indexes, foreign keys and triggers, the rows moved and the id
    sequence continuing where it was."""
    from ascolto.core.appendonly import trigger_sql

    table, column = spec.table, spec.column
    old = f"{table}_old"
    incoming = _incoming(cursor, table)
    if incoming:
        raise RuntimeError(
            f"{table} is referenced by foreign keys {incoming}: drop them first (decision 0033)"
        )
    indexes = _indexes(cursor, table)
    keys = {key.name for key in spec.keys}
    plain = []
    for name, definition, primary, unique, _constraint in indexes:
        if primary or name in keys:
            continue
        if unique:
            raise RuntimeError(f"{table}: unique index {name} has no key table (decision 0033)")
        # A partitioned table's index reads "ON ONLY t" (not its partitions): rebuilt whole.
        plain.append(definition.replace(" ON ONLY ", " ON "))
    foreign = _foreign_keys(cursor, table)
    cursor.execute(f"SELECT last_value, is_called FROM {_sequence(cursor, table)}")  # noqa: S608
    last_value, is_called = cursor.fetchone()

    if not partitioned:
        _drop_keys(cursor, spec)
    cursor.execute(f"ALTER TABLE {table} RENAME TO {old}")
    # Free the names of the old table's indexes (and index-backed constraints) for the new one.
    for name, _definition, _primary, _unique, constraint in indexes:
        if constraint:
            cursor.execute(f"ALTER TABLE {old} DROP CONSTRAINT {constraint}")
        else:
            cursor.execute(f"DROP INDEX {name}")
    cursor.execute(
        f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
        "INCLUDING IDENTITY INCLUDING STORAGE INCLUDING COMMENTS)"
        + (f" PARTITION BY RANGE ({column})" if partitioned else "")
    )
    if partitioned:
        cursor.execute(
            f"SELECT {_local_month(f'min({column})')}, {_local_month(f'max({column})')} "  # noqa: S608
            f"FROM {old}"
        )
        first_y, first_m, last_y, last_m = cursor.fetchone()
        today = timezone.localdate()
        end = (today.year, today.month)
        start = end
        if first_y is not None:
            start = min((int(first_y), int(first_m)), end)
            end = max((int(last_y), int(last_m)), end)
        # A decade back at most: older rows go to DEFAULT.
        floor = months_from(today.year - MAX_MONTHS_BACK // 12, today.month, 1)[0]
        start = max(start, floor)
        count = (end[0] - start[0]) * 12 + end[1] - start[1] + 1 + ahead
        _create_default(cursor, spec)
        for y, m in months_from(*start, count):
            create_partition(cursor, spec, y, m)
    cursor.execute(f"INSERT INTO {table} SELECT * FROM {old}")  # noqa: S608
    key = f"id, {column}" if partitioned else "id"
    cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY ({key})")
    for definition in plain:
        cursor.execute(definition)
    for name, definition in foreign:
        cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
    sequence = _sequence(cursor, table)
    cursor.execute("SELECT setval(%s, %s, %s)", [sequence, last_value, is_called])
    cursor.execute(f"DROP TABLE {old} CASCADE")
    if sequence.split(".")[-1] != f"{table}_id_seq":
        cursor.execute(f"ALTER SEQUENCE {sequence} RENAME TO {table}_id_seq")
    if partitioned:
        _create_keys(cursor, spec)
    else:
        for key_spec in spec.keys:
            cursor.execute(key_spec.restore)
    if spec.append_only_escape:
        for sql in trigger_sql(table, spec.append_only_escape):
            cursor.execute(sql)
    cursor.execute(f"ANALYZE {table}")


def partition_table(schema_editor: Any, spec: Partitioned, ahead: int = 3) -> None:
    """The migration forward: `spec.table` becomes partitioned by month (PostgreSQL only;
    nothing if it already is)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        if not is_partitioned(cursor, spec.table):
            _rebuild(cursor, spec, partitioned=True, ahead=ahead)


def unpartition_table(schema_editor: Any, spec: Partitioned) -> None:
    """The migration backward: `spec.table` a plain table again, its unique constraints back."""
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        if is_partitioned(cursor, spec.table):
            _rebuild(cursor, spec, partitioned=False, ahead=0)


def migration(spec: Partitioned) -> Any:
    """The RunPython operation of a table's migration."""
    from django.db import migrations

    def forwards(apps: Any, schema_editor: Any) -> None:
        partition_table(schema_editor, spec)

    def backwards(apps: Any, schema_editor: Any) -> None:
        unpartition_table(schema_editor, spec)

    return migrations.RunPython(forwards, backwards, elidable=False)
