"""Call records from the telephony system: a CSV or XLSX export, or one finished call posted to
the webhook. Both go through `import_call_records`.

Every row is checked, and the calls are written batch by batch inside one transaction as the
rows are read (each row parsed once; a thread reads and checks the next batch while the
database stores this one). At the first bad row the writing stops, the rest of the
file is still checked so that every bad row is reported with its line and reason, and the
transaction is rolled back: a file with one bad row imports nothing. A call already stored
(same call id: a file imported again, a webhook delivered twice, a call listed twice) is left as
it is. Caller numbers are normalised like every phone handle (`citizens.handles`) and become
phone identities; agents are matched to operators by extension or username.

The columns are `COLUMNS` (documented in docs/contact-center.md); Italian names are accepted
too. Sources stream: a million rows never sit in memory.
"""

from __future__ import annotations

import csv
import io
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ascolto.citizens.handles import normalise_phone
from ascolto.citizens.models import Identity
from ascolto.contactcenter.models import CallRecord
from ascolto.core import maintenance, partitions
from ascolto.core.errors import InvalidInput
from ascolto.organisation.models import User

MAX_SECONDS = 24 * 3600  # a wait or talk time longer than a day is a broken export
MAX_ERRORS = 500  # bad rows listed in the report (all are counted)
BATCH = 5_000
# An import of at least this many new calls refreshes the table's statistics (ANALYZE).
ANALYZE_AFTER = 10_000
WITHHELD = frozenset({"anonymous", "anonimo", "privato", "restricted", "unknown", "sconosciuto"})


@dataclass(frozen=True)
class Column:
    """One column of the call-record format: its name, the Italian names it may also have, and
    whether every file must have it."""

    name: str
    aliases: tuple[str, ...]
    required: bool


COLUMNS: tuple[Column, ...] = (
    Column("call_id", ("id_chiamata", "id"), True),
    Column("queue", ("coda",), True),
    Column("arrived_at", ("arrivo",), True),
    Column("answered_at", ("risposta",), False),
    Column("ended_at", ("fine",), True),
    Column("wait_seconds", ("attesa",), False),
    Column("talk_seconds", ("conversazione",), False),
    Column("abandoned", ("abbandonata",), True),
    Column("caller", ("chiamante", "numero"), False),
    Column("ivr_path", ("percorso_ivr", "ivr"), False),
    Column("agent", ("operatore", "interno"), False),
)
_NAMES = {
    spelling: column.name for column in COLUMNS for spelling in (column.name, *column.aliases)
}
_TRUE = frozenset({"1", "true", "t", "yes", "y", "si", "sì", "s", "vero", "x"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "falso", ""})

Row = Mapping[str, Any]
Records = Callable[[], Iterator[tuple[int, Row]]]
"""A source of call records: each call gives a fresh iterator of (line number, row keyed by
column name), so the import can read it twice."""
Progress = Callable[[str, int, int | None], None]
"""Told (phase, rows done, rows in all once known) as the import goes: 'check' on a dry run,
'write' otherwise."""


@dataclass(frozen=True)
class RowError:
    """A bad row: its line in the file (1 is the header), the column at fault, the reason."""

    line: int
    column: str
    message: str


@dataclass
class CallImport:
    """What an import did: rows read, calls stored, calls already there, bad rows."""

    rows: int = 0
    created: int = 0
    existing: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return self.error_count == 0


class _Bad(Exception):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


# --- Sources --------------------------------------------------------------------------------


def header_names(headers: Iterable[object]) -> list[str]:
    """The column names of a header row (case, spaces and Italian names forgiven; unknown
    columns are kept under their own name and ignored). Raises `InvalidInput` naming the
    required columns that are missing."""
    names = [
        _NAMES.get(key, key)
        for key in (str(h or "").strip().lower().replace(" ", "_") for h in headers)
    ]
    missing = [c.name for c in COLUMNS if c.required and c.name not in names]
    if missing:
        raise InvalidInput(
            _("Mancano le colonne: %(columns)s.") % {"columns": ", ".join(missing)},
            field=missing[0],
        )
    return names


