"""Actions on channels, conversations and messages: intake (`receive`) and outbound replies."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from ascolto.channels.adapters import OutboundUnavailable, get_adapter
from ascolto.channels.config import validate_config
from ascolto.channels.inbound import InboundMessage
from ascolto.channels.models import Channel, Conversation, Message
from ascolto.channels.signals import message_received
from ascolto.citizens.actions import find_or_create_citizen, link_identity, resolve_identity
from ascolto.citizens.models import Identity
from ascolto.core import outbox
from ascolto.core.errors import DomainError, InvalidInput, NotFound

logger = logging.getLogger(__name__)

MAX_EXTERNAL_ID = 255
MAX_SUBJECT = 255
MAX_ATTACHMENTS = 20


@dataclass(frozen=True)
class Received:
    """What `receive` did with a message. `duplicate` is true when the message had already been
    received (a webhook delivered twice): nothing was written the second time."""

    message: Message
    conversation: Conversation
    identity: Identity
    duplicate: bool
    ticket_id: int | None


def create_channel(
    kind: str, code: str, name: str, config: dict[str, Any] | None = None
) -> Channel:
    """Configure a channel; its config is validated against the schema of its kind."""
    checked = validate_config(kind, config or {})
    if Channel.objects.filter(code=code).exists():
        raise InvalidInput(f"A channel with code '{code}' already exists.", field="code")
    return Channel.objects.create(kind=kind, code=code, name=name, config=checked)


def get_channel(code: str) -> Channel:
    channel = Channel.objects.filter(code=code).first()
    if channel is None:
        raise NotFound(f"Unknown channel '{code}'.", field="channel")
    if not channel.is_active:
        raise NotFound(f"Channel '{code}' is not active.", field="channel")
    return channel


def _check(inbound: InboundMessage) -> str:
    """Validate what does not need the database; return the stripped text."""
    external_id = (inbound.external_id or "").strip()
    if not external_id:
        raise InvalidInput(
            "The message has no external id: it could not be de-duplicated.", field="external_id"
        )
    if len(external_id) > MAX_EXTERNAL_ID:
        raise InvalidInput(
            f"The external id is longer than {MAX_EXTERNAL_ID} characters.", field="external_id"
        )
    text = (inbound.text or "").replace("\x00", "").strip()
    if not text and not inbound.attachments:
        raise InvalidInput("The message is empty: no text and no attachment.", field="text")
    limit = settings.ASCOLTO_MAX_MESSAGE_CHARS
    if len(text) > limit:
        raise InvalidInput(
            f"The message is {len(text)} characters long; at most {limit} are accepted.",
            field="text",
        )
    if len(inbound.attachments) > MAX_ATTACHMENTS:
        raise InvalidInput(
            f"At most {MAX_ATTACHMENTS} attachments per message.", field="attachments"
        )
    if len(inbound.subject) > MAX_SUBJECT:
        raise InvalidInput(f"The subject is longer than {MAX_SUBJECT} characters.", field="subject")
    if inbound.sent_at is not None and timezone.is_naive(inbound.sent_at):
        raise InvalidInput("The message time has no time zone.", field="sent_at")
    if inbound.handle_kind not in Identity.Kind.values:
        raise InvalidInput(f"Unknown handle kind '{inbound.handle_kind}'.", field="handle_kind")
    return text


def receive(inbound: InboundMessage) -> Received:
    """Take in one message from any channel, in one transaction.

    Idempotent on `(channel, external_id)`: a message seen before returns the stored one with
    `duplicate=True` and writes nothing, also when two deliveries race (the loser's transaction
    rolls back whole and it reads the winner's row). Otherwise it resolves the sender's identity,
    links it to the citizen the sender says they are, threads the message into the open
    conversation of that identity or opens one, stores it, and lets the tickets app thread it into
    a case (signal `message_received`). Invalid input raises `InvalidInput` before any write.
    """
    text = _check(inbound)
    channel = get_channel(inbound.channel)
    external_id = inbound.external_id.strip()
    existing = _existing(channel, external_id)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return _receive(channel, external_id, text, inbound)
    except IntegrityError:
        # A concurrent delivery of the same message committed first.
        existing = _existing(channel, external_id)
        if existing is None:
            raise
        return existing


def _existing(channel: Channel, external_id: str) -> Received | None:
    message = (
        Message.objects.filter(channel=channel, external_id=external_id)
        .select_related("conversation__identity")
        .first()
    )
    if message is None:
        return None
    conversation = message.conversation
    ticket_ids = list(conversation.tickets.order_by("-pk").values_list("pk", flat=True)[:1])  # type: ignore[attr-defined]
    return Received(
        message, conversation, conversation.identity, True, next(iter(ticket_ids), None)
    )


def _receive(channel: Channel, external_id: str, text: str, inbound: InboundMessage) -> Received:
    sent_at = inbound.sent_at or timezone.now()
    identity = resolve_identity(
        inbound.handle_kind, inbound.handle, display_name=inbound.display_name, seen_at=sent_at
    )
    sender = inbound.sender
    if any((sender.fiscal_code, sender.email, sender.phone)):
        citizen = find_or_create_citizen(
            first_name=sender.first_name,
            last_name=sender.last_name,
            fiscal_code=sender.fiscal_code,
            email=sender.email,
            phone=sender.phone,
        )
        link_identity(identity, citizen)
    conversation, created = _thread(channel, identity, inbound, sent_at)
    message = Message.objects.create(
        conversation=conversation,
        channel=channel,
        external_id=external_id,
        direction=Message.Direction.INBOUND,
        subject=inbound.subject,
        text=text,
        attachments=[vars(a) for a in inbound.attachments],
        sent_at=sent_at,
        status=Message.Status.RECEIVED,
        raw=inbound.raw,
    )
    ticket_id = None
    for _receiver, response in message_received.send(
        sender=Message,
        message=message,
        conversation=conversation,
        conversation_created=created,
        inbound=inbound,
    ):
        if response is not None:
            ticket_id = response.pk
    logger.info(
        "intake: message %s on channel %s -> conversation %s, case %s",
        message.pk,
        channel.code,
        conversation.pk,
        ticket_id,
    )
    return Received(message, conversation, identity, False, ticket_id)


def _thread(
    channel: Channel, identity: Identity, inbound: InboundMessage, sent_at: datetime
) -> tuple[Conversation, bool]:
    """Find the conversation this message continues, or start one."""
    conversation: Conversation | None = None
    thread_id = inbound.thread_id.strip()[:255]
    if thread_id:
        conversation = Conversation.objects.filter(
            channel=channel, external_thread_id=thread_id
        ).first()
    elif channel.session_window:
        conversation = (
            Conversation.objects.filter(
                channel=channel,
                identity=identity,
                status=Conversation.Status.OPEN,
                last_message_at__gte=sent_at - channel.session_window,
            )
            .order_by("-last_message_at")
            .first()
        )
    if conversation is not None:
        if sent_at > conversation.last_message_at:
            conversation.last_message_at = sent_at
            conversation.save(update_fields=["last_message_at"])
        return conversation, False
    conversation = Conversation.objects.create(
        channel=channel,
        identity=identity,
        external_thread_id=thread_id,
        subject=inbound.subject[:255],
        started_at=sent_at,
        last_message_at=sent_at,
    )
    return conversation, True


def start_conversation(
    channel: Channel, identity: Identity, *, subject: str = "", at: datetime | None = None
) -> Conversation:
    """Open a conversation started on our side (an operator logging a call, an outbound contact)."""
    at = at or timezone.now()
    return Conversation.objects.create(
        channel=channel, identity=identity, subject=subject[:255], started_at=at, last_message_at=at
    )


def send_message(
    conversation: Conversation, text: str, *, author: Any = None, subject: str = ""
) -> Message:
    """Queue a reply to the citizen on the conversation's channel; it is sent after commit by the
    channel's adapter, retried by the outbox relay if sending fails."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput("The reply is empty.", field="text")
    if len(text) > settings.ASCOLTO_MAX_MESSAGE_CHARS:
        raise InvalidInput("The reply is too long.", field="text")
    with transaction.atomic():
        now = timezone.now()
        message = Message.objects.create(
            conversation=conversation,
            channel=conversation.channel,
            direction=Message.Direction.OUTBOUND,
            author=author,
            subject=subject[:255],
            text=text,
            sent_at=now,
            status=Message.Status.QUEUED,
        )
        Conversation.objects.filter(pk=conversation.pk).update(last_message_at=now)
        outbox.publish("message.outbound", message_id=message.pk)
    return message


def add_note(conversation: Conversation, text: str, *, author: Any) -> Message:
    """Store an internal note: visible to staff, never sent to the citizen."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput("The note is empty.", field="text")
    if len(text) > settings.ASCOLTO_MAX_MESSAGE_CHARS:
        raise InvalidInput("The note is too long.", field="text")
    return Message.objects.create(
        conversation=conversation,
        channel=conversation.channel,
        direction=Message.Direction.NOTE,
        author=author,
        text=text,
        sent_at=timezone.now(),
        status=Message.Status.RECEIVED,
    )


def deliver_message(message_id: int) -> None:
    """Send one queued outbound message through its channel's adapter (outbox handler).

    Idempotent: a message already sent is left alone. A channel with no outbound adapter marks
    the message failed with the reason; a transient error is raised so the relay retries.
    """
    message = (
        Message.objects.select_for_update()
        .select_related("conversation__identity__citizen", "channel")
        .filter(pk=message_id, direction=Message.Direction.OUTBOUND)
        .first()
    )
    if message is None or message.status != Message.Status.QUEUED:
        return
    message.attempts += 1
    try:
        adapter = get_adapter(message.channel.kind)
        message.external_id = adapter.send(message) or f"out-{uuid.uuid4()}"
    except OutboundUnavailable as exc:
        message.status = Message.Status.FAILED
        message.last_error = str(exc)[:500]
        message.save(update_fields=["status", "attempts", "last_error"])
        return
    except Exception as exc:
        message.last_error = f"{type(exc).__name__}: {exc}"[:500]
        Message.objects.filter(pk=message.pk).update(
            attempts=message.attempts, last_error=message.last_error
        )
        raise DomainError(f"Message {message.pk} could not be sent; it will be retried.") from exc
    message.status = Message.Status.SENT
    message.last_error = ""
    message.save(update_fields=["status", "attempts", "last_error", "external_id"])
