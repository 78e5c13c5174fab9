"""Bulk writing of the generated city: id allocation, buffered inserts, wiping.

The generator writes millions of rows, so it never calls the per-row actions; it builds model
instances (or field values) with their primary keys already assigned, so events can name their
messages without reading anything back, and inserts them in batches of thousands of rows, one
transaction per flush. Ids continue after the highest id present, so the result is the same on
SQLite and PostgreSQL for the same seed; PostgreSQL's sequences are moved past them at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from operator import attrgetter
from typing import Any, cast

from django.core.management.color import no_style
from django.db import DatabaseError, connection, models, transaction
from django.db.models import Max

from ascolto.channels.models import Conversation, Message, WebhookDelivery
from ascolto.citizens.models import Citizen, Consent, Identity
from ascolto.contactcenter.models import CallbackBooking, CallRecord
from ascolto.core.appendonly import escape
from ascolto.core.errors import DomainError
from ascolto.tickets.models import Ticket, TicketEvent

TicketTags = Ticket.tags.through
TicketConversations = Ticket.conversations.through

# Insert order within a flush: parents before children (constraints are deferred on both
# databases, but PostgreSQL checks immediate ones and this order never needs the deferral).
INSERT_ORDER: tuple[type[models.Model], ...] = (
    Citizen,
    Identity,
    Conversation,
    Ticket,
    TicketTags,
    TicketConversations,
    Message,
    TicketEvent,
    CallRecord,
    CallbackBooking,
)

# What --wipe deletes, children first (with the raw Meta deliveries the demo's traffic came in).
WIPE_ORDER: tuple[type[models.Model], ...] = (
    WebhookDelivery,
    CallbackBooking,
    TicketTags,
    TicketConversations,
    TicketEvent,
    CallRecord,
    Message,
    Ticket,
    Conversation,
    Consent,
    Identity,
    Citizen,
)

# Field types whose Python value the database drivers take as it is; the others go through the
# field's own preparation (JSON, dates and times need the backend's adaptation).
_RAW_TYPES = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "EmailField",
        "ForeignKey",
        "IntegerField",
        "OneToOneField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SlugField",
        "SmallIntegerField",
        "TextField",
    }
)
_AUTO_PK = (TicketTags, TicketConversations)  # rows nobody refers to: the database numbers them


class Ids:
    """Hands out primary keys after the highest one present in each table."""

    def __init__(self, *tables: type[models.Model]) -> None:
        self._next: dict[type[models.Model], int] = {}
        for model in tables:
            highest = model._default_manager.aggregate(top=Max("pk"))["top"]
            self._next[model] = int(highest or 0) + 1

    def resync(self) -> None:
        """Continue after the highest ids present again: rows the actions inserted meanwhile
        (the Meta traffic goes through intake) took the database's next ids. Call it with
        the sink flushed, and `reset_sequences` after flushing what was allocated."""
        for model in self._next:
            highest = model._default_manager.aggregate(top=Max("pk"))["top"]
            self._next[model] = max(self._next[model], int(highest or 0) + 1)

    def take(self, model: type[models.Model], count: int = 1) -> int:
        """Reserve `count` consecutive ids; return the first."""
        first = self._next[model]
        self._next[model] = first + count
        return first


class _Table:
    """How to turn a model instance, or keyword values, into one INSERT parameter row."""

    def __init__(self, model: type[models.Model]) -> None:
        # Generated columns (`Citizen.first_key`, …) are the database's to write.
        fields = [
            f
            for f in model._meta.concrete_fields
            if not (model in _AUTO_PK and f.primary_key) and not f.generated
        ]
        self.attnames = [f.attname for f in fields]
        # Values left out take the field's default; the generator passes every field whose
        # default is computed (times), so evaluating those once here is harmless.
        self.defaults = [f.get_default() for f in fields]
        self.getter = attrgetter(*self.attnames)
        self.adapters: list[tuple[int, Callable[[Any], Any]]] = []
        for index, f in enumerate(fields):
            internal = f.get_internal_type()
            if internal == "DateTimeField":
                self.adapters.append((index, _datetime_adapter()))
            elif internal == "DateField":
                self.adapters.append((index, connection.ops.adapt_datefield_value))
            elif internal == "JSONField":
                encoder = cast(models.JSONField[Any, Any], f).encoder
                self.adapters.append(
                    (index, partial(connection.ops.adapt_json_value, encoder=encoder))
                )
            elif internal not in _RAW_TYPES:
                self.adapters.append((index, partial(_prepare, f)))
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        marks = ", ".join(["%s"] * len(fields))
        table = connection.ops.quote_name(model._meta.db_table)
        self.sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 (names)
        self.copy_sql = f"COPY {table} ({columns}) FROM STDIN"

    def from_instance(self, obj: object) -> list[Any]:
        """The row of a model instance, or of any object with the model's attribute names (a
        column it lacks takes the field's default)."""
        try:
            values = list(self.getter(obj))
        except AttributeError:
            values = [getattr(obj, a, d) for a, d in zip(self.attnames, self.defaults, strict=True)]
        return self._adapt(values)

    def from_values(self, values: dict[str, Any]) -> list[Any]:
        return self._adapt(
            [values.get(a, d) for a, d in zip(self.attnames, self.defaults, strict=True)]
        )

    def _adapt(self, row: list[Any]) -> list[Any]:
        for index, adapt in self.adapters:
            if row[index] is not None:
                row[index] = adapt(row[index])
        return row


