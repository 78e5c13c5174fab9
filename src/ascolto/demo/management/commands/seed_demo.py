"""`manage.py seed_demo`: the demo city's offices, teams, users, channels, SLAs, routing rules
and campaigns, idempotently; prints the demo users with fresh passwords."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ascolto.core.errors import DomainError
from ascolto.demo.generator import default_end, ensure_migrated
from ascolto.demo.seed import credentials_box, seed_reference


class Command(BaseCommand):
    help = "Create or update the demo city's reference data and print the demo users."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--end",
            type=date.fromisoformat,
            default=None,
            help="last day of the demo year, YYYY-MM-DD (default: yesterday); places campaigns",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            ensure_migrated()
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        result = seed_reference(options["end"] or default_end())
        counts = ", ".join(f"{n} {what}" for what, n in result.counts.items())
        self.stdout.write(f"Reference data ready: {counts}.")
        self.stdout.write(credentials_box(result.credentials, "http://127.0.0.1:8000/admin/"))