def csv_records(path: Path | str) -> Records:
    """The rows of a CSV file (UTF-8, with or without BOM; comma, semicolon or tab)."""

    def rows() -> Iterator[tuple[int, Row]]:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            try:
                first = handle.readline()
            except UnicodeDecodeError:
                raise InvalidInput(
                    _("Il file non è in UTF-8: salvalo come «CSV UTF-8» e riprova.")
                ) from None
            delimiter = max(",;\t", key=first.count)
            reader = csv.reader(io.StringIO(first), delimiter=delimiter)
            names = header_names(next(reader, []))
            reader = csv.reader(handle, delimiter=delimiter)
            try:
                for values in reader:
                    if any(values):
                        yield reader.line_num + 1, dict(zip(names, values, strict=False))
            except UnicodeDecodeError:
                raise InvalidInput(
                    _("Il file non è in UTF-8: salvalo come «CSV UTF-8» e riprova.")
                ) from None
            except csv.Error as exc:
                raise InvalidInput(
                    _("Il file non è un CSV leggibile: %(reason)s") % {"reason": exc}
                ) from None

    return rows


def xlsx_records(path: Path | str) -> Records:
    """The rows of the first sheet of an XLSX workbook, read in openpyxl's streaming mode."""
    from openpyxl import load_workbook

    def rows() -> Iterator[tuple[int, Row]]:
        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
            raise InvalidInput(_("Il file non è una cartella di lavoro XLSX leggibile.")) from exc
        try:
            sheet = book.worksheets[0]
            cells = sheet.iter_rows(values_only=True)
            names = header_names(next(cells, ()))
            for line, values in enumerate(cells, start=2):
                if all(v is None or v == "" for v in values):
                    continue
                yield line, dict(zip(names, values, strict=False))
        finally:
            book.close()

    return rows


def file_records(path: Path | str, name: str = "") -> Records:
    """The rows of a CSV or XLSX file, by the extension of `name` (or of the path)."""
    suffix = Path(name or str(path)).suffix.lower()
    if suffix == ".csv":
        return csv_records(path)
    if suffix == ".xlsx":
        return xlsx_records(path)
    raise InvalidInput(_("Il file deve essere CSV o XLSX."), field="file")


def payload_records(payload: Mapping[str, Any]) -> Records:
    """One call posted as a JSON object with the columns' names (the webhook)."""

    def rows() -> Iterator[tuple[int, Row]]:
        names = header_names(payload.keys())
        yield 1, dict(zip(names, payload.values(), strict=True))

    return rows


def payloads_records(payloads: Iterable[Mapping[str, Any]]) -> Records:
    """Calls posted as a list of JSON objects with the columns' names (the API's bulk import);
    a call's "line" is its place in the list, from 1."""

    def rows() -> Iterator[tuple[int, Row]]:
        for line, payload in enumerate(payloads, start=1):
            names = header_names(payload.keys())
            yield line, dict(zip(names, payload.values(), strict=True))

    return rows


# --- Checking one row -----------------------------------------------------------------------


class _Call(NamedTuple):  # a tuple: a million of them are made per import
    external_id: str
    queue: str
    arrived_at: datetime
    answered_at: datetime | None
    ended_at: datetime
    wait_seconds: int
    talk_seconds: int
    abandoned: bool
    caller: str
    ivr_path: str
    agent: int | None


