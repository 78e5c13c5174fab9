"""Take in the new mail of the mailboxes (every minute from the scheduler, or `--loop`)."""

from __future__ import annotations

import threading
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from ascolto.channels.adapters.email import mailbox
from ascolto.channels.models import Channel

RESCAN_SECONDS = 60


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
        wanted: list[str] = options["mailbox"]
        if not options["loop"]:
            found = _mailboxes(wanted)
            missing = set(wanted) - {c.code for c in found}
            if missing:
                raise CommandError(
                    f"No active mailbox read over IMAP: {', '.join(sorted(missing))}"
                )
            self._once(found)
            return
        self._watch(wanted)

    def _once(self, found: list[Channel]) -> None:
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

    def _watch(self, wanted: list[str]) -> None:
        """One thread per mailbox, each waiting in its own IDLE; the list of mailboxes is read
        again every RESCAN_SECONDS, so a mailbox added, changed or switched off in the admin is
        followed without a restart (and a deployment with none yet keeps running)."""
        running: dict[str, tuple[dict[str, Any], threading.Event, threading.Thread]] = {}
        while True:
            current = {c.code: c for c in _mailboxes(wanted)}
            for code, (config, stop, _thread) in list(running.items()):
                if code not in current or current[code].config != config:
                    stop.set()
                    del running[code]
            for code, channel in current.items():
                if code in running:
                    continue
                stop = threading.Event()
                thread = threading.Thread(
                    target=mailbox.watch,
                    args=(channel,),
                    kwargs={"stop": stop.is_set},
                    name=f"mailbox-{code}",
                    daemon=True,
                )
                thread.start()
                running[code] = (dict(channel.config), stop, thread)
            close_old_connections()
            time.sleep(RESCAN_SECONDS)


def _mailboxes(codes: list[str]) -> list[Channel]:
    channels = Channel.objects.filter(kind=Channel.Kind.EMAIL, is_active=True)
    if codes:
        channels = channels.filter(code__in=codes)
    return [c for c in channels.order_by("code") if c.config.get("imap_host")]
