"""Take in the messages waiting in the intake queue (run every minute, or `--loop` always)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ascolto.channels import queue


class Command(BaseCommand):
    help = "Take in the messages accepted by the public form and still waiting in the queue."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=500, help="messages per batch")
        parser.add_argument(
            "--loop", action="store_true", help="keep draining, pausing when the queue is empty"
        )
        parser.add_argument(
            "--interval", type=float, default=1.0, help="seconds between polls with --loop"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        limit: int = options["limit"]
        while True:
            done = queue.drain_all(limit)
            if done or not options["loop"]:
                self.stdout.write(f"{done} queued message(s) taken in")
            if not options["loop"]:
                return
            time.sleep(options["interval"])
