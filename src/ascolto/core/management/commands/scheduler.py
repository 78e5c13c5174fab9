"""Run the scheduled commands of a deployment (core/schedule.py), one process per job."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import get_commands
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ascolto.core.schedule import JOBS, run_job


class Command(BaseCommand):
    help = "Run the scheduled jobs (relay_outbox every minute, the nightly prunes, …) for ever."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--list", action="store_true", help="print the jobs and exit")
        parser.add_argument("--run", metavar="COMMAND", help="run this job once now and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        known = get_commands()
        missing = [job.name for job in JOBS if job.argv[0] not in known]
        if missing:
            raise CommandError(f"scheduled commands that do not exist: {', '.join(missing)}")
        if options["list"]:
            for job in JOBS:
                self.stdout.write(f"{job.when:<18} {job.name}")
            return
        if options["run"]:
            chosen = [job for job in JOBS if job.argv[0] == options["run"]]
            if not chosen:
                raise CommandError(f"no scheduled job {options['run']!r}; see `scheduler --list`")
            status = run_job(chosen[0])
            if status:
                raise CommandError(f"{chosen[0].name} failed (exit {status})")
            return
        self._forever()

    def _forever(self) -> None:
        from apscheduler.schedulers.blocking import (  # type: ignore[import-untyped]
            BlockingScheduler,
        )
        from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]
        from apscheduler.triggers.interval import (  # type: ignore[import-untyped]
            IntervalTrigger,
        )

        scheduler = BlockingScheduler(timezone=settings.TIME_ZONE)
        for job in JOBS:
            if job.minutes:
                trigger: Any = IntervalTrigger(minutes=job.minutes, timezone=settings.TIME_ZONE)
            else:
                hour, minute = job.at.split(":")
                trigger = CronTrigger(hour=hour, minute=minute, timezone=settings.TIME_ZONE)
            scheduler.add_job(
                run_job,
                trigger,
                args=[job],
                id=job.name,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=job.minutes * 60 if job.minutes else 3600,
            )
        self.stdout.write(f"scheduler: {len(JOBS)} jobs; Ctrl-C to stop")
        try:
            scheduler.start()
        except (KeyboardInterrupt, SystemExit):
            scheduler.shutdown(wait=False)