class _Checker:
    """Turns a row into a call or says what is wrong with it; remembers the numbers and agents
    it has seen, so each distinct value is checked once."""

    def __init__(self) -> None:
        self.zone = ZoneInfo(settings.TIME_ZONE)
        self.numbers: dict[str, str | _Bad] = {}
        users = list(User.objects.values_list("pk", "username", "extension"))
        self.agents = {username.lower(): pk for pk, username, _extension in users}
        for pk, _username, extension in users:
            if extension:
                self.agents[extension.lower()] = pk  # an extension wins over a username

    def call(self, row: Row) -> _Call:
        external_id = self.text(row, "call_id", 64, required=True)
        queue = self.text(row, "queue", 64, required=True)
        arrived = self.moment(row, "arrived_at")
        ended = self.moment(row, "ended_at")
        if arrived is None or ended is None:
            raise _Bad(
                "arrived_at" if arrived is None else "ended_at",
                _("Manca l'ora di arrivo o di fine della chiamata."),
            )
        if ended < arrived:
            raise _Bad("ended_at", _("La chiamata finisce prima di arrivare."))
        answered = self.moment(row, "answered_at")
        wait = self.seconds(row, "wait_seconds")
        talk = self.seconds(row, "talk_seconds")
        abandoned = self.flag(row, "abandoned")
        if abandoned:
            if answered is not None:
                raise _Bad("answered_at", _("Una chiamata abbandonata non ha l'ora di risposta."))
            if talk:
                raise _Bad("talk_seconds", _("Una chiamata abbandonata non ha conversazione."))
            talk = 0
            if wait is None:
                wait = int((ended - arrived).total_seconds())
        else:
            if answered is None:
                if wait is None:
                    raise _Bad(
                        "answered_at",
                        _("Una chiamata risposta ha l'ora di risposta o l'attesa in coda."),
                    )
                answered = arrived + timedelta(seconds=wait)
            elif wait is None:
                wait = int((answered - arrived).total_seconds())
            if not arrived <= answered <= ended:
                raise _Bad("answered_at", _("L'ora di risposta è fuori dalla chiamata."))
            if talk is None:
                talk = int((ended - answered).total_seconds())
        if wait > MAX_SECONDS or talk > MAX_SECONDS:
            raise _Bad("wait_seconds", _("Attesa o conversazione più lunghe di un giorno."))
        return _Call(
            external_id,
            queue,
            arrived,
            answered,
            ended,
            wait,
            talk,
            abandoned,
            self.caller(row),
            self.text(row, "ivr_path", 255),
            self.agent(row),
        )

    def text(self, row: Row, column: str, limit: int, *, required: bool = False) -> str:
        value = row.get(column)
        if type(value) is str:
            text = value.strip()
        elif value is None:
            text = ""
        elif isinstance(value, float) and value.is_integer():
            text = str(int(value))  # a spreadsheet's number: 1234.0 is the id 1234
        else:
            text = str(value).strip()
        if required and not text:
            raise _Bad(column, _("Il valore è vuoto."))
        if len(text) > limit:
            raise _Bad(column, _("Più lungo di %(limit)d caratteri.") % {"limit": limit})
        if "\x00" in text:  # PostgreSQL refuses it: the import would fail instead of the row
            raise _Bad(column, _("Il valore contiene un carattere nullo."))
        return text

    def moment(self, row: Row, column: str) -> datetime | None:
        value = row.get(column)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            text = value
            try:
                value = datetime.fromisoformat(text)
            except ValueError:
                value = self._italian(text.strip(), column)
        elif not isinstance(value, datetime):
            value = self._italian(str(value).strip(), column)
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.zone)  # the municipality's local time
        return value

    def _italian(self, text: str, column: str) -> datetime:
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass
        for pattern in ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M"):
            try:
                return datetime.strptime(text, pattern)  # noqa: DTZ007 (zone added by caller)
            except ValueError:
                continue
        raise _Bad(
            column,
            _("'%(value)s' non è una data e ora (AAAA-MM-GG HH:MM:SS o GG/MM/AAAA HH:MM:SS).")
            % {"value": text[:40]},
        )

    def seconds(self, row: Row, column: str) -> int | None:
        value = row.get(column)
        if type(value) is str and value.isascii() and value.isdigit():
            return int(value)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            raise _Bad(column, _("Non è un numero di secondi."))
        if isinstance(value, int):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        else:
            text = str(value).strip()
            try:
                if ":" in text:  # hh:mm:ss or mm:ss, as some exchanges write durations
                    number = 0
                    for part in text.split(":"):
                        number = number * 60 + int(part)
                else:
                    number = int(text)
            except ValueError:
                raise _Bad(
                    column, _("'%(value)s' non è un numero di secondi.") % {"value": text[:40]}
                ) from None
        if number < 0:
            raise _Bad(column, _("I secondi non possono essere negativi."))
        return number

    def flag(self, row: Row, column: str) -> bool:
        value = row.get(column)
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            if value in (0, 1):
                return bool(value)
        else:
            text = "" if value is None else str(value).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
        raise _Bad(column, _("'%(value)s' non è sì o no.") % {"value": str(value)[:40]})

    def caller(self, row: Row) -> str:
        value = row.get("caller")
        known = self.numbers.get(value) if type(value) is str else None
        if type(known) is str:
            return known
        raw = str(int(value)) if isinstance(value, int | float) else str(value or "").strip()
        if not raw or raw.lower() in WITHHELD:
            return ""
        known = self.numbers.get(raw)
        if known is None:
            try:
                known = normalise_phone(raw, field="caller")
            except InvalidInput:
                known = _Bad(
                    "caller",
                    _("'%(value)s' non è un numero di telefono (lascia vuoto se anonimo).")
                    % {"value": raw[:40]},
                )
            self.numbers[raw] = known
        if isinstance(known, _Bad):
            raise known
        return known

    def agent(self, row: Row) -> int | None:
        name = self.text(row, "agent", 150).lower()
        if not name:
            return None
        pk = self.agents.get(name)
        if pk is None:
            raise _Bad(
                "agent",
                _("Operatore sconosciuto: nessuno ha '%(agent)s' come interno o nome utente.")
                % {"agent": name[:40]},
            )
        return pk


