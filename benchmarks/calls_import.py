"""Call records per second through the import (`contactcenter.actions.import_call_records`).

    python benchmarks/calls_import.py [--rows 1000000] [--rounds 3] [--databases postgres,sqlite]

Writes a CSV file like a telephony system's year of exports: `--rows` calls over a year of
opening hours, from a quarter as many distinct numbers (callers call again), 5 % withheld,
8 % abandoned, answered ones by 60 operators matched by extension. Each database is fresh (a
temporary SQLite file; PostgreSQL database `ascolto_bench_calls`, dropped and re-created, at
$BENCH_POSTGRES_URL or postgres://postgres@127.0.0.1:5432) and migrated. Each round imports the
file into empty call and identity tables (one pass: a thread reads and checks while the
batches before are written, in one transaction) and is timed from the file's first read to the
commit; then the same file is imported again, which must store nothing. Prints, per round, the
wall time, the CPU seconds of the importing process and (when the server runs on this machine,
its /proc readable) of its PostgreSQL backend, and the WAL written; then rows, database,
rounds, the median and the range of the rounds, the rows per CPU second of the importing
process alone, the CPU seconds of each side and the load average. The CPU seconds are the
figures a busy shared machine disturbs least: on a quiet machine with two cores the import
takes about as long as the larger of the two, since they work at once. Budget: >= 20,000 call
records/s on PostgreSQL on this machine.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import figures

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

PG_BASE = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
PG_NAME = "ascolto_bench_calls"
AGENTS = 60
BUDGET = 20_000
MOBILE = (320, 328, 329, 331, 333, 335, 338, 339, 340, 347, 348, 349, 351, 366, 380, 389, 392)


def write_file(path: Path, rows: int, seed: int = 12) -> None:
    """A year of calls, Monday to Saturday 8:30-17:30, in order of arrival."""
    rng = random.Random(seed)  # noqa: S311 (test data)
    callers = max(rows // 4, 1)
    numbers = [f"+39 {rng.choice(MOBILE)} {rng.randrange(10**6, 10**7)}" for _ in range(callers)]
    # Local times without a zone, as exchanges export them (the import reads them as Rome time).
    day, spacing = datetime(2025, 1, 2, 8, 30), 300 * 32_400 / max(rows, 1)  # noqa: DTZ001
    at = day
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(
            ["call_id", "queue", "arrived_at", "answered_at", "ended_at", "wait_seconds",
             "talk_seconds", "abandoned", "caller", "ivr_path", "agent"]
        )  # fmt: skip
        for i in range(rows):
            at += timedelta(seconds=rng.expovariate(1 / spacing))
            if at.hour >= 17 and at.minute >= 30 or at.hour >= 18:
                day += timedelta(days=2 if day.weekday() == 5 else 1)
                at = day
            abandoned = rng.random() < 0.08
            wait = int(rng.expovariate(1 / 60))
            talk = 0 if abandoned else 30 + int(rng.expovariate(1 / 250))
            answered = "" if abandoned else f"{at + timedelta(seconds=wait):%Y-%m-%d %H:%M:%S}"
            ended = at + timedelta(seconds=wait + talk)
            caller = "" if rng.random() < 0.05 else numbers[int(rng.paretovariate(1.2)) % callers]
            queue = rng.choice(("anagrafe", "tributi", "polizia-locale", "sociale", "generale"))
            out.writerow(
                [f"PBX-{i:08d}", queue, f"{at:%Y-%m-%d %H:%M:%S}", answered,
                 f"{ended:%Y-%m-%d %H:%M:%S}", wait, talk, int(abandoned), caller,
                 f"{rng.randrange(1, 6)}>{rng.randrange(1, 4)}",
                 "" if abandoned else f"{200 + rng.randrange(AGENTS)}"]
            )  # fmt: skip


def backend_cpu(pid: int | None) -> float | None:
    """CPU seconds (user + system) the PostgreSQL backend `pid` has used, when the server runs
    on this machine (its /proc is readable); otherwise None."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wal_position(connection: Any) -> int | None:
    """PostgreSQL's write-ahead log position in bytes (None on SQLite)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")
        return int(cursor.fetchone()[0])


def child(path: Path, rounds: int) -> None:
    """One database: migrate, add the operators, import the file `rounds` times, print."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ascolto.config.settings")
    os.environ["ASCOLTO_LOG_LEVEL"] = "WARNING"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from ascolto.citizens.models import Identity
    from ascolto.contactcenter.actions import file_records, import_call_records
    from ascolto.contactcenter.models import CallRecord
    from ascolto.organisation.models import User

    call_command("migrate", verbosity=0)
    User.objects.bulk_create(
        [User(username=f"operatore{n}", extension=str(200 + n)) for n in range(AGENTS)]
    )
    rates: list[float] = []
    cpu_rates: list[float] = []  # per CPU second of this process: what the server's work hides
    cpu_seconds: list[float] = []  # the importing process's CPU seconds, per round
    server_seconds: list[float] = []  # the PostgreSQL backend's CPU seconds, per round
    rows = 0
    backend = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
    tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in (CallRecord, Identity))
    for _round in range(rounds):
        with connection.cursor() as cursor:  # empty, untimed: the ORM's delete takes minutes
            if connection.vendor == "postgresql":
                cursor.execute(f"TRUNCATE {tables} CASCADE")
            else:
                for table in tables.split(", "):
                    cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (table names)
        wal = wal_position(connection)
        started, cpu, server = time.perf_counter(), time.process_time(), backend_cpu(backend)
        report = import_call_records(file_records(path))
        elapsed = time.perf_counter() - started
        wal_mb = (wal_position(connection) - wal) / 1e6 if wal is not None else None
        cpu_seconds.append(time.process_time() - cpu)
        cpu_rates.append(report.rows / cpu_seconds[-1])
        after = backend_cpu(backend)
        if server is not None and after is not None:
            server_seconds.append(after - server)
        print(
            f"  round {_round + 1}: {elapsed:.2f} s wall, importer {cpu_seconds[-1]:.2f} s CPU"
            + (f", PostgreSQL backend {server_seconds[-1]:.2f} s CPU" if server_seconds else "")
            + (f", {wal_mb:.0f} MB of WAL" if wal_mb is not None else ""),
            flush=True,
        )
        if not report.ok or report.created + report.existing != report.rows:
            raise SystemExit(f"the benchmark's file was refused: {report.errors[:3]}")
        rows = report.rows
        rates.append(rows / elapsed)
    started = time.perf_counter()
    again = import_call_records(file_records(path))
    repeat = time.perf_counter() - started
    if again.created:
        raise SystemExit(f"importing the same file again stored {again.created} calls")
    name = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}[connection.vendor]
    median = statistics.median(rates)
    verdict = "within" if median >= BUDGET or connection.vendor != "postgresql" else "BELOW"
    print(
        f"{name:<10}  {rows:>9,} rows  {rounds} rounds  median {median:>7,.0f} calls/s "
        f"(range {min(rates):,.0f}–{max(rates):,.0f}; {rows / median:.1f} s per import)  "
        f"re-import {rows / repeat:,.0f} rows/s, 0 stored; "
        f"importer alone {statistics.median(cpu_rates):,.0f} rows per CPU second "
        f"({statistics.median(cpu_seconds):.2f} s)"
        + (
            f", PostgreSQL backend {statistics.median(server_seconds):.2f} s CPU; "
            if server_seconds
            else "; "
        )
        + f"load average {os.getloadavg()[0]:.1f}"
        + (f"  [{verdict} the budget of {BUDGET:,}/s]" if connection.vendor == "postgresql" else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    figures.rounds_option(parser)
    parser.add_argument("--databases", default="postgres")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.rounds)
        return
    print(
        f"call-record import benchmark: {args.rows:,} rows per import, {args.rounds} rounds, "
        f"{figures.machine()}",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "chiamate.csv"
        write_file(path, args.rows)
        size = path.stat().st_size / 1e6
        print(f"file: {path.name}, {size:.0f} MB, CSV")
        command = [sys.executable, __file__, "--child", str(path), "--rounds", str(args.rounds)]
        for database in args.databases.split(","):
            env = dict(os.environ, ASCOLTO_LOG_LEVEL="WARNING")
            if database == "sqlite":
                env.pop("DATABASE_URL", None)
                env["ASCOLTO_VAR_DIR"] = tmp
            elif database == "postgres":
                admin = f"{PG_BASE}/postgres"
                for sql in (f"DROP DATABASE IF EXISTS {PG_NAME}", f"CREATE DATABASE {PG_NAME}"):
                    subprocess.run(  # noqa: S603
                        ["psql", admin, "-qc", sql],  # noqa: S607
                        check=True,
                        env=dict(os.environ, PGOPTIONS="-c client_min_messages=warning"),
                    )
                env["DATABASE_URL"] = f"{PG_BASE}/{PG_NAME}"
            else:
                raise SystemExit(f"unknown database {database!r}: use sqlite and/or postgres")
            subprocess.run(command, env=env, check=True, cwd=ROOT)  # noqa: S603
    print(figures.at_end())


if __name__ == "__main__":
    main()
