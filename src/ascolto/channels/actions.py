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
from django.utils.translation import gettext as _

from ascolto.channels.adapters import OutboundUnavailable, get_adapter
from ascolto.channels.inbound import InboundMessage
from ascolto.channels.intake import Received, receive_many
from ascolto.channels.models import Channel, Conversation, Message
from ascolto.citizens.models import Identity
from ascolto.core import outbox
from ascolto.core.errors import DomainError, InvalidInput

logger = logging.getLogger(__name__)


def receive(inbound: InboundMessage) -> Received:
    """Take in one message from any channel: a batch of one through `intake.receive_many`.

    Idempotent on `(channel, external_id)`: a message seen before returns the stored one with
    `duplicate=True` and writes nothing, also when two deliveries race. Otherwise it resolves the
    sender's identity, links it to the citizen the sender says they are, threads the message into
    the open conversation of that identity or opens one, stores it, and threads it into a case.
    Invalid input raises `InvalidInput` (or `NotFound` for an unknown channel) before any write.
    """
    outcome = receive_many([inbound])[0]
    if isinstance(outcome, DomainError):
        raise outcome
    return outcome


def start_conversation(
    channel: Channel, identity: Identity, *, subject: str = "", at: datetime | None = None
) -> Conversation:
    """Open a conversation started on our side (a call an operator logs, a callback booked);
    what arrives from a channel is threaded into one by intake."""
    at = at or timezone.now()
    return Conversation.objects.create(
        channel=channel, identity=identity, subject=subject[:255], started_at=at, last_message_at=at
    )


def record_inbound(
    conversation: Conversation, text: str, *, at: datetime, external_id: str = ""
) -> Message:
    """Store what the citizen said on a conversation started on our side, as an inbound message
    (the question of a call an operator logs). Like intake's, unique on the channel's
    `external_id`: the same message stored twice raises `InvalidInput`."""
    text = (text or "").replace("\x00", "").strip()
    if not text:
        raise InvalidInput(_("Il messaggio è vuoto."), field="text")
    if len(text) > settings.ASCOLTO_MAX_MESSAGE_CHARS:
        raise InvalidInput(_("Il messaggio è troppo lungo."), field="text")
    message = Message(
        conversation=conversation,
        channel=conversation.channel,
        external_id=external_id[:255],
        direction=Message.Direction.INBOUND,
        text=text,
        sent_at=at,
        status=Message.Status.RECEIVED,
    )
    try:
        with transaction.atomic():  # a savepoint: a copy stored meanwhile fails this one alone
            message.save(force_insert=True)
    except IntegrityError as exc:
        raise InvalidInput(
            _("Il messaggio %(id)s è già stato registrato.") % {"id": external_id},
            field="external_id",
        ) from exc
    return message


def send_message(
    conversation: Conversation,
    text: str,
    *,
    author: Any = None,
    subject: str = "",
    postscript: str = "",
    raw: dict[str, Any] | None = None,
) -> Message:
    """Queue a reply to the citizen on the conversation's channel; it is sent after commit by the
    channel's adapter, retried by the outbox relay if sending fails.

    `postscript` is sent after the text (an email adapter adds it to the mail's body) but is not
    part of the message shown in the case's thread or on the status page: it is kept in the
    message's `raw` (`{"postscript": ...}`) for the adapter. The answer link of a question is
    one (`tickets.answers`): it must reach only the citizen's mailbox. `raw` is what else the
    adapter needs (a comment reply's route, `social_reply`), kept in the message's `raw`."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("La risposta è vuota."), field="text")
    if len(text) > settings.ASCOLTO_MAX_MESSAGE_CHARS:
        raise InvalidInput(_("La risposta è troppo lunga."), field="text")
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
            raw=({"postscript": postscript} if postscript else {}) | (raw or {}) or None,
        )
        Conversation.objects.filter(pk=conversation.pk).update(last_message_at=now)
        outbox.publish("message.outbound", message_id=message.pk)
    return message


def resend_message(message_id: int) -> Message:
    """Queue again an outbound message that was marked failed (its tries ran out, or the channel
    could not carry it then): sent after commit and retried as a new reply would be."""
    with transaction.atomic():
        message = (
            Message.objects.select_for_update()
            .filter(
                pk=message_id,
                direction=Message.Direction.OUTBOUND,
                status=Message.Status.FAILED,
            )
            .first()
        )
        if message is None:
            raise InvalidInput(
                _("Il messaggio %(id)s non è una risposta non consegnata.") % {"id": message_id},
                field="message",
            )
        message.status = Message.Status.QUEUED
        message.attempts = 0
        message.last_error = ""
        message.save(update_fields=["status", "attempts", "last_error"])
        outbox.publish("message.outbound", message_id=message.pk)
    return message


def add_note(conversation: Conversation, text: str, *, author: Any) -> Message:
    """Store an internal note: visible to staff, never sent to the citizen."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("La nota è vuota."), field="text")
    if len(text) > settings.ASCOLTO_MAX_MESSAGE_CHARS:
        raise InvalidInput(_("La nota è troppo lunga."), field="text")
    return Message.objects.create(
        conversation=conversation,
        channel=conversation.channel,
        direction=Message.Direction.NOTE,
        author=author,
        text=text,
        sent_at=timezone.now(),
        status=Message.Status.RECEIVED,
    )