# --- The import -----------------------------------------------------------------------------


class _Rollback(Exception):
    """Leaves the import's transaction without storing anything."""


def import_call_records(
    records: Records,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    batch_size: int = BATCH,
) -> CallImport:
    """Check every row of `records` and store, in one transaction, the calls not stored yet.

    Rows are checked and written batch by batch in one pass (each row is parsed once: a million
    rows cost half as much as checking the whole file before writing it), and the two overlap:
    a thread reads and checks the next batch while the database stores this one. At the first
    bad row the writing stops, the rest is still checked so that every bad row is reported, and
    the transaction is rolled back: nothing of a file with a bad row is stored. With `dry_run`
    nothing is written and the report says what an import would store."""
    report = CallImport(dry_run=dry_run)
    checker = _Checker()
    phase = "check" if dry_run else "write"
    try:
        with transaction.atomic():
            writer = None if dry_run else _Writer()
            with _Reader(records, checker, report, batch_size) as reader:
                for batch, rows in reader:
                    _write(writer, batch, report)
                    if progress is not None:
                        progress(phase, rows, None)
            if writer is not None and not report.error_count:
                writer.finish()
            if report.error_count or dry_run:
                raise _Rollback
    except _Rollback:
        pass
    if report.error_count:
        report.created = report.existing = 0
    if report.created >= ANALYZE_AFTER:
        # A bulk load: fresh statistics now, not whenever autovacuum gets to them.
        maintenance.analyze(CallRecord)
    if progress is not None:
        progress(phase, report.rows, report.rows)
    return report


def _check(
    records: Records, checker: _Checker, report: CallImport, batch_size: int
) -> Iterator[list[_Call]]:
    """The checked calls of `records` in batches, counting rows and bad rows in `report`. After
    the first bad row the batches are empty (the rest is only checked); one is still yielded
    every `batch_size` rows, so that a reader told to stop does so soon."""
    batch: list[_Call] = []
    line = 1
    read = 0
    try:
        for line, row in records():
            read += 1
            try:
                call = checker.call(row)
            except _Bad as bad:
                report.error_count += 1
                if len(report.errors) < MAX_ERRORS:
                    report.errors.append(RowError(line, bad.column, bad.message))
                call = None
            if call is not None and not report.error_count:
                batch.append(call)
            if read == batch_size:
                report.rows += read
                read = 0
                yield [] if report.error_count else batch
                batch = []
    except InvalidInput as exc:  # the header, or a file that cannot be read
        report.rows += read
        read = 0
        report.error_count += 1
        report.errors.append(RowError(line + (report.rows > 0), exc.field or "", exc.message))
    report.rows += read
    if batch and not report.error_count:
        yield batch


