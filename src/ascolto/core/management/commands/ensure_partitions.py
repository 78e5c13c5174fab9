"""Make the monthly partitions of the contact records ahead of time (nightly; decision 0033)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ascolto.core import partitions


class Command(BaseCommand):
    help = (
        "On PostgreSQL, create the monthly partitions of call records, messages and case events "
        "for this month and the next ones, and move into their month's partition any rows that "
        "fell into the DEFAULT partition; idempotent (docs/deploy.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--ahead", type=int, default=3, help="months after this one to create (default 3)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        done = partitions.ensure_partitions(max(0, options["ahead"]))
        if not done:
            self.stdout.write("no partitioned table (SQLite, or not migrated): nothing to do")
        for table in done:
            made = ", ".join(table.created) or "none"
            self.stdout.write(
                f"{table.table}: partitions created: {made}; "
                f"{table.moved:,} row(s) moved out of DEFAULT, {table.left_in_default:,} left"
            )