def _prepare(field: models.Field[Any, Any], value: Any) -> Any:
    return field.get_db_prep_save(value, connection)


def _datetime_adapter() -> Callable[[datetime], Any]:
    """`connection.ops.adapt_datetimefield_value` for the aware datetimes the generator makes.

    SQLite stores naive text in the connection's time zone (UTC); spelled out here because the
    generic adapter's checks cost more than the insert itself at millions of values.
    """
    if connection.vendor != "sqlite":
        return cast(Callable[[datetime], Any], connection.ops.adapt_datetimefield_value)
    zone = connection.timezone

    def adapt(value: datetime) -> str:
        if value.tzinfo is UTC and zone is UTC:  # what the generator makes: one C call
            return value.isoformat(" ")[:-6]  # drop "+00:00"
        return str(value.astimezone(zone).replace(tzinfo=None))

    return adapt


class Sink:
    """Collects rows and inserts them in batches, one transaction per flush; counts them.

    `bulk_create` spent three quarters of the generator's time preparing each field of each row
    through the ORM (a million cases took half an hour on SQLite); the sink uses the same field
    metadata once per table and hands the driver plain parameter rows with `executemany`.
    Instances are read by attribute name, so what is inserted is what the model holds.
    """

    def __init__(self, flush_every: int = 50_000) -> None:
        self.tables = {m: _Table(m) for m in INSERT_ORDER}
        self.rows: dict[type[models.Model], list[list[Any]]] = {m: [] for m in INSERT_ORDER}
        self.written: dict[type[models.Model], int] = dict.fromkeys(INSERT_ORDER, 0)
        self.flush_every = flush_every
        self._pending = 0

    def add(self, row: object, model: type[models.Model] | None = None) -> None:
        """A model instance, or a lightweight row object of `model`."""
        model = model or cast(type[models.Model], type(row))
        self.rows[model].append(self.tables[model].from_instance(row))
        self._pending += 1

    def values(self, model: type[models.Model], **values: Any) -> None:
        """A row given as field values (by attribute name: `ticket_id`), without building the
        model instance: for the tables with millions of rows."""
        self.rows[model].append(self.tables[model].from_values(values))
        self._pending += 1

    def update(self, model: type[models.Model], attname: str, rows: list[tuple[Any, int]]) -> None:
        """Set one column of rows already written, from (value, id) pairs: for the few values
        known only once a whole phase is written (when a handle was last seen)."""
        self.flush()
        table = self.tables[model]
        field = cast(models.Field[Any, Any], model._meta.get_field(attname))
        adapt = dict(table.adapters).get(table.attnames.index(attname), lambda v: v)
        name = connection.ops.quote_name(field.column)
        if connection.vendor == "postgresql":
            # One statement from a COPY-filled temporary table: a million single-row UPDATEs
            # (the call records' conversations at scale 1.0) took minutes on a loaded machine.
            target = connection.ops.quote_name(model._meta.db_table)
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "CREATE TEMPORARY TABLE demo_update (id bigint, value "
                    f"{field.db_type(connection)}) ON COMMIT DROP"
                )
                with cursor.copy("COPY demo_update (value, id) FROM STDIN") as stream:
                    for value, pk in rows:
                        stream.write_row((adapt(value), pk))
                cursor.execute(
                    f"UPDATE {target} SET {name} = u.value FROM demo_update u "  # noqa: S608
                    f"WHERE {target}.id = u.id"
                )
            return
        sql = (
            f"UPDATE {connection.ops.quote_name(model._meta.db_table)} SET {name} = %s "  # noqa: S608
            "WHERE id = %s"
        )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, [(adapt(v), pk) for v, pk in rows])

    def maybe_flush(self) -> None:
        if self._pending >= self.flush_every:
            self.flush()

    def flush(self) -> None:
        copy = connection.vendor == "postgresql"
        with transaction.atomic(), connection.cursor() as cursor:
            for model in INSERT_ORDER:
                rows = self.rows[model]
                if not rows:
                    continue
                table = self.tables[model]
                if copy:
                    # COPY streams the rows in one round trip; executemany waits on the server
                    # for every batch and took three times as long.
                    with cursor.copy(table.copy_sql) as stream:
                        for row in rows:
                            stream.write_row(row)
                else:
                    cursor.executemany(table.sql, rows)
                self.written[model] += len(rows)
                self.rows[model] = []
        self._pending = 0


