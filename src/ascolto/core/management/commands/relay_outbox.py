"""Process outbox events left pending by a crash or a lost task (run every minute)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ascolto.core import outbox


class Command(BaseCommand):
    help = "Process outbox events still pending after a grace period."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--older-than", type=int, default=30, help="seconds (default 30)")
        parser.add_argument("--limit", type=int, default=1000)

    def handle(self, *args: Any, **options: Any) -> None:
        done = outbox.relay_pending(
            older_than=timedelta(seconds=options["older_than"]), limit=options["limit"]
        )
        self.stdout.write(f"{done} pending event(s) processed")
