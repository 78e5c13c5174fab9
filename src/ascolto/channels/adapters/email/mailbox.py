"""Reading a mailbox over IMAP (`imap-tools`): fetch new mail by UID, take it in, then mark it.

`poll(channel)` opens the mailbox, finds the messages still to take in (unseen ones in the
folder; every one left in the folder when processed mail is moved elsewhere), fetches them by UID
in batches — first their size and header, then the whole of those within the size limit — hands
each batch to `receive.take_in` and only after it returned marks the batch seen, or moves it to
the processed folder. A crash in between leaves the batch unseen: the next poll delivers it
again and intake, idempotent on (channel, Message-ID), keeps each message once. A mail intake
refuses is flagged `$AscoltoRefused` and left unseen for a person to read in the mailbox.

`watch(channel)` polls for ever: after each poll it waits in IMAP IDLE when the server has it (a
new mail wakes it at once), otherwise it sleeps the mailbox's `poll_seconds`.
"""

from __future__ import annotations

import logging
import re
import ssl
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import close_old_connections
from imap_tools import (
    AND,
    NOT,
    BaseMailBox,
    MailBox,
    MailBoxStartTls,
    MailBoxUnencrypted,
)
from imap_tools.consts import MailMessageFlags
from imap_tools.errors import MailboxFetchError

from ascolto.channels.adapters.email.receive import Fetched, Outcome, take_in
from ascolto.channels.config import secret
from ascolto.channels.models import Channel
from ascolto.core.errors import InvalidInput

logger = logging.getLogger(__name__)

REFUSED = "$AscoltoRefused"
BATCH = 200
TIMEOUT = 60


_UID = re.compile(rb"\bUID (\d+)")
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")


@dataclass
class Polled:
    """What one poll of one mailbox did (sums of its batches' outcomes)."""

    fetched: int = 0
    cases: int = 0
    duplicates: int = 0
    reports: int = 0
    loops: int = 0
    refused: int = 0

    def add(self, outcome: Outcome, fetched: int) -> None:
        self.fetched += fetched
        self.cases += outcome.cases
        self.duplicates += outcome.duplicates
        self.reports += outcome.reports
        self.loops += outcome.loops
        self.refused += len(outcome.refused)


@contextmanager
def connect(channel: Channel) -> Iterator[BaseMailBox]:
    """The channel's mailbox, logged in, its folder selected."""
    config = channel.config
    host = str(config.get("imap_host") or "")
    if channel.kind != Channel.Kind.EMAIL or not host:
        raise InvalidInput(f"Channel '{channel.code}' is not a mailbox read over IMAP.")
    port, mode = int(config.get("imap_port") or 993), config.get("imap_tls", "ssl")
    box: BaseMailBox
    if mode == "ssl":
        box = MailBox(host, port, timeout=TIMEOUT, ssl_context=ssl.create_default_context())
    elif mode == "starttls":
        box = MailBoxStartTls(host, port, timeout=TIMEOUT, ssl_context=ssl.create_default_context())
    else:
        box = MailBoxUnencrypted(host, port, timeout=TIMEOUT)
    user = str(config.get("imap_user") or config.get("address"))
    with box.login(user, secret(str(config.get("imap_password_env") or "")), initial_folder=None):
        processed = str(config.get("processed_folder") or "")
        if processed and not box.folder.exists(processed):
            box.folder.create(processed)
        box.folder.set(str(config.get("folder") or "INBOX"))
        yield box


def pending_uids(box: BaseMailBox, channel: Channel) -> list[str]:
    """The UIDs still to take in, oldest first."""
    criteria: AND | NOT = (
        NOT(keyword=REFUSED)
        if channel.config.get("processed_folder")
        else AND(seen=False, no_keyword=REFUSED)
    )
    return sorted(box.uids(criteria), key=int)


