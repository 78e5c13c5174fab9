"""Delete Meta's webhook deliveries processed long ago (run nightly)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ascolto.channels.adapters.meta import deliveries


class Command(BaseCommand):
    help = (
        "Delete Meta webhook deliveries processed (or handled by hand) more than "
        "ASCOLTO_WEBHOOK_RETENTION_DAYS days ago, and WhatsApp statuses kept for a week without "
        "finding their message. Deliveries still pending are never deleted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"retention in days (default {settings.ASCOLTO_WEBHOOK_RETENTION_DAYS})",
        )
        parser.add_argument("--dry-run", action="store_true", help="count, delete nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            found, statuses = deliveries.prune(days=options["days"], dry_run=options["dry_run"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        verb = "would be deleted" if options["dry_run"] else "deleted"
        self.stdout.write(f"{found} webhook delivery(ies) and {statuses} kept status(es) {verb}")
