"""The monthly partitioning of the call records (decision 0033): the time of the migration on
an existing table, and a month's call report on the table before and after it.

    python benchmarks/partitions.py [--calls 1000000] [--months 24] [--rounds 3]
                                    [--database ascolto_bench_partitions]

It makes a database of its own (dropped and made again; PostgreSQL at 127.0.0.1:5432, user
postgres), migrates it, takes the call records back to before the partitioning (contactcenter
0007), fills them with `--calls` calls spread evenly over the `--months` months before this one
(one INSERT … SELECT; `VACUUM ANALYZE` after), then:

1. keeps an unpartitioned copy of the table with the same indexes (`bench_calls_plain`);
2. times `migrate contactcenter 0008` (the table rebuilt partitioned, rows moved; the table is
   locked for writes and reads for that time);
3. times the report query of one month (the summaries' `CallDay` grouping of the calls of a
   month, `analytics.summaries._call_rows`, as `refresh_summaries` and the call report run it)
   on the partitioned table and on the copy, one run on each in turn (so the load of a shared
   machine weighs on both alike): `--rounds` rounds of 5 runs each, each round's median.

Printed with the conditions: rows, months, CPUs, load average at the start, PostgreSQL version.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def _psql(sql: str) -> None:
    subprocess.run(  # noqa: S603
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", sql],  # noqa: S607
        check=True,
        capture_output=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database", default="ascolto_bench_partitions")
    args = parser.parse_args()
    load = os.getloadavg()
    _psql(f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)")
    _psql(f"CREATE DATABASE {args.database}")
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{args.database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ascolto.config.settings")
    os.environ["ASCOLTO_LOG_LEVEL"] = "WARNING"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Q
    from django.utils import timezone

    from ascolto.analytics.summaries import _call_rows
    from ascolto.core import partitions

    call_command("migrate", verbosity=0)
    call_command("migrate", "contactcenter", "0007_call_import_indexes", verbosity=0)
    today = timezone.localdate()
    first = date(today.year, today.month, 1)
    year, month = first.year, first.month - args.months
    while month < 1:
        year, month = year - 1, month + 12
    since = partitions.month_start(year, month)
    until = partitions.month_start(first.year, first.month)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO contactcenter_callrecord (external_id, queue, ivr_path, arrived_at, "
            "answered_at, ended_at, wait_seconds, talk_seconds, abandoned) "
            "SELECT 'c' || i, (ARRAY['tributi','anagrafe','servizi-sociali','mobilita',"
            "'generale'])[1 + i %% 5], '', t, CASE WHEN i %% 9 = 0 THEN NULL ELSE t + "
            "interval '30 s' END, t + interval '200 s', 30, CASE WHEN i %% 9 = 0 THEN 0 ELSE 170 "
            "END, i %% 9 = 0 FROM (SELECT i, %s::timestamptz + (%s::timestamptz - "
            "%s::timestamptz) * (i::float8 / %s) AS t FROM generate_series(0, %s - 1) i) s",
            [since, until, since, args.calls, args.calls],
        )
    filled = time.perf_counter() - started
    connection.close()
    _psql_db = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", args.database, "-q", "-c"]
    subprocess.run([*_psql_db, "VACUUM ANALYZE contactcenter_callrecord"], check=True)  # noqa: S603
    # The month before last: a whole month inside the data.
    m_year, m_month = (
        (first.year, first.month - 2)
        if first.month > 2
        else (
            first.year - 1,
            first.month + 10,
        )
    )
    month_since = partitions.month_start(m_year, m_month)
    month_until = partitions.month_start(*partitions.next_month(m_year, m_month))

    subprocess.run(  # noqa: S603
        [
            *_psql_db,
            "CREATE TABLE bench_calls_plain (LIKE contactcenter_callrecord INCLUDING ALL); "
            "INSERT INTO bench_calls_plain SELECT * FROM contactcenter_callrecord",
            "-c",
            "VACUUM ANALYZE bench_calls_plain",
        ],
        check=True,
    )
    began = time.perf_counter()
    call_command("migrate", "contactcenter", "0008_call_monthly_partitions", verbosity=0)
    migration = time.perf_counter() - began
    connection.close()
    subprocess.run([*_psql_db, "VACUUM ANALYZE contactcenter_callrecord"], check=True)  # noqa: S603
    sql, params = _call_rows(
        Q(arrived_at__gte=month_since, arrived_at__lt=month_until)
    ).query.sql_with_params()
    plain_sql = sql.replace('"contactcenter_callrecord"', '"bench_calls_plain"')
    before: list[float] = []
    after: list[float] = []
    with connection.cursor() as cursor:
        for _ in range(args.rounds):
            runs: dict[str, list[float]] = {plain_sql: [], sql: []}
            for _ in range(5):
                for text, times in runs.items():
                    began = time.perf_counter()
                    cursor.execute(text, params)
                    cursor.fetchall()
                    times.append((time.perf_counter() - began) * 1000)
            before.append(statistics.median(runs[plain_sql]))
            after.append(statistics.median(runs[sql]))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM contactcenter_callrecord")
        rows = cursor.fetchone()[0]
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
        parts = len(partitions.partitions(cursor, "contactcenter_callrecord"))

    def spread(values: list[float]) -> str:
        return f"median {statistics.median(values):.1f} ms ({min(values):.1f}–{max(values):.1f})"

    print(
        f"conditions: PostgreSQL {version}, database {args.database}, {rows:,} call records over "
        f"{args.months} months (filled in {filled:.1f} s), {parts} partitions after, "
        f"{os.cpu_count()} CPUs, load average at start {load[0]:.2f}"
    )
    print(f"migration contactcenter 0008 (table locked meanwhile): {migration:.1f} s")
    print(f"month's call report ({m_year}-{m_month:02d}), unpartitioned copy: {spread(before)}")
    print(f"month's call report ({m_year}-{m_month:02d}), partitioned:        {spread(after)}")


if __name__ == "__main__":
    main()
