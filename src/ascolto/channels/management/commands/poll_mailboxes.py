"""Take in the new mail of the mailboxes (every minute from the scheduler, or `--loop`)."""

from __future__ import annotations

import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ascolto.channels.adapters.email import mailbox
from ascolto.channels.models import Channel


class Command(BaseCommand):
    help = (
        "Read the new mail of every active mailbox read over IMAP (or of --mailbox) and take it "
        "in: cases, replies to cases, delivery reports. With --loop, keep watching (IMAP IDLE "
        "where the server has it, else every poll_seconds of the mailbox)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--mailbox", action="append", default=[], help="a channel code")
        parser.add_argument("--loop", action="store_true", help="keep watching, for ever")

    def handle(self, *args: Any, **options: Any) -> None:
        channels = Channel.objects.filter(kind=Channel.Kind.EMAIL, is_active=True).exclude(
            config__imap_host=""
        )
        if options["mailbox"]:
            channels = channels.filter(code__in=options["mailbox"])
        found = [c for c in channels if c.config.get("imap_host")]
        missing = set(options["mailbox"]) - {c.code for c in found}
        if missing:
            raise CommandError(f"No active mailbox read over IMAP: {', '.join(sorted(missing))}")
        if not options["loop"]:
            failed = 0
            for channel in found:
                try:
                    polled = mailbox.poll(channel)
                except Exception as exc:  # one mailbox down does not stop the others
                    failed += 1
                    self.stderr.write(f"{channel.code}: {type(exc).__name__}: {exc}")
                    continue
                self.stdout.write(
                    f"{channel.code}: {polled.fetched} mail(s), {polled.cases} taken in, "
                    f"{polled.duplicates} duplicate(s), {polled.reports} report(s), "
                    f"{polled.loops} loop(s), {polled.refused} refused"
                )
            if failed:
                raise CommandError(f"{failed} mailbox(es) could not be read")
            return
        # One thread per mailbox: each waits in its own IDLE.
        threads = [
            threading.Thread(target=mailbox.watch, args=(c,), name=c.code, daemon=True)
            for c in found
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
