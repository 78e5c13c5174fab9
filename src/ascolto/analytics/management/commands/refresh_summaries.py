"""Bring the reports' daily summaries up to date, or rebuild them (--all)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ascolto.analytics import summaries


class Command(BaseCommand):
    help = (
        "Update the daily summaries the reports read (every report does it first; run it after "
        "a bulk load, or nightly so the first report of the day is quick). --all rebuilds them "
        "from scratch (after rows were written without the ORM)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="rebuild everything")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        if options["all"]:
            summaries.rebuild_all()
            self.stdout.write(f"summaries rebuilt in {time.monotonic() - started:.1f} s")
        else:
            days = summaries.refresh(wait=None)  # a command may wait for a reader's refresh
            what = "built from scratch" if days < 0 else f"{days} day(s) rebuilt"
            self.stdout.write(f"summaries: {what} in {time.monotonic() - started:.1f} s")
