"""Send the outgoing webhook calls that are due (every minute from the scheduler, or `--loop`);
retries wait their backoff (docs/webhooks.md)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ascolto.api import webhooks


class Command(BaseCommand):
    help = "Send the outgoing webhook calls that are due, retrying failed ones with backoff."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=100, help="calls per pass")
        parser.add_argument("--loop", action="store_true", help="keep sending, pausing when idle")
        parser.add_argument(
            "--interval", type=float, default=5.0, help="seconds between passes with --loop"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            done = webhooks.deliver_all(options["limit"])
            if done != webhooks.Delivered() or not options["loop"]:
                self.stdout.write(
                    f"{done.delivered} delivered, {done.retrying} to retry, {done.failed} given up"
                )
            if not options["loop"]:
                return
            time.sleep(options["interval"])