class _Reader:
    """Reads and checks `records` in a thread of its own, a few batches ahead of the writing:
    the thread parses while the database works, since psycopg and sqlite3 let go of the GIL
    while they wait for it. Iterating gives (checked calls, rows read so far); a bad row's
    batches are not given. An error of the source or of the checks is raised where the batches
    are taken.

    The thread does not touch the database (Django's connection is one per thread: a query
    there would run outside the import's transaction); it checks in the caller's language."""

    AHEAD = 2  # batches read ahead of the writing

    _END = object()

    def __init__(
        self, records: Records, checker: _Checker, report: CallImport, batch_size: int
    ) -> None:
        self.batches: queue.Queue[Any] = queue.Queue(maxsize=self.AHEAD)
        self.stop = threading.Event()
        self.language = translation.get_language()
        self.done = False  # the thread's last item taken
        self.thread = threading.Thread(
            target=self._read,
            args=(records, checker, report, batch_size),
            name="call-records",
            daemon=True,
        )

    def _read(
        self, records: Records, checker: _Checker, report: CallImport, batch_size: int
    ) -> None:
        last: object = self._END
        try:
            with translation.override(self.language):
                for batch in _check(records, checker, report, batch_size):
                    if self.stop.is_set():
                        break
                    if batch:
                        self.batches.put((batch, report.rows))
        except BaseException as exc:  # given to the writing thread, raised there
            last = exc
        finally:
            self.batches.put(last)

    def __enter__(self) -> _Reader:
        self.thread.start()
        return self

    def __iter__(self) -> Iterator[tuple[list[_Call], int]]:
        while not self.done:
            item = self.batches.get()
            if item is self._END or isinstance(item, BaseException):
                self.done = True
                if item is not self._END:
                    raise item
                return
            yield item

    def __exit__(self, *exc_info: object) -> None:
        # If the writing ended early (a database error), stop the thread and wait for its last
        # item (always put; taking the others frees the place it may be waiting for).
        self.stop.set()
        while not self.done:
            item = self.batches.get()
            self.done = item is self._END or isinstance(item, BaseException)
        self.thread.join()


def _write(writer: _Writer | None, batch: list[_Call], report: CallImport) -> None:
    if writer is not None:
        writer.write(batch, report)
    elif batch:  # a dry run: count what is stored already
        existing = _count_stored([call.external_id for call in batch])
        report.existing += existing
        report.created += len(batch) - existing


def _count_stored(external_ids: list[str]) -> int:
    """How many of these calls are stored already, or repeat one before them."""
    stored = set(
        CallRecord.objects.filter(external_id__in=set(external_ids)).values_list(
            "external_id", flat=True
        )
    )
    count = 0
    for external_id in external_ids:
        count += external_id in stored
        stored.add(external_id)
    return count


