"""Importing the telephony system's call records from CSV and XLSX files: every bad row is
reported with its line and reason and nothing of that file is stored; importing again stores
nothing twice; numbers become the callers' phone identities; agents are matched to operators."""

from __future__ import annotations

import csv
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from openpyxl import Workbook

from ascolto.citizens.models import Identity
from ascolto.contactcenter.actions import (
    csv_records,
    file_records,
    import_call_records,
    xlsx_records,
)
from ascolto.contactcenter.models import CallRecord
from tests import personas

CONNINFO = ("dbname", "user", "password", "host", "port")

HEADER = [
    "call_id", "queue", "arrived_at", "answered_at", "ended_at", "wait_seconds",
    "talk_seconds", "abandoned", "caller", "ivr_path", "agent",
]  # fmt: skip
GOOD = [
    ["A-1", "tributi", "2026-03-02 09:00:00", "2026-03-02 09:01:00", "2026-03-02 09:05:00",
     "60", "240", "0", "333 123 4567", "2>1", "201"],
    ["A-2", "anagrafe", "2026-03-02 09:10:00", "", "2026-03-02 09:12:00", "120", "", "1",
     "", "1", ""],
    ["A-3", "tributi", "2026-03-02T10:00:00+01:00", "", "2026-03-02T10:06:00+01:00", "30",
     "300", "no", "+39 333 1234567", "2>1", "giulia"],
]  # fmt: skip


def cell(*parts: int) -> datetime:
    """A spreadsheet's date and time: no time zone (the import reads it as Rome time)."""
    return datetime(*parts)  # noqa: DTZ001


def write_csv(path: Path, rows: list[list[str]], delimiter: str = ",") -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, delimiter=delimiter)
        out.writerow(HEADER)
        out.writerows(rows)
    return path


@pytest.fixture
def agents(cast: personas.Cast) -> personas.Cast:
    cast.operator.extension = "201"
    cast.operator.save(update_fields=["extension"])
    return cast


def test_a_csv_file_is_imported(agents: personas.Cast, tmp_path: Path) -> None:
    report = import_call_records(csv_records(write_csv(tmp_path / "c.csv", GOOD)))

    assert (report.ok, report.rows, report.created, report.existing) == (True, 3, 3, 0)
    first = CallRecord.objects.get(external_id="A-1")
    assert first.arrived_at == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # Rome time, no zone given
    assert (first.wait_seconds, first.talk_seconds, first.abandoned) == (60, 240, False)
    assert first.operator == agents.operator  # by extension
    assert first.caller is not None and first.caller.value == "+393331234567"
    abandoned = CallRecord.objects.get(external_id="A-2")
    assert abandoned.abandoned and abandoned.answered_at is None and abandoned.caller is None
    assert abandoned.talk_seconds == 0
    third = CallRecord.objects.get(external_id="A-3")
    assert third.answered_at == datetime(2026, 3, 2, 9, 0, 30, tzinfo=UTC)  # arrival + wait
    assert third.operator == agents.operator  # by username, "giulia"
    assert third.caller == first.caller  # one number, one identity
    assert Identity.objects.get(value="+393331234567").last_seen_at == third.arrived_at


def test_bad_rows_are_reported_and_nothing_of_the_file_is_stored(
    agents: personas.Cast, tmp_path: Path
) -> None:
    # Far more good rows than one batch, so that some were written before the bad ones.
    rows = [
        [f"B-{n}", "tributi", "2026-03-02 09:00:00", "", "2026-03-02 09:05:00", "60", "240",
         "0", f"+39333{n:07d}", "", ""]
        for n in range(30)
    ]  # fmt: skip
    rows.insert(5, ["B-bad1", "tributi", "2026-03-02 09:00:00", "", "2026-03-02 08:00:00",
                    "60", "0", "0", "", "", ""])  # fmt: skip
    rows.append(["B-bad2", "tributi", "ieri", "", "2026-03-02 08:00:00", "", "", "0", "", "", ""])
    rows.append(["B-bad3", "tributi", "2026-03-02 09:00:00", "", "2026-03-02 09:05:00", "", "",
                 "1", "12", "", "nessuno"])  # fmt: skip
    rows.append(["B-bad4", "tributi", "2026-03-02 09:00:00", "", "2026-03-02 09:05:00", "1",
                 "10", "1", "", "", ""])  # fmt: skip

    report = import_call_records(csv_records(write_csv(tmp_path / "c.csv", rows)), batch_size=4)

    assert not report.ok and report.created == 0
    assert [(e.line, e.column) for e in report.errors] == [
        (7, "ended_at"),
        (33, "arrived_at"),
        (34, "caller"),
        (35, "talk_seconds"),
    ]
    assert "finisce prima" in report.errors[0].message
    assert "'ieri'" in report.errors[1].message
    assert not CallRecord.objects.exists()
    assert not Identity.objects.filter(kind=Identity.Kind.PHONE).exists()


