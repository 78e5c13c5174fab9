"""Remove uploaded files no accepted submission refers to (run nightly)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ascolto.channels import uploads


class Command(BaseCommand):
    help = (
        "Delete files under the Scrivi upload and mailbox folders that no queued submission nor "
        "stored message refers to (left by a process killed mid-request, or by a mail intake "
        "refused), older than a grace period."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--hours", type=int, default=24, help="grace period (default 24)")
        parser.add_argument("--dry-run", action="store_true", help="list, delete nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        found = uploads.sweep(grace=timedelta(hours=options["hours"]), dry_run=options["dry_run"])
        verb = "would be removed" if options["dry_run"] else "removed"
        self.stdout.write(f"{len(found)} orphan file(s) {verb}")