class _Writer:
    """Writes checked calls batch by batch: the callers' phone identities first (found or
    created, with when they last called), then the calls not stored yet.

    Rows go to the database without model instances: the ORM's preparation of each field cost
    four times the insert itself. On PostgreSQL they are streamed with binary COPY into a
    temporary table (a third of the client's work of text COPY, which formats every timestamp)
    and moved with one INSERT … ON CONFLICT DO NOTHING per batch; on SQLite they are inserted
    with `executemany`. A call or a number stored meanwhile by another process (the webhook,
    intake) is skipped, not an error.

    On PostgreSQL the foreign keys of the two tables are checked at the end of each batch's
    insert instead of at the commit, for this transaction only (`SET CONSTRAINTS … IMMEDIATE`;
    `finish` defers them again): the same checks, but made while the next batch is read instead
    of in a stretch of their own at the end (about a third of the database's work for a file)."""

    CALL_COLUMNS = (
        "external_id",
        "queue",
        "ivr_path",
        "arrived_at",
        "answered_at",
        "ended_at",
        "wait_seconds",
        "talk_seconds",
        "abandoned",
        "caller_id",
        "operator_id",
    )
    IDENTITY_COLUMNS = ("kind", "value", "display_name", "created_at", "last_seen_at")

    def __init__(self) -> None:
        self.identities: dict[str, int] = {}
        self.stored_seen: dict[int, datetime | None] = {}  # as the database has it
        self.latest: dict[int, datetime] = {}  # the identity's latest call in the import
        self.now = timezone.now()
        self.postgres = connection.vendor == "postgresql"
        self.staged: list[str] = []
        self.types: dict[str, list[int]] = {}  # a staging table's column types, for COPY
        self.calls = self._table(CallRecord, self.CALL_COLUMNS, "import_calls")
        self.phones = self._table(Identity, self.IDENTITY_COLUMNS, "import_phones")
        self.seen = self._table(Identity, ("id", "last_seen_at"), "import_seen")
        self.checked_now = self._check_now(CallRecord, Identity) if self.postgres else ""
        # Partitioned by month (decision 0033): the call id's uniqueness lives in a key table,
        # which ON CONFLICT on the calls cannot see; the calls stored already are left out.
        self.call_key = ""
        if self.postgres:
            with connection.cursor() as cursor:
                if partitions.is_partitioned(cursor, CallRecord._meta.db_table):
                    self.call_key = partitions.CALLS.keys[0].table

    def _table(
        self, model: type[Model], columns: tuple[str, ...], name: str
    ) -> tuple[str, str, str]:
        """(table, its quoted column list, the staging table on PostgreSQL)."""
        quote = connection.ops.quote_name
        table = quote(model._meta.db_table)
        names = ", ".join(quote(c) for c in columns)
        staging = ""
        if self.postgres:
            staging = quote(name)
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{staging}")
                cursor.execute(
                    f"CREATE TEMPORARY TABLE {staging} AS SELECT {names} FROM {table} WITH NO DATA"  # noqa: S608
                )
                cursor.execute(
                    "SELECT atttypid FROM pg_attribute WHERE attrelid = %s::regclass "
                    "AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
                    [f"pg_temp.{staging}"],
                )
                self.types[staging] = [oid for (oid,) in cursor.fetchall()]
            self.staged.append(staging)
        return table, names, staging

    def _check_now(self, *models: type[Model]) -> str:
        """Make the deferred foreign keys of these tables checked at each statement's end;
        return them, quoted, for `finish` to defer them again."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conname FROM pg_constraint WHERE contype = 'f' AND condeferred "
                "AND conrelid = ANY(%s::regclass[])",
                [[model._meta.db_table for model in models]],
            )
            names = ", ".join(connection.ops.quote_name(name) for (name,) in cursor.fetchall())
            if names:
                cursor.execute(f"SET CONSTRAINTS {names} IMMEDIATE")
        return names

    def _copy(self, cursor: Any, staging: str, names: str, rows: Iterable[tuple[Any, ...]]) -> None:
        with cursor.copy(f"COPY {staging} ({names}) FROM STDIN (FORMAT BINARY)") as stream:
            stream.set_types(self.types[staging])
            for row in rows:
                stream.write_row(row)

    def _insert(self, target: tuple[str, str, str], rows: list[tuple[Any, ...]]) -> int:
        """Insert `rows`, skipping those whose unique key is stored; return how many went in."""
        table, names, staging = target
        with connection.cursor() as cursor:
            if self.postgres:
                self._copy(cursor, staging, names, rows)
                if target is self.calls and self.call_key:
                    inserted = self._insert_keyed(cursor, table, names, staging)
                else:
                    cursor.execute(
                        f"INSERT INTO {table} ({names}) SELECT {names} FROM {staging} "  # noqa: S608
                        "ON CONFLICT DO NOTHING"
                    )
                    inserted = int(cursor.rowcount)
                cursor.execute(f"TRUNCATE {staging}")
                return inserted
            adapt = connection.ops.adapt_datetimefield_value
            marks = ", ".join(["%s"] * len(rows[0]))
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT DO NOTHING",  # noqa: S608
                [tuple(adapt(v) if isinstance(v, datetime) else v for v in row) for row in rows],
            )
            return int(cursor.rowcount)

    def _insert_keyed(self, cursor: Any, table: str, names: str, staging: str) -> int:
        """The staged calls into the partitioned calls table (decision 0033), whose call ids are
        unique through a key table that ON CONFLICT on the calls cannot see. The first call of
        each id (in the file's order) claims its id in the key table with the id its row will
        take; ON CONFLICT DO NOTHING there skips an id stored already, and waits for a webhook's
        uncommitted call, as the unique index did. The claimed calls are then inserted with the
        key trigger off (`partitions.KEYS_WRITTEN`): their keys are written."""
        key = self.call_key
        cursor.execute("SELECT set_config(%s, 'on', true)", [partitions.KEYS_WRITTEN])
        cursor.execute(
            f"WITH firsts AS (SELECT DISTINCT ON (external_id) {names}, ctid AS place "  # noqa: S608
            f"FROM {staging} ORDER BY external_id, ctid), "
            f"claimed AS (INSERT INTO {key} (external_id, row_id) "
            f"SELECT external_id, nextval(pg_get_serial_sequence('{table}', 'id')) "
            "FROM (SELECT external_id FROM firsts ORDER BY place) ordered "
            "ON CONFLICT DO NOTHING RETURNING external_id, row_id) "
            f"INSERT INTO {table} (id, {names}) SELECT claimed.row_id, "
            + ", ".join(f"firsts.{n.strip()}" for n in names.split(","))
            + " FROM firsts JOIN claimed USING (external_id) ORDER BY firsts.place"
        )
        inserted = int(cursor.rowcount)
        cursor.execute("SELECT set_config(%s, '', true)", [partitions.KEYS_WRITTEN])
        return inserted

    def write(self, calls: list[_Call], report: CallImport) -> None:
        if not calls:
            return
        # No look-up of the calls stored already: the insert skips them (and repeats within
        # the batch), and its count of rows inserted tells the rest.
        last_call: dict[str, datetime] = {}
        for call in calls:
            if call.caller and last_call.get(call.caller, call.arrived_at) <= call.arrived_at:
                last_call[call.caller] = call.arrived_at
        self._resolve(last_call)
        identities, latest = self.identities, self.latest
        for number, arrived in last_call.items():
            pk = identities[number]
            if pk not in latest or latest[pk] < arrived:
                latest[pk] = arrived
        rows = [
            (
                call.external_id,
                call.queue,
                call.ivr_path,
                call.arrived_at,
                call.answered_at,
                call.ended_at,
                call.wait_seconds,
                call.talk_seconds,
                call.abandoned,
                identities[call.caller] if call.caller else None,
                call.agent,
            )
            for call in calls
        ]
        created = self._insert(self.calls, rows)
        report.created += created
        report.existing += len(rows) - created

    def _resolve(self, last_call: dict[str, datetime]) -> None:
        """Find or create the phone identities of the numbers not resolved yet (a new one is
        last seen at its latest call of the batch)."""
        wanted = last_call.keys() - self.identities.keys()
        if not wanted:
            return
        found = self._lookup(wanted)
        missing = wanted - found.keys()
        if missing:
            phone, now = Identity.Kind.PHONE.value, self.now
            self._insert(
                self.phones, [(phone, number, "", now, last_call[number]) for number in missing]
            )
            found |= self._lookup(missing)
        for number, (pk, seen) in found.items():
            self.identities[number] = pk
            self.stored_seen[pk] = seen

    def _lookup(self, numbers: set[str]) -> dict[str, tuple[int, datetime | None]]:
        rows = Identity.objects.filter(kind=Identity.Kind.PHONE, value__in=numbers).values_list(
            "value", "pk", "last_seen_at"
        )
        return {value: (pk, seen) for value, pk, seen in rows}

    def finish(self) -> None:
        """Move the callers' `last_seen_at` to their latest call, where that is later; drop
        the staging tables; defer the foreign keys again for the rest of the transaction (a
        rolled-back import needs not: PostgreSQL restores them with the savepoint or ends the
        transaction)."""
        stored = self.stored_seen
        later = [
            (pk, seen)
            for pk, seen in self.latest.items()
            if stored.get(pk) is None or stored[pk] < seen  # type: ignore[operator]
        ]
        table = connection.ops.quote_name(Identity._meta.db_table)
        with connection.cursor() as cursor:
            if later and self.postgres:
                staging = self.seen[2]
                self._copy(cursor, staging, "id, last_seen_at", later)
                cursor.execute(
                    f"UPDATE {table} SET last_seen_at = s.last_seen_at FROM {staging} s "  # noqa: S608
                    f"WHERE {table}.id = s.id AND ({table}.last_seen_at IS NULL "
                    f"OR {table}.last_seen_at < s.last_seen_at)"
                )
            elif later:
                adapt = connection.ops.adapt_datetimefield_value
                cursor.executemany(
                    f"UPDATE {table} SET last_seen_at = %s WHERE id = %s "  # noqa: S608
                    "AND (last_seen_at IS NULL OR last_seen_at < %s)",
                    [(adapt(seen), pk, adapt(seen)) for pk, seen in later],
                )
            for staging in self.staged:
                cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{staging}")
            if self.checked_now:
                cursor.execute(f"SET CONSTRAINTS {self.checked_now} DEFERRED")
