"""The scheduled commands of a deployment, run by `python -m ascolto scheduler` (APScheduler) or
by cron/systemd timers with the same table (docs/deploy.md, "What runs").

Each job runs as its own process (`python -m ascolto <command>`), so a slow nightly job never
holds back the every-minute ones, and a job still running when its next turn comes is not
started twice (APScheduler's `max_instances=1`; a missed turn is run once, not caught up).
"""

from __future__ import annotations

import logging
import subprocess
import sys
import time
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """`argv` of `python -m ascolto`, every `minutes` minutes or each night `at` HH:MM (local
    time, `TIME_ZONE`)."""

    argv: tuple[str, ...]
    minutes: int = 0
    at: str = ""
    timeout: int = 3600

    @property
    def name(self) -> str:
        return " ".join(self.argv)

    @property
    def when(self) -> str:
        return f"every {self.minutes} min" if self.minutes else f"daily at {self.at}"


JOBS: tuple[Job, ...] = (
    Job(("relay_outbox",), minutes=1, timeout=300),
    Job(("deliver_webhooks",), minutes=1, timeout=300),
    Job(("check_sla",), minutes=5, timeout=600),
    Job(("prune_presence",), minutes=5, timeout=300),
    Job(("ensure_partitions",), at="01:15", timeout=1800),
    Job(("refresh_summaries", "--all"), at="01:30"),
    Job(("sweep_uploads",), at="02:00"),
    Job(("prune_webhooks",), at="02:10"),
    Job(("prune_tables",), at="02:20"),
    Job(("prune_access_log",), at="02:30"),
    Job(("apply_retention",), at="02:40"),
    Job(("forecast",), at="03:00", timeout=7200),
    Job(("staffing",), at="04:30"),
)


def run_job(job: Job) -> int:
    """Run one job as its own process; log its end (name, exit status, seconds), never its
    output's content beyond the last line (commands print counts, not personal data)."""
    started = time.monotonic()
    try:
        done = subprocess.run(  # noqa: S603 — our own interpreter and command
            [sys.executable, "-m", "ascolto", *job.argv],
            capture_output=True,
            text=True,
            timeout=job.timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        logger.error("scheduler: %s stopped after its %d s timeout", job.name, job.timeout)
        return -1
    seconds = time.monotonic() - started
    last = (done.stdout or done.stderr).strip().splitlines()[-1:] or [""]
    if done.returncode:
        logger.error(
            "scheduler: %s failed (exit %d) in %.1f s: %s",
            job.name,
            done.returncode,
            seconds,
            last[0],
        )
    else:
        logger.info("scheduler: %s done in %.1f s: %s", job.name, seconds, last[0])
    return done.returncode