@transaction.atomic  # its own unit when called directly; a savepoint inside the outbox's
def deliver_message(message_id: int, *, attempt: int = 1, last_attempt: bool = False) -> None:
    """Send one queued outbound message through its channel's adapter (outbox handler).

    Idempotent: a message already sent is left alone. A channel with no outbound adapter marks
    the message failed with the reason. A transient error (the mail server is down) is raised so
    the outbox relay tries again, up to its last attempt, when the message is marked failed with
    the error instead: it never stays queued for ever.
    """
    # Lock the message row only: the identity's citizen is an outer join, which PostgreSQL
    # refuses to lock ("FOR UPDATE cannot be applied to the nullable side of an outer join").
    message = (
        Message.objects.select_for_update(of=("self",))
        .select_related("conversation__identity__citizen", "channel")
        .filter(pk=message_id, direction=Message.Direction.OUTBOUND)
        .first()
    )
    if message is None or message.status != Message.Status.QUEUED:
        return
    # A failed attempt's writes roll back with it; the outbox event counts the attempts.
    message.attempts = max(message.attempts + 1, attempt)
    try:
        adapter = get_adapter(message.channel.kind)
        message.external_id = adapter.send(message) or f"out-{uuid.uuid4()}"
    except OutboundUnavailable as exc:
        _fail(message, str(exc))
        return
    except Exception as exc:
        if last_attempt:
            _fail(message, f"{type(exc).__name__}: {exc}")
            logger.error("outbound message %s failed after %s attempts", message.pk, attempt)
            return
        raise DomainError(
            _("Il messaggio %(id)s non è stato inviato; verrà ritentato.") % {"id": message.pk}
        ) from exc
    message.status = Message.Status.SENT
    message.last_error = ""
    message.save(update_fields=["status", "attempts", "last_error", "external_id"])


def _fail(message: Message, reason: str) -> None:
    message.status = Message.Status.FAILED
    message.last_error = reason[:500]
    message.save(update_fields=["status", "attempts", "last_error"])


def thread_keys(conversation_ids: set[int]) -> dict[int, str]:
    """The thread id of each conversation, giving one (`conversation-<id>`) to those that have
    none, so a later message can name the conversation it continues (a mail answering one of
    ours: `channels/adapters/email`)."""
    if not conversation_ids:
        return {}
    keys = dict(
        Conversation.objects.filter(pk__in=conversation_ids).values_list("pk", "external_thread_id")
    )
    missing = [pk for pk, key in keys.items() if not key]
    if missing:
        with transaction.atomic():
            for pk in missing:
                Conversation.objects.filter(pk=pk, external_thread_id="").update(
                    external_thread_id=f"conversation-{pk}"
                )
        keys.update(
            Conversation.objects.filter(pk__in=missing).values_list("pk", "external_thread_id")
        )
    return keys


