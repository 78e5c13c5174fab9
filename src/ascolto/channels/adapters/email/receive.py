"""Mails fetched from a mailbox, handed to intake: threading, files, reports.

`take_in(channel, fetched)` is the part of a poll that needs no IMAP server: it parses each mail
(`inbound.parse`), drops our own mail come back (loops), attaches bounces, PEC receipts and
auto-replies to the conversation they concern (`channels.actions.record_delivery_reports`, never
a case), and hands every citizen's mail to `channels.intake.receive_many`, in one batch. It
returns which mails are done (taken in, or nothing to take in) and which intake refused: the
poller marks the first seen (or moves them) only after this returns, so a crash in between
delivers them again, and intake's idempotency on (channel, Message-ID) keeps each once.

Threading, in this order (decision 0013):
1. In-Reply-To and References against the Message-IDs of every message a case sent or received
   by email, whatever channel it went on (ours, stored as the outbound messages' external ids:
   a mailbox's reply, the Scrivi acknowledgement, a phone case's reply by email; and the
   citizen's own), the newest reference first;
2. a reply token (`[#c<id>-<signature>]` in the subject, or `+c<id>-<signature>@` in the
   address it was sent to), verified over its whole length;
3. otherwise no thread id, and intake's own rule applies: the sender's open conversation within
   the channel's session window, or a new one.
A conversation of this mailbox found by 1 or 2 gets a thread id if it had none
(`channels.actions.thread_keys`) and the mail carries it as `InboundMessage.thread_id`: intake
threads it there, whoever sent it (replies still go to the conversation's own address). A
conversation X of another channel is taken only when the mail comes from the address X's mail
goes to (`adapter.recipient`): the mail then carries the thread id `conversation-X` (on this
mailbox, the conversation continuing X; no conversation of the mailbox has X's id) and
`CaseHints.continues` = X, so intake starts (or continues) that conversation of the mailbox, the
sender's, and links it to X's case. From another address it threads nothing there: replies would
go to that address, and a stranger holding one of our Message-IDs must not receive the case's
answers.

The lookups are one query per batch. Mails of a batch that answer one another (a citizen's mail
and their second thoughts, fetched together) are taken in in turns: a mail whose references name
a mail of the batch still to take in waits for the next turn, when rule 1 finds it stored.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from ascolto.channels import actions
from ascolto.channels.adapters.email.adapter import recipient
from ascolto.channels.adapters.email.inbound import Mail, parse, verified_conversation
from ascolto.channels.files import (
    MAX_FILE_BYTES,
    MAX_FILES,
    UnsafeFile,
    accepted_type,
    display_name,
    sanitised,
    storage_name,
    unsafe_note,
)
from ascolto.channels.inbound import STORED, Attachment, CaseHints, InboundMessage
from ascolto.channels.intake import receive_many
from ascolto.channels.models import Channel, Conversation, Message
from ascolto.citizens.models import Identity
from ascolto.core.errors import DomainError

logger = logging.getLogger(__name__)

# Raw messages and attachments, in the default storage (personal data); the files of a mail
# intake refused are removed by `sweep_uploads` (`channels.uploads`).
FOLDER = "email"
# The channels whose messages are mail (`channels.adapters.get_adapter`): a mailbox, and the
# Scrivi form, whose acknowledgement and replies go by email.
MAIL_KINDS = (Channel.Kind.EMAIL, Channel.Kind.WEB)


@dataclass(frozen=True)
class Fetched:
    """One mail as the server gave it: its UID, its bytes (only the header when it was too
    large to fetch) and its size."""

    uid: str
    raw: bytes
    size: int
    oversized: bool = False


@dataclass
class Outcome:
    done: list[str] = field(default_factory=list)  # UIDs to mark seen (or move)
    refused: list[str] = field(default_factory=list)  # UIDs intake refused (left unseen)
    cases: int = 0  # messages taken in
    duplicates: int = 0
    reports: int = 0  # bounces, receipts, auto-replies
    loops: int = 0


def take_in(channel: Channel, fetched: Sequence[Fetched]) -> Outcome:
    """Parse, thread and hand to intake a batch of mails of `channel` (see the module doc)."""
    outcome = Outcome()
    address = str(channel.config.get("address", ""))
    mails: list[tuple[Fetched, Mail]] = []
    reports: list[actions.DeliveryReport] = []
    for item in fetched:
        mail = parse(item.raw, address)
        if mail.kind == "loop":
            logger.info("mailbox %s: dropped a mail of ours come back (loop)", channel.code)
            outcome.loops += 1
            outcome.done.append(item.uid)
        elif mail.kind == "message" or item.oversized:
            mails.append((item, mail))
        else:
            reports.append(
                actions.DeliveryReport(
                    external_id=mail.message_id,
                    kind=mail.kind,
                    about=tuple(dict.fromkeys(filter(None, (mail.original_id, *mail.references)))),
                    summary=mail.reason or mail.subject,
                    failed=mail.failed,
                    delivered=mail.kind == "receipt" and not mail.failed,
                )
            )
            outcome.done.append(item.uid)
    if reports:
        outcome.reports = actions.record_delivery_reports(reports)
    # Turns: a mail that answers another mail of the batch waits until that one is stored.
    pending = mails
    while pending:
        waiting = {mail.message_id for _, mail in pending}
        turn = [
            (item, mail)
            for item, mail in pending
            if not waiting.intersection(mail.references) - {mail.message_id}
        ]
        if not turn:  # references in a circle (only forged mail has them): all together
            turn = pending
        taken = {item.uid for item, _ in turn}
        pending = [(item, mail) for item, mail in pending if item.uid not in taken]
        _take_turn(channel, turn, outcome)
    return outcome


def _take_turn(channel: Channel, mails: list[tuple[Fetched, Mail]], outcome: Outcome) -> None:
    threads = _threads(channel, [mail for _, mail in mails])
    inbounds = [
        _inbound(channel, item, mail, *threads.get(mail.message_id, ("", None)))
        for item, mail in mails
    ]
    for (item, _mail), result in zip(mails, receive_many(inbounds), strict=True):
        if isinstance(result, DomainError):
            logger.warning(
                "mailbox %s: intake refused UID %s (%s: %s)",
                channel.code,
                item.uid,
                result.field,
                result.message,
            )
            outcome.refused.append(item.uid)
            continue
        outcome.done.append(item.uid)
        if result.duplicate:
            outcome.duplicates += 1
        else:
            outcome.cases += 1


@dataclass(frozen=True)
class _Found:
    """A conversation a mail may continue: its id, its channel, the address its mail goes to."""

    conversation: int
    channel: int
    party: str


def _found(conversation: int, channel: int, kind: str, value: str, email: str | None) -> _Found:
    return _Found(conversation, channel, recipient(kind, value, email).lower())


_PARTY = ("identity__kind", "identity__value", "identity__citizen__email")


def _threads(channel: Channel, mails: list[Mail]) -> dict[str, tuple[str, int | None]]:
    """The thread id each mail continues, and the conversation of another channel whose case it
    continues (None on this mailbox's own), by Message-ID, by rules 1 and 2."""
    by_reference: dict[str, _Found] = {}
    references = {ref for mail in mails for ref in mail.references}
    if references:
        # By channel ids, not a join on the channel's kind: (channel, external id) is the unique
        # index, and PostgreSQL uses it only when given its first column.
        mail_channels = list(
            Channel.objects.filter(kind__in=MAIL_KINDS).values_list("pk", flat=True)
        )
        rows = (
            Message.objects.filter(channel_id__in=mail_channels, external_id__in=references)
            .exclude(external_id="")  # the unique index's predicate, so PostgreSQL uses it
            .exclude(direction=Message.Direction.NOTE)
            .order_by()
            .values_list(
                "external_id",
                "channel_id",
                "conversation_id",
                "conversation__channel_id",
                *(f"conversation__{name}" for name in _PARTY),
            )
        )
        # One Message-ID may be stored on two channels (a mail sent to two mailboxes): this
        # mailbox's copy wins.
        for external_id, _channel, *found in sorted(rows, key=lambda r: r[1] == channel.pk):
            by_reference[external_id] = _found(*found)
    tokens = {m.message_id: verified_conversation(m.token) for m in mails if m.token}
    by_token: dict[int, _Found] = {}
    if any(tokens.values()):
        by_token = {
            row[0]: _found(*row)
            for row in Conversation.objects.filter(
                pk__in={c for c in tokens.values() if c is not None},
                channel__kind__in=MAIL_KINDS,
            ).values_list("pk", "channel_id", *_PARTY)
        }
    chosen: dict[str, _Found] = {}
    for mail in mails:
        candidates = [by_reference[r] for r in mail.references if r in by_reference]
        token = tokens.get(mail.message_id)
        if token is not None and token in by_token:
            candidates.append(by_token[token])
        found = next(
            (
                f
                for f in candidates
                if f.channel == channel.pk or (f.party and f.party == mail.sender)
            ),
            None,
        )
        if found is not None:
            chosen[mail.message_id] = found
    keys = actions.thread_keys({f.conversation for f in chosen.values() if f.channel == channel.pk})
    out: dict[str, tuple[str, int | None]] = {}
    for message_id, found in chosen.items():
        if found.channel != channel.pk:
            out[message_id] = (f"conversation-{found.conversation}", found.conversation)
        elif found.conversation in keys:
            out[message_id] = (keys[found.conversation], None)
    return out


def _store(channel: Channel, mail: Mail, part: str, data: bytes, content_type: str) -> str:
    """Save `data` under a name fixed by the mail's id and the part (`eml`, or the attachment's
    index), so a re-delivery writes no second copy; nothing of the sender's file name is in it."""
    key = f"{channel.code}\0{mail.message_id}\0{part}"
    path = storage_name(f"{FOLDER}/{channel.code}", content_type, key=key)
    if not default_storage.exists(path):
        path = default_storage.save(path, ContentFile(data))
    return path


def _inbound(
    channel: Channel, item: Fetched, mail: Mail, thread_id: str, continues: int | None
) -> InboundMessage:
    notes: list[str] = []
    attachments: list[Attachment] = []
    eml = "messaggio.eml"
    attachments.append(
        Attachment(
            eml,
            "message/rfc822",
            len(item.raw),
            f"{STORED}{_store(channel, mail, 'eml', item.raw, 'message/rfc822')}",
        )
    )
    text = mail.text
    if item.oversized:
        limit = int(channel.config.get("max_message_bytes", 0))
        text = _(
            "Messaggio troppo grande (%(size)s, il limite è %(limit)s): non è stato "
            "importato. È rimasto nella casella, dove si può leggere."
        ) % {"size": filesizeformat(item.size), "limit": filesizeformat(limit)}
        head = attachments[0]
        attachments[0] = Attachment("intestazioni.eml", head.content_type, head.size, head.url)
    for index, part in enumerate(mail.attachments):
        name = display_name(part.name)
        mime = accepted_type(part.data)
        if len(attachments) > MAX_FILES:
            notes.append(_("Allegato «%(name)s» non importato: troppi allegati.") % {"name": name})
        elif len(part.data) > MAX_FILE_BYTES:
            notes.append(_("Allegato «%(name)s» non importato: più di 10 MB.") % {"name": name})
        elif mime is None:
            notes.append(
                _("Allegato «%(name)s» non importato: non è un'immagine o un PDF.") % {"name": name}
            )
        else:
            try:
                data = sanitised(part.data, mime, name)
            except UnsafeFile:
                notes.append(unsafe_note(name))
                continue
            path = _store(channel, mail, str(index), data, mime)
            attachments.append(Attachment(name, mime, len(data), f"{STORED}{path}"))
    limit = settings.ASCOLTO_MAX_MESSAGE_CHARS
    if notes:
        text = f"{text}\n\n" + "\n".join(f"[{note}]" for note in notes)
    if len(text) > limit:
        cut = _("[Testo troncato: il messaggio completo è nel file allegato.]")
        text = text[: limit - len(cut) - 2].rstrip() + "\n\n" + cut
    if not text.strip():
        text = _("(messaggio senza testo)")
    return InboundMessage(
        channel=channel.code,
        external_id=mail.message_id,
        handle_kind=Identity.Kind.EMAIL,
        handle=mail.sender,
        text=text,
        # When the municipality received it (SLA clocks run from here); the sender's Date
        # header, which anyone can write, is kept with the headers.
        sent_at=timezone.now(),
        display_name=mail.display_name,
        thread_id=thread_id,
        subject=mail.subject[:255],
        attachments=tuple(attachments),
        # No sender details: the From address is the identity (proven by the channel, decision
        # 0009), and its citizen, when it has one, is the case's.
        hints=CaseHints(
            theme=str(channel.config.get("theme", "")),
            campaign=str(channel.config.get("campaign", "")),
            continues=continues,
        ),
        raw={
            "email": {
                "uid": item.uid,
                "headers": mail.headers,
                "html": mail.html,
                "quoted": mail.quoted,
            }
        },
    )
