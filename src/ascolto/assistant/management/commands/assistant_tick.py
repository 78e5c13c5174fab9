"""Send the virtual assistant's due messages (replies to retry, the survey after 10 minutes of
inactivity) and end its idle sessions (run every minute, or `--loop` always)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ascolto.assistant import actions


class Command(BaseCommand):
    help = "Send the virtual assistant's due messages (retries, surveys) and end its idle sessions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--loop", action="store_true", help="keep going, pausing between rounds"
        )
        parser.add_argument(
            "--interval", type=float, default=15.0, help="seconds between rounds with --loop"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            sent, ended = actions.tick()
            if sent or ended or not options["loop"]:
                self.stdout.write(f"{sent} message(s) sent, {ended} session(s) ended")
            if not options["loop"]:
                return
            time.sleep(options["interval"])
