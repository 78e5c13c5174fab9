"""Time and peak memory of `refresh_summaries --all` (the reports' summaries rebuilt from scratch)
and of `refresh_summaries` with nothing changed, over the demo city.

    python benchmarks/summaries.py [--database-url postgres://postgres@127.0.0.1:5432/ascolto_city]
                                   [--rounds 3]

Each round runs the command as its own process (`python -m ascolto refresh_summaries …`, as the
scheduler does) and reads that process's wall time and peak resident memory (`wait4`'s
`ru_maxrss`). The figures printed are the median and the spread (lowest–highest) of the rounds,
with their conditions: database, cases and calls in it, rows written, CPUs, load average at the
start. The database must hold the demo city (`make city`) migrated to this branch; the rounds
rewrite its summary tables only (derived data, `analytics.summaries`).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import figures

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

DEFAULT_URL = os.environ.get(
    "BENCH_SUMMARIES_URL", "postgres://postgres@127.0.0.1:5432/ascolto_city"
)


def _command(database_url: str, *argv: str) -> tuple[float, float]:
    """(seconds, peak MiB) of one `python -m ascolto refresh_summaries` process."""
    env = dict(os.environ, DATABASE_URL=database_url, ASCOLTO_LOG_LEVEL="WARNING")
    started = time.perf_counter()
    process = subprocess.Popen(  # noqa: S603 (our interpreter, our command)
        [sys.executable, "-m", "ascolto", "refresh_summaries", *argv],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"refresh_summaries {' '.join(argv)} failed ({process.returncode})")
    return seconds, usage.ru_maxrss / 1024  # KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    figures.rounds_option(parser)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ascolto.config.settings")
    import django

    django.setup()
    from ascolto.analytics.models import CallDay, CaseDay, ContactYear
    from ascolto.contactcenter.models import CallRecord
    from ascolto.tickets.models import Ticket

    database = args.database_url.rsplit("/", 1)[-1]
    print(
        f"summaries benchmark: {database}, {Ticket.objects.count():,} cases, "
        f"{CallRecord.objects.count():,} calls; {args.rounds} round(s); {figures.machine()}"
    )
    for label, argv in (("--all (rebuild)", ("--all",)), ("incremental, nothing new", ())):
        rounds = [_command(args.database_url, *argv) for _ in range(args.rounds)]
        print(
            f"refresh_summaries {label:26} "
            f"{figures.spread([r[0] for r in rounds], 's', 1)}, "
            f"peak RSS {figures.spread([r[1] for r in rounds], 'MiB', 0)}"
        )
    print(
        f"rows written: {CaseDay.objects.count():,} case days, {CallDay.objects.count():,} call "
        f"days, {ContactYear.objects.count():,} contact years"
    )
    print(figures.at_end())


if __name__ == "__main__":
    main()