@dataclass(frozen=True)
class DeliveryReport:
    """What a mail server or a program said about a message of ours: a bounce, a PEC receipt,
    an out-of-office. `about` lists the Message-IDs it may concern, the likeliest first."""

    external_id: str
    kind: str  # "bounce", "receipt", "auto_reply"
    about: tuple[str, ...]
    summary: str
    failed: bool = False
    delivered: bool = False


def record_delivery_reports(reports: list[DeliveryReport]) -> int:
    """Attach each report to the conversation of the message it concerns, as an internal note
    (never a new case); a failure marks that outbound message failed with the reason, a delivery
    receipt marks it delivered. Idempotent on the report's id. Returns how many were attached;
    a report about nothing we know is only logged."""
    wanted = {about for report in reports for about in report.about}
    if not wanted:
        return 0
    known = {
        m.external_id: m
        for m in Message.objects.filter(external_id__in=wanted).select_related(
            "conversation__channel"
        )
    }
    attached = 0
    with transaction.atomic():
        for report in reports:
            message = next((known[a] for a in report.about if a in known), None)
            if message is None:
                logger.info("delivery report %s concerns no message of ours", report.kind)
                continue
            conversation = message.conversation
            key = f"report:{report.external_id}"[:255]
            if Message.objects.filter(channel=conversation.channel, external_id=key).exists():
                continue
            labels = {
                "bounce": _("Mancata consegna"),
                "receipt": _("Ricevuta PEC"),
                "auto_reply": _("Risposta automatica"),
            }
            Message.objects.create(
                conversation=conversation,
                channel=conversation.channel,
                external_id=key,
                direction=Message.Direction.NOTE,
                text=f"{labels.get(report.kind, report.kind)}: {report.summary}".strip()[:2000],
                sent_at=timezone.now(),
                status=Message.Status.RECEIVED,
            )
            if message.direction == Message.Direction.OUTBOUND:
                if report.failed:
                    message.status = Message.Status.FAILED
                    message.last_error = report.summary[:500]
                    message.save(update_fields=["status", "last_error"])
                elif report.delivered and message.status == Message.Status.SENT:
                    message.status = Message.Status.DELIVERED
                    message.save(update_fields=["status"])
            attached += 1
    return attached


def edit_received_message(channel: Channel, external_id: str, text: str) -> bool:
    """The author edited a message we received (a comment on a social channel): store the new
    text, keeping each earlier one in the message's `raw` (`edits`, oldest first). Returns
    False when no message of that id is stored on the channel. An empty or unchanged text
    changes nothing."""
    text = (text or "").replace("\x00", "").strip()
    with transaction.atomic():
        message = (
            Message.objects.select_for_update()
            .filter(channel=channel, external_id=external_id, direction=Message.Direction.INBOUND)
            .first()
        )
        if message is None:
            return False
        if not text or text == message.text:
            return True
        raw = dict(message.raw or {})
        raw["edits"] = [*raw.get("edits", []), {"text": message.text, "until": _now_iso()}]
        message.text = text[: settings.ASCOLTO_MAX_MESSAGE_CHARS]
        message.raw = raw
        message.save(update_fields=["text", "raw"])
    return True


def withdraw_received_message(channel: Channel, external_id: str, verb: str) -> bool:
    """The author removed a message we received, or the page hid it (`verb` 'remove', 'delete',
    'hide'), or showed it again ('unhide'): mark it in its `raw` (`withdrawn`: the verb and
    when), the text kept for the record. Returns False when no message of that id is stored."""
    with transaction.atomic():
        message = (
            Message.objects.select_for_update()
            .filter(channel=channel, external_id=external_id, direction=Message.Direction.INBOUND)
            .first()
        )
        if message is None:
            return False
        raw = dict(message.raw or {})
        if verb == "unhide":
            raw.pop("withdrawn", None)
        else:
            raw["withdrawn"] = {"verb": verb[:20], "at": _now_iso()}
        message.raw = raw
        message.save(update_fields=["raw"])
    return True


def _now_iso() -> str:
    return timezone.now().isoformat(timespec="seconds")