def _fetch(box: BaseMailBox, uids: Sequence[str], parts: str) -> dict[str, tuple[int, bytes]]:
    """`UID FETCH` of `parts` for these UIDs: each one's size and bytes (empty without a body
    part). Read from imaplib's answer directly: imap-tools would parse every message again."""
    typ, data = box.client.uid("FETCH", ",".join(uids), f"(UID RFC822.SIZE {parts})".strip())
    if typ != "OK":
        raise MailboxFetchError(command_result=(typ, data), expected="OK")
    out: dict[str, tuple[int, bytes]] = {}
    for item in data:
        head, body = (item[0], item[1]) if isinstance(item, tuple) else (item, b"")
        if not isinstance(head, bytes):
            continue
        uid = _UID.search(head)
        size = _SIZE.search(head)
        if uid:
            out[uid.group(1).decode()] = (int(size.group(1)) if size else 0, body or b"")
    return out


def fetch(box: BaseMailBox, channel: Channel, uids: Sequence[str]) -> list[Fetched]:
    """The mails with these UIDs (without marking them seen); one over the mailbox's size limit
    is fetched as its header only, marked `oversized`."""
    limit = int(channel.config.get("max_message_bytes") or 25 * 1024 * 1024)
    sizes = {uid: size for uid, (size, _) in _fetch(box, uids, "").items()}
    small = [uid for uid in uids if 0 < sizes.get(uid, limit + 1) <= limit]
    large = [uid for uid in uids if uid in sizes and uid not in small]
    bodies = _fetch(box, small, "BODY.PEEK[]") if small else {}
    heads = _fetch(box, large, "BODY.PEEK[HEADER]") if large else {}
    out: list[Fetched] = []
    for uid in uids:
        if uid in bodies:
            out.append(Fetched(uid, bodies[uid][1], sizes[uid]))
        elif uid in heads:
            out.append(Fetched(uid, heads[uid][1], sizes[uid], oversized=True))
        # else: expunged meanwhile by someone else
    return out


def mark(box: BaseMailBox, channel: Channel, outcome: Outcome) -> None:
    """Mark the mails taken in seen (or move them), flag the refused ones."""
    if outcome.done:
        box.flag(outcome.done, MailMessageFlags.SEEN, True)
        processed = str(channel.config.get("processed_folder") or "")
        if processed:
            box.move(outcome.done, processed)
    if outcome.refused:
        box.flag(outcome.refused, REFUSED, True)


def poll(channel: Channel, *, batch: int = BATCH, box: BaseMailBox | None = None) -> Polled:
    """Take in every new mail of the mailbox (see the module doc)."""
    if box is None:
        with connect(channel) as opened:
            return poll(channel, batch=batch, box=opened)
    polled = Polled()
    uids = pending_uids(box, channel)
    for start in range(0, len(uids), batch):
        fetched = fetch(box, channel, uids[start : start + batch])
        outcome = take_in(channel, fetched)
        mark(box, channel, outcome)  # only now: a crash before this delivers the batch again
        polled.add(outcome, len(fetched))
    if polled.fetched:
        logger.info(
            "mailbox %s: %d mail(s), %d taken in, %d duplicate(s), %d report(s), %d loop(s), "
            "%d refused",
            channel.code,
            polled.fetched,
            polled.cases,
            polled.duplicates,
            polled.reports,
            polled.loops,
            polled.refused,
        )
    return polled


def watch(channel: Channel, *, stop: Callable[[], bool] = lambda: False) -> None:
    """Poll the mailbox until `stop()` says so: IMAP IDLE between polls where the server has
    it, else a sleep of the mailbox's `poll_seconds`. A lost connection is opened again after
    a pause; nothing is lost, since nothing was marked."""
    interval = int(channel.config.get("poll_seconds") or 60)
    while not stop():
        try:
            with connect(channel) as box:
                while not stop():
                    close_old_connections()
                    poll(channel, box=box)
                    if "IDLE" in box.client.capabilities:
                        box.idle.wait(timeout=interval)
                    else:
                        time.sleep(interval)
        except Exception:
            logger.exception("mailbox %s: poll failed; trying again", channel.code)
            time.sleep(min(interval, 30))