def reset_sequences() -> None:
    """Move PostgreSQL's id sequences past the ids the generator chose (no-op on SQLite, whose
    AUTOINCREMENT follows explicit ids by itself)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(INSERT_ORDER))
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def wipe() -> dict[str, int]:
    """Delete every case, event, message, conversation, call, identity and citizen.

    Rows of other apps that point at them are handled as their `on_delete` says (cascade or set
    null); a protected reference stops the wipe before anything is deleted. The tables are then
    emptied with one statement each: the ORM's per-row collection would take minutes for a
    million cases.
    """
    wiped = set(WIPE_ORDER)
    with transaction.atomic():
        for model in WIPE_ORDER:
            _release(model, wiped)
    counts = {m._meta.label: m._default_manager.count() for m in WIPE_ORDER}
    tables = [connection.ops.quote_name(m._meta.db_table) for m in WIPE_ORDER]
    if connection.vendor == "postgresql":
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {', '.join(tables)}")
            return counts
        except DatabaseError:
            pass  # another app's table references these: fall back to DELETE
    # On SQLite every deleted row is checked against the foreign keys of every child table; all
    # of them are emptied together, so the check is switched off meanwhile (SQLite allows it
    # only outside a transaction, hence the order of the two blocks).
    # The case events are append-only (core/appendonly.py): deleting them with every case is
    # the one deletion their PostgreSQL trigger lets through, under the wipe's named escape.
    with connection.constraint_checks_disabled():
        with transaction.atomic(), escape("erase_cases"), connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (a table name, not input)
    return counts


def _release(model: type[models.Model], wiped: set[type[models.Model]]) -> None:
    """Apply `on_delete` to the rows of other tables that point at `model`."""
    for rel in model._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete) or rel.many_to_many:
            continue
        other = cast(type[models.Model], rel.related_model)
        if other in wiped:
            continue
        field = cast(models.ForeignKey[Any, Any], rel.remote_field)
        refs = other._default_manager.filter(**{f"{field.name}__isnull": False})
        on_delete = getattr(rel, "on_delete", None)
        if on_delete is models.CASCADE:
            refs.delete()
        elif on_delete is models.SET_NULL:
            refs.update(**{field.name: None})
        elif refs.exists():
            raise DomainError(
                f"{other._meta.label} rows point at {model._meta.label}: delete them first, "
                "or generate into an empty database."
            )