def test_an_unknown_agent_is_a_bad_row(cast: personas.Cast, tmp_path: Path) -> None:
    report = import_call_records(csv_records(write_csv(tmp_path / "c.csv", GOOD[:1])))

    assert [(e.line, e.column) for e in report.errors] == [(2, "agent")]
    assert "'201'" in report.errors[0].message


def test_a_missing_column_is_reported_on_the_header(cast: personas.Cast, tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("call_id;coda;arrivo\nX;tributi;2026-03-02 09:00\n", encoding="utf-8")

    report = import_call_records(csv_records(path))

    assert [(e.line, e.column) for e in report.errors] == [(1, "ended_at")]
    assert "ended_at, abandoned" in report.errors[0].message


def test_importing_again_stores_nothing_twice(agents: personas.Cast, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", [*GOOD, GOOD[0]])  # a call listed twice, too

    first = import_call_records(csv_records(path))
    again = import_call_records(csv_records(path))

    assert (first.created, first.existing) == (3, 1)
    assert (again.created, again.existing) == (0, 4)
    assert CallRecord.objects.count() == 3
    assert Identity.objects.filter(kind=Identity.Kind.PHONE).count() == 1


def test_a_dry_run_counts_and_stores_nothing(agents: personas.Cast, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "c.csv", GOOD)
    import_call_records(csv_records(write_csv(tmp_path / "one.csv", GOOD[:1])))

    report = import_call_records(csv_records(path), dry_run=True)

    assert (report.ok, report.created, report.existing) == (True, 2, 1)
    assert CallRecord.objects.count() == 1


def test_an_xlsx_file_with_typed_cells_is_imported(agents: personas.Cast, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["ID chiamata", "Coda", "Arrivo", "Fine", "Attesa", "Abbandonata", "Chiamante"])
    sheet.append([1001, "tributi", cell(2026, 3, 2, 9), cell(2026, 3, 2, 9, 4), 30, False,
                  "+393331234567"])  # fmt: skip
    sheet.append([None] * 7)  # an empty row is skipped
    sheet.append([1002, "tributi", cell(2026, 3, 2, 9, 30), cell(2026, 3, 2, 9, 32), 0,
                  True, None])  # fmt: skip
    path = tmp_path / "chiamate.xlsx"
    book.save(path)

    report = import_call_records(xlsx_records(path))

    assert (report.ok, report.created) == (True, 2)
    answered = CallRecord.objects.get(external_id="1001")
    assert (answered.wait_seconds, answered.talk_seconds) == (30, 210)  # talk: end - answer
    assert CallRecord.objects.get(external_id="1002").abandoned


def test_an_xlsx_bad_row_names_its_sheet_line(agents: personas.Cast, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["call_id", "queue", "arrived_at", "ended_at", "wait_seconds", "abandoned"])
    sheet.append(["X-1", "tributi", cell(2026, 3, 2, 9), cell(2026, 3, 2, 9, 4), 5, 0])
    sheet.append(["X-2", "", cell(2026, 3, 2, 9), cell(2026, 3, 2, 9, 4), 5, 0])
    path = tmp_path / "chiamate.xlsx"
    book.save(path)

    report = import_call_records(file_records(path))

    assert [(e.line, e.column) for e in report.errors] == [(3, "queue")]
    assert not CallRecord.objects.exists()


def test_the_command_imports_and_refuses_a_bad_file(
    agents: personas.Cast, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write_csv(tmp_path / "good.csv", GOOD)
    bad = write_csv(tmp_path / "bad.csv", [[*GOOD[0][:2], "domani", *GOOD[0][3:]]])

    call_command("import_calls", str(good), "--dry-run")
    assert "would import 3 calls" in capsys.readouterr().out
    assert not CallRecord.objects.exists()
    call_command("import_calls", str(good))
    assert "imported 3 calls, 0 already stored" in capsys.readouterr().out
    with pytest.raises(CommandError, match="1 bad rows out of 1: nothing imported"):
        call_command("import_calls", str(bad))
    assert "line 2, arrived_at" in capsys.readouterr().err


def test_a_file_that_is_not_utf8_is_reported_not_crashed_on(
    cast: personas.Cast, tmp_path: Path
) -> None:
    path = tmp_path / "c.csv"
    header = ",".join(HEADER)
    path.write_bytes(f"{header}\nA-1,qualità,".encode() + "è".encode("latin-1") + b"\n")

    report = import_call_records(csv_records(path))

    assert not report.ok and "UTF-8" in report.errors[0].message
    assert not CallRecord.objects.exists()


def test_an_error_while_writing_stops_the_reading_and_stores_nothing(
    agents: personas.Cast, tmp_path: Path
) -> None:
    # The file is read in a thread while the batches are written: an error on the writing side
    # (here the progress display, as when the command is interrupted) must end that thread too.
    rows = [
        [f"E-{n}", "tributi", "2026-03-02 09:00:00", "", "2026-03-02 09:05:00", "60", "240",
         "0", f"+39333{n:07d}", "", ""]
        for n in range(40)
    ]  # fmt: skip

    class Interrupted(Exception):
        pass

    def progress(phase: str, done: int, total: int | None) -> None:
        if done >= 8:
            raise Interrupted

    with pytest.raises(Interrupted):
        import_call_records(
            csv_records(write_csv(tmp_path / "c.csv", rows)), progress=progress, batch_size=4
        )

    assert not any(t.name == "call-records" for t in threading.enumerate())
    assert not CallRecord.objects.exists()
    assert not Identity.objects.filter(kind=Identity.Kind.PHONE).exists()


def test_an_error_of_the_source_reaches_the_caller(agents: personas.Cast) -> None:
    def records() -> Iterator[tuple[int, dict[str, str]]]:
        yield 2, dict(zip(HEADER, GOOD[0], strict=True))
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        import_call_records(records, batch_size=1)

    assert not CallRecord.objects.exists()


def test_a_nul_character_is_a_bad_row(agents: personas.Cast, tmp_path: Path) -> None:
    report = import_call_records(
        csv_records(write_csv(tmp_path / "c.csv", [[*GOOD[0][:1], "tri\x00buti", *GOOD[0][2:]]]))
    )

    assert [(e.line, e.column) for e in report.errors] == [(2, "queue")]


@pytest.mark.postgres
def test_the_foreign_keys_are_deferred_again_after_an_import(
    agents: personas.Cast, tmp_path: Path
) -> None:
    # The import checks its rows' foreign keys at each batch; the rest of the caller's
    # transaction checks them at the commit again, as Django expects.
    assert import_call_records(csv_records(write_csv(tmp_path / "c.csv", GOOD))).ok
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE contactcenter_callrecord SET operator_id = -1 WHERE external_id = 'A-1'"
            )  # no error yet: deferred
            with pytest.raises(IntegrityError):
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        transaction.set_rollback(True)


@pytest.mark.postgres
def test_a_call_stored_meanwhile_by_the_webhook_is_counted_as_stored(
    agents: personas.Cast, tmp_path: Path
) -> None:
    # Another transaction (the webhook, as the file is imported) holds "A-3" uncommitted and
    # commits only once the import's insert waits for it: the import skips it, not fails.
    params = {k: v for k, v in connection.get_connection_params().items() if k in CONNINFO}
    inserted, failed = threading.Event(), []

    def webhook() -> None:
        with psycopg.connect(**params) as other:
            try:
                other.execute(
                    "INSERT INTO contactcenter_callrecord (external_id, queue, ivr_path, "
                    "arrived_at, ended_at, wait_seconds, talk_seconds, abandoned) VALUES "
                    "('A-3', 'tributi', '', now(), now(), 0, 0, true)"
                )
                inserted.set()
                for _ in range(200):  # until the import's insert waits for this transaction
                    waiting = other.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        "AND datname = current_database()"
                    ).fetchone()
                    if waiting and waiting[0]:
                        break
                    time.sleep(0.05)
                else:
                    failed.append("the import never waited")
                other.commit()
            finally:
                inserted.set()

    thread = threading.Thread(target=webhook)
    thread.start()
    try:
        assert inserted.wait(10)
        report = import_call_records(csv_records(write_csv(tmp_path / "c.csv", GOOD)), batch_size=1)
        thread.join(10)
        assert not failed
        assert (report.ok, report.created, report.existing) == (True, 2, 1)
        assert CallRecord.objects.get(external_id="A-3").abandoned  # the webhook's
    finally:
        thread.join(10)
        with psycopg.connect(**params, autocommit=True) as other:
            other.execute("DELETE FROM contactcenter_callrecord WHERE external_id = 'A-3'")
