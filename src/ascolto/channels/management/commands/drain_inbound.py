"""Take in the messages waiting in the intake queue and Meta's webhook deliveries (run every
minute, or `--loop` always)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ascolto.channels import queue
from ascolto.channels.adapters.meta import deliveries


class Command(BaseCommand):
    help = (
        "Take in the messages accepted by the public form and the Meta webhook deliveries "
        "still waiting in their queues."
    )

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
        interval: float = options["interval"]
        noted = 0.0
        while True:
            if options["loop"] and time.monotonic() - noted >= 1.0:
                queue.note_loop_alive(interval)  # the webhook then schedules no drain task
                noted = time.monotonic()
            started = time.monotonic()
            done = queue.drain_all(limit)
            meta = deliveries.drain_all(min(limit, 100))
            if done or meta or not options["loop"]:
                self.stdout.write(f"{done} queued message(s) taken in")
                self.stdout.write(f"{meta} Meta webhook delivery(ies) taken in")
            if not options["loop"]:
                return
            # A poll every `interval` from the start of the last one: a drain that took most
            # of it does not wait a whole interval more (the latency of the next messages).
            time.sleep(max(0.0, interval - (time.monotonic() - started)))
