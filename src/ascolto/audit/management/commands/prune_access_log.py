"""Delete the access log's records older than the retention period (run nightly)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from ascolto.audit.actions import prune_access_log, retention_days


class Command(BaseCommand):
    help = (
        "Delete the records of the access log of personal data older than "
        "ASCOLTO_ACCESS_LOG_DAYS days: the only deletion the log allows."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"retention in days (default ASCOLTO_ACCESS_LOG_DAYS, now {retention_days()})",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="print what would be deleted, delete nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            pruned = prune_access_log(days=options["days"], dry_run=options["dry_run"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        before = timezone.localtime(pruned.before).strftime("%Y-%m-%d %H:%M")
        verb = "would be deleted" if pruned.dry_run else "deleted"
        line = f"{pruned.count} access record(s) older than {before} {verb}"
        if pruned.oldest is not None:
            oldest = timezone.localtime(pruned.oldest).strftime("%Y-%m-%d %H:%M")
            line += f" (the oldest from {oldest})"
        self.stdout.write(line)
