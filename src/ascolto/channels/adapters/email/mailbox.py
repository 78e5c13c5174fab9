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
    MailMessage,
)
from imap_tools.consts import MailMessageFlags

from ascolto.channels.adapters.email.receive import Fetched, Outcome, take_in
from ascolto.channels.config import secret
from ascolto.channels.models import Channel
from ascolto.core.errors import InvalidInput

logger = logging.getLogger(__name__)

REFUSED = "$AscoltoRefused"
BATCH = 200
TIMEOUT = 60


class _RawMessage(MailMessage):
    """imap-tools' message that also keeps the bytes the server sent (the .eml we store)."""

    def __init__(self, fetch_data: list) -> None:  # type: ignore[type-arg]
        super().__init__(fetch_data)
        self.raw: bytes = self._get_message_data_parts(fetch_data)[0]


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
    box.email_message_class = _RawMessage
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


def fetch(box: BaseMailBox, channel: Channel, uids: Sequence[str]) -> list[Fetched]:
    """The mails with these UIDs (without marking them seen); one over the mailbox's size limit
    is fetched as its header only, marked `oversized`."""
    limit = int(channel.config.get("max_message_bytes") or 25 * 1024 * 1024)
    heads = {
        m.uid: m
        for m in box.fetch(uid_list=list(uids), headers_only=True, mark_seen=False, bulk=True)
        if m.uid
    }
    small = [uid for uid in uids if uid in heads and heads[uid].size_rfc822 <= limit]
    bodies: dict[str, bytes] = {}
    if small:
        for message in box.fetch(uid_list=small, mark_seen=False, bulk=True):
            assert isinstance(message, _RawMessage)  # noqa: S101 (set in connect)
            if message.uid:
                bodies[message.uid] = message.raw
    out: list[Fetched] = []
    for uid in uids:
        head = heads.get(uid)
        if head is None:
            continue  # expunged meanwhile by someone else
        assert isinstance(head, _RawMessage)  # noqa: S101 (set in connect)
        if uid in bodies:
            out.append(Fetched(uid, bodies[uid], head.size_rfc822))
        else:
            out.append(Fetched(uid, head.raw, head.size_rfc822, oversized=True))
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
