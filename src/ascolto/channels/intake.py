"""Intake: messages from every channel, taken in batches with set-based queries.

`receive_many` is the one intake path; `channels.actions.receive` is a batch of one. A webhook
that delivers several messages (Meta batches entries) hands them over together, and the intake
worker drains its queue the same way, so the cost of a transaction (one fsync) and of each query
is shared by the whole batch. That is what lets one 2-core node take in over 1,000 messages a
second (benchmarks/intake.py); one ORM round trip per row per message would cap it near 50.

Each message is validated before anything is written; a bad one gets its own error in the result
list and the others go on. The valid ones are stored in one transaction: identities resolved,
citizens linked, conversations threaded, messages stored, and cases threaded by the case handler
the tickets app registers (`set_case_handler`). If a concurrent batch committed the same message
or thread first, the unique constraints stop this one, it rolls back whole and is run again, and
the second run finds the other's rows: a message is stored once, never half.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ascolto.channels.inbound import InboundMessage, without_nul
from ascolto.channels.models import Channel, Conversation, Message
from ascolto.channels.verification import sender_verified
from ascolto.citizens.batch import Claim, find_or_create_citizens, identities_by_handle
from ascolto.citizens.handles import normalise_handle
from ascolto.citizens.models import Citizen, Consent, Identity
from ascolto.citizens.sender import Sender
from ascolto.core.bulk import update_each
from ascolto.core.errors import DomainError, InvalidInput, NotFound

logger = logging.getLogger(__name__)

MAX_EXTERNAL_ID = 255
MAX_SUBJECT = 255
MAX_ATTACHMENTS = 20
MAX_NOTICE_VERSION = 40
MAX_BATCH = 1000
RETRIES = 3


@dataclass(frozen=True)
class Received:
    """What intake did with one message. `duplicate` is true when the message had already been
    received (a webhook delivered twice): nothing was written for it the second time."""

    message: Message
    conversation: Conversation
    identity: Identity
    duplicate: bool
    ticket_id: int | None


@dataclass
class Item:
    """One valid message on its way through a batch (what the case handler sees)."""

    index: int
    inbound: InboundMessage
    channel: Channel
    external_id: str
    text: str
    handle: str
    sent_at: datetime
    # The sender's details (normalised when the message was built), when they name someone.
    sender: Sender | None
    # Already accepted (the intake queue answered the citizen with its code): what changed since
    # in the taxonomy must not refuse it (see `CaseHandler.validate`).
    accepted: bool = False
    identity: Identity | None = None
    # The citizen the sender was resolved to (decision 0009); None: the identity's, if any.
    citizen: Citizen | None = None
    conversation: Conversation | None = None
    conversation_created: bool = False
    message: Message | None = None
    ticket_id: int | None = None


class CaseHandler(Protocol):
    """What the tickets app plugs into intake (registered in its AppConfig.ready)."""

    def validate(self, items: Sequence[Item]) -> dict[int, DomainError]:
        """Errors for items whose case hints are wrong (unknown category, campaign), by index.
        Run at accept (`check`) and at intake; an `accepted` item is never refused for what
        changed since it was accepted, so what `check` let through is taken in."""
        ...

    def thread(self, items: Sequence[Item]) -> None:
        """Attach each stored message to its case or open one; set `item.ticket_id`."""
        ...


_case_handler: CaseHandler | None = None


def set_case_handler(handler: CaseHandler) -> None:
    global _case_handler
    _case_handler = handler


def receive_many(
    inbounds: Sequence[InboundMessage], *, accepted: bool = False
) -> list[Received | DomainError]:
    """Take in a batch of messages; return, in order, a `Received` or the error of each.

    `accepted` says the messages were accepted earlier (the intake queue's drain): the citizen
    already holds their code, so a case hint that went stale since (a category switched off)
    is resolved by the case handler instead of refusing the message.
    """
    results: list[Received | DomainError] = []
    inbounds = [without_nul(inbound) for inbound in inbounds]  # PostgreSQL stores no NUL
    for start in range(0, len(inbounds), MAX_BATCH):
        results.extend(_receive_chunk(inbounds[start : start + MAX_BATCH], accepted))
    return results


def check(inbound: InboundMessage, channel: Channel) -> None:
    """Raise what intake would refuse in `inbound` on `channel`, writing nothing: the message as
    `_prepare` checks it, and its case hints as the case handler checks them (one query).

    A queue that accepts messages now and takes them in later (`channels.queue.accept`) calls it
    first, so that nothing it accepts is refused when it is drained.
    """
    item = _prepare(0, without_nul(inbound), {channel.code: channel})
    if _case_handler is not None:
        errors = _case_handler.validate([item])
        if errors:
            raise errors[item.index]


def _receive_chunk(
    inbounds: Sequence[InboundMessage], accepted: bool
) -> list[Received | DomainError]:
    results: list[Received | DomainError | None] = [None] * len(inbounds)
    channels = {c.code: c for c in Channel.objects.filter(code__in={i.channel for i in inbounds})}
    items: list[Item] = []
    for index, inbound in enumerate(inbounds):
        try:
            item = _prepare(index, inbound, channels)
        except DomainError as exc:
            results[index] = exc
            continue
        item.accepted = accepted
        items.append(item)
    if items and _case_handler is not None:
        for index, error in _case_handler.validate(items).items():
            results[index] = error
        items = [item for item in items if results[item.index] is None]
    stored: dict[int, Received] = {}
    for attempt in range(RETRIES):
        try:
            with transaction.atomic():
                stored = _store(items)
            break
        except IntegrityError:
            # A concurrent batch stored one of these messages or threads first: run again, and
            # the lookups find its rows.
            if attempt == RETRIES - 1:
                raise
            items = [_reset(item) for item in items]
    for index, outcome in stored.items():
        results[index] = outcome
    missing = [i for i, r in enumerate(results) if r is None]
    if missing:
        raise RuntimeError(f"intake left messages {missing} without an outcome")
    return [r for r in results if r is not None]


def _reset(item: Item) -> Item:
    return Item(
        item.index,
        item.inbound,
        item.channel,
        item.external_id,
        item.text,
        item.handle,
        item.sent_at,
        item.sender,
        item.accepted,
    )


def _prepare(index: int, inbound: InboundMessage, channels: dict[str, Channel]) -> Item:
    """Validate one message without touching the database; raise what is wrong with it."""
    channel = channels.get(inbound.channel)
    if channel is None:
        raise NotFound(
            _("Canale sconosciuto: «%(channel)s».") % {"channel": inbound.channel},
            field="channel",
        )
    if not channel.is_active:
        raise NotFound(
            _("Il canale «%(channel)s» non è attivo.") % {"channel": inbound.channel},
            field="channel",
        )
    external_id = (inbound.external_id or "").strip()
    if not external_id:
        raise InvalidInput(
            _(
                "Il messaggio non ha un identificativo esterno: non se ne possono riconoscere "
                "i duplicati."
            ),
            field="external_id",
        )
    if len(external_id) > MAX_EXTERNAL_ID:
        raise InvalidInput(
            _("L'identificativo esterno supera i %(max)d caratteri.") % {"max": MAX_EXTERNAL_ID},
            field="external_id",
        )
    text = (inbound.text or "").replace("\x00", "").strip()
    if not text and not inbound.attachments:
        raise InvalidInput(_("Il messaggio è vuoto: né testo né allegati."), field="text")
    limit = settings.ASCOLTO_MAX_MESSAGE_CHARS
    if len(text) > limit:
        raise InvalidInput(
            _("Il messaggio è lungo %(n)d caratteri; se ne accettano al massimo %(max)d.")
            % {"n": len(text), "max": limit},
            field="text",
        )
    if len(inbound.attachments) > MAX_ATTACHMENTS:
        raise InvalidInput(
            _("Al massimo %(max)d allegati per messaggio.") % {"max": MAX_ATTACHMENTS},
            field="attachments",
        )
    if len(inbound.subject) > MAX_SUBJECT:
        raise InvalidInput(
            _("L'oggetto supera i %(max)d caratteri.") % {"max": MAX_SUBJECT}, field="subject"
        )
    if len(inbound.display_name) > 200:
        raise InvalidInput(_("Il nome del mittente supera i 200 caratteri."), field="display_name")
    if inbound.sent_at is not None and timezone.is_naive(inbound.sent_at):
        raise InvalidInput(_("L'ora del messaggio non ha il fuso orario."), field="sent_at")
    if inbound.handle_kind not in Identity.Kind.values:
        raise InvalidInput(
            _("Tipo di recapito sconosciuto: «%(kind)s».") % {"kind": inbound.handle_kind},
            field="handle_kind",
        )
    if len(inbound.privacy_notice) > MAX_NOTICE_VERSION:
        raise InvalidInput(
            _("La versione dell'informativa supera i %(max)d caratteri.")
            % {"max": MAX_NOTICE_VERSION},
            field="privacy_notice",
        )
    handle = normalise_handle(inbound.handle_kind, inbound.handle)
    sender = inbound.sender if inbound.sender.names_someone() else None
    return Item(
        index,
        inbound,
        channel,
        external_id,
        text,
        handle,
        inbound.sent_at or timezone.now(),
        sender,
    )


def _store(items: list[Item]) -> dict[int, Received]:
    """Write a batch of valid messages (inside the caller's transaction)."""
    out: dict[int, Received] = {}
    if not items:
        return out
    fresh, repeats = _drop_duplicates(items, out)
    if not fresh:
        return out
    _resolve_identities(fresh)
    _link_citizens(fresh)
    _record_consents(fresh)
    _thread_conversations(fresh)
    messages = [
        Message(
            conversation=item.conversation,
            channel=item.channel,
            external_id=item.external_id,
            direction=Message.Direction.INBOUND,
            subject=item.inbound.subject,
            text=item.text,
            attachments=[vars(a) for a in item.inbound.attachments],
            sent_at=item.sent_at,
            status=Message.Status.RECEIVED,
            raw=item.inbound.raw,
        )
        for item in fresh
    ]
    Message.objects.bulk_create(messages)
    for item, message in zip(fresh, messages, strict=True):
        item.message = message
    if _case_handler is not None:
        _case_handler.thread(fresh)
    for item in fresh:
        assert item.message and item.conversation and item.identity  # noqa: S101 (set above)
        out[item.index] = Received(
            item.message, item.conversation, item.identity, False, item.ticket_id
        )
    for item, original in repeats:
        out[item.index] = dataclasses.replace(out[original.index], duplicate=True)
    logger.info("intake: %d message(s) stored, %d duplicate(s)", len(fresh), len(out) - len(fresh))
    return out


def _drop_duplicates(
    items: list[Item], out: dict[int, Received]
) -> tuple[list[Item], list[tuple[Item, Item]]]:
    """Answer re-deliveries of earlier batches from the stored message; return the fresh items
    and the repeats within this batch (answered once their first copy is stored)."""
    wanted = {(item.channel.pk, item.external_id) for item in items}
    # The exclude repeats the unique index's predicate so PostgreSQL can use that partial index.
    candidates = (
        Message.objects.filter(
            channel_id__in={c for c, _ in wanted}, external_id__in={e for _, e in wanted}
        )
        .exclude(external_id="")
        .select_related("conversation__identity")
    )
    stored = {
        (m.channel_id, m.external_id): m
        for m in candidates
        if (m.channel_id, m.external_id) in wanted
    }
    ticket_of: dict[int, int] = {}
    if stored:
        through = Conversation.tickets.through
        for conversation_id, ticket_id in through.objects.filter(
            conversation_id__in={m.conversation_id for m in stored.values()}
        ).values_list("conversation_id", "ticket_id"):
            ticket_of[conversation_id] = max(ticket_id, ticket_of.get(conversation_id, 0))
    fresh: list[Item] = []
    repeats: list[tuple[Item, Item]] = []
    first_in_batch: dict[tuple[int, str], Item] = {}
    for item in items:
        key = (item.channel.pk, item.external_id)
        message = stored.get(key)
        if message is not None:
            conversation = message.conversation
            out[item.index] = Received(
                message,
                conversation,
                conversation.identity,
                True,
                ticket_of.get(conversation.pk),
            )
        elif key in first_in_batch:
            repeats.append((item, first_in_batch[key]))
        else:
            first_in_batch[key] = item
            fresh.append(item)
    return fresh, repeats


def _resolve_identities(items: list[Item]) -> None:
    keys = {(item.inbound.handle_kind, item.handle) for item in items}
    found = identities_by_handle(keys)
    missing = keys - found.keys()
    if missing:
        names = {(i.inbound.handle_kind, i.handle): i.inbound.display_name for i in items}
        Identity.objects.bulk_create(
            [Identity(kind=k, value=v, display_name=names[(k, v)][:200]) for k, v in missing],
            ignore_conflicts=True,  # a concurrent batch may create the same identity
        )
        found.update(identities_by_handle(missing))
    changed: dict[int, Identity] = {}
    for item in items:
        identity = found[(item.inbound.handle_kind, item.handle)]
        item.identity = identity
        if identity.last_seen_at is None or identity.last_seen_at < item.sent_at:
            identity.last_seen_at = item.sent_at
            changed[identity.pk] = identity
        if item.inbound.display_name and not identity.display_name:
            identity.display_name = item.inbound.display_name[:200]
            changed[identity.pk] = identity
    if changed:
        update_each(list(changed.values()), ["last_seen_at", "display_name"])


def _link_citizens(items: list[Item]) -> None:
    """Resolve the citizen each sender says they are (a web form's details) and link the
    sender's handle to them, by the rule of decision 0009: a handle the channel does not prove
    never moves away from another citizen, and a request goes to another person's record only
    when nothing stronger disagrees (else a new record and a merge suggestion)."""
    senders = [item for item in items if item.sender is not None and item.identity is not None]
    if not senders:
        return
    people: list[Claim] = []
    for item in senders:
        sender = item.sender
        assert sender is not None  # noqa: S101 (filtered above)
        handle = (item.inbound.handle_kind, item.handle)
        verified = sender_verified(item.channel.kind, item.inbound.handle_kind)
        people.append(
            Claim(
                sender,
                handle=handle,
                verified=frozenset({handle}) if verified else frozenset(),
                source=item.channel.code,
            )
        )
    citizens = find_or_create_citizens(people)
    for item, citizen in zip(senders, citizens, strict=True):
        item.citizen = citizen
        identity = item.identity
        assert identity is not None  # noqa: S101 (filtered above)
        # The batch linked the handle when it was free (a proven handle that had a citizen named
        # that citizen); mirror it on the instance intake hands back. Items may share the
        # instance: as in the batch, the first one claims it.
        if identity.citizen_id is None:
            identity.citizen = citizen


def _record_consents(items: list[Item]) -> None:
    """Record the privacy notice each sender accepted with their message (the Scrivi form's
    checkbox) as a consent of the citizen they were resolved to, at the time they sent it: one
    insert for the batch. A message whose sender is no known citizen records none (a consent
    belongs to a citizen); a re-delivered message never reaches here, so none is recorded twice.
    """
    consents = []
    for item in items:
        if not item.inbound.privacy_notice:
            continue
        identity = item.identity
        citizen = item.citizen or (identity.citizen if identity and identity.citizen_id else None)
        if citizen is None:
            continue
        consents.append(
            Consent(
                citizen=citizen,
                purpose=Consent.Purpose.PRIVACY,
                granted=True,
                source=item.channel.code[:100],
                notice_version=item.inbound.privacy_notice,
                recorded_at=item.sent_at,
            )
        )
    if consents:
        Consent.objects.bulk_create(consents)


def _thread_conversations(items: list[Item]) -> None:
    """Find the conversation each message continues, or start one (in batch order)."""
    thread_keys: set[tuple[int, str]] = set()
    session_identities: set[int] = set()
    oldest: datetime | None = None
    for item in items:
        thread_id = item.inbound.thread_id.strip()[:255]
        if thread_id:
            thread_keys.add((item.channel.pk, thread_id))
        elif item.channel.session_window and item.identity is not None:
            session_identities.add(item.identity.pk)
            start = item.sent_at - item.channel.session_window
            oldest = start if oldest is None or start < oldest else oldest
    by_thread: dict[tuple[int, str], Conversation] = {}
    if thread_keys:
        candidates = Conversation.objects.filter(
            channel_id__in={c for c, _ in thread_keys},
            external_thread_id__in={t for _, t in thread_keys},
        ).exclude(external_thread_id="")  # the partial unique index's predicate
        by_thread = {
            (c.channel_id, c.external_thread_id): c
            for c in candidates
            if (c.channel_id, c.external_thread_id) in thread_keys
        }
    by_session: dict[tuple[int, int], Conversation] = {}
    if session_identities:
        for recent in Conversation.objects.filter(
            identity_id__in=session_identities,
            status=Conversation.Status.OPEN,
            last_message_at__gte=oldest,
        ).order_by("last_message_at"):
            by_session[(recent.channel_id, recent.identity_id)] = recent
    created: list[Conversation] = []
    touched: dict[int, Conversation] = {}
    for item in items:
        assert item.identity is not None  # noqa: S101 (resolved above)
        thread_id = item.inbound.thread_id.strip()[:255]
        conversation: Conversation | None = None
        if thread_id:
            conversation = by_thread.get((item.channel.pk, thread_id))
        elif item.channel.session_window:
            candidate = by_session.get((item.channel.pk, item.identity.pk))
            if (
                candidate is not None
                and candidate.last_message_at >= item.sent_at - item.channel.session_window
            ):
                conversation = candidate
        if conversation is None:
            conversation = Conversation(
                channel=item.channel,
                identity=item.identity,
                external_thread_id=thread_id,
                subject=item.inbound.subject[:255],
                started_at=item.sent_at,
                last_message_at=item.sent_at,
            )
            created.append(conversation)
            item.conversation_created = True
            if thread_id:
                by_thread[(item.channel.pk, thread_id)] = conversation
            elif item.channel.session_window:
                by_session[(item.channel.pk, item.identity.pk)] = conversation
        elif item.sent_at > conversation.last_message_at:
            conversation.last_message_at = item.sent_at
            if conversation.pk is not None:
                touched[conversation.pk] = conversation
        item.conversation = conversation
    if created:
        Conversation.objects.bulk_create(created)
    if touched:
        update_each(list(touched.values()), ["last_message_at"])
