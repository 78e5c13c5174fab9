"""Actions on channels, conversations and messages: intake (`receive`) and outbound replies."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from ascolto.channels import attachments as reply_files
from ascolto.channels.adapters import OutboundUnavailable, get_adapter
from ascolto.channels.config import whatsapp_templates
from ascolto.channels.inbound import Attachment, InboundMessage
from ascolto.channels.intake import Received, receive_many
from ascolto.channels.models import Channel, Conversation, Message
from ascolto.channels.windows import ReplyWindow, reply_window, window_refusal
from ascolto.citizens.models import Identity
from ascolto.core import outbox
from ascolto.core.acting import current_system
from ascolto.core.errors import DomainError, InvalidInput

logger = logging.getLogger(__name__)

MAX_BUTTONS = 3  # WhatsApp reply buttons of one message
MAX_LIST_ROWS = 10  # rows of a WhatsApp list
MAX_TEMPLATE_PARAMETER = 1024
# The longest text Meta takes in one message, per channel kind.
TEXT_LIMITS: dict[str, int] = {
    Channel.Kind.WHATSAPP: 4096,
    Channel.Kind.MESSENGER: 2000,
    Channel.Kind.INSTAGRAM: 1000,
}


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
    attachments: Sequence[Attachment] = (),
) -> Message:
    """Queue a reply to the citizen on the conversation's channel; it is sent after commit by the
    channel's adapter, retried by the outbox relay if sending fails. On WhatsApp, Messenger and
    Instagram Direct it is refused outside Meta's messaging window (`channels.windows`) and
    above the channel's longest text.

    `attachments` are files already stored under `replies/` (`channels.attachments.store`):
    checked again where they are, and against what the channel carries, then named by the
    message (`Message.attachments`), stored with it or not at all; the caller removes them when
    this raises.

    `postscript` is sent after the text (the email adapter adds it to the mail's body, the
    WhatsApp adapter to the text) but is not part of the message shown in the case's thread or
    on the status page: it is kept in the message's `raw` (`{"postscript": ...}`) for the
    adapter. The answer link of a question is
    one (`tickets.answers`): it must reach only the citizen's mailbox. `raw` is what else the
    adapter needs (a comment reply's route, `social_reply`), kept in the message's `raw`."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("La risposta è vuota."), field="text")
    if len(text) > settings.ASCOLTO_MAX_MESSAGE_CHARS:
        raise InvalidInput(_("La risposta è troppo lunga."), field="text")
    window = reply_window(conversation)
    if window is not None:  # a direct message on Meta's channels
        limit = TEXT_LIMITS.get(conversation.channel.kind, 0)
        if limit and len(text) > limit:
            raise InvalidInput(
                _("La risposta è troppo lunga per %(channel)s: al massimo %(limit)d caratteri.")
                % {"channel": conversation.channel.get_kind_display(), "limit": limit},
                field="text",
            )
        _check_window(conversation, window)
    files: list[Attachment] = []
    if attachments:
        files = reply_files.verify(attachments)
        reply_files.check_for_channel(conversation, files)
    return _queue(
        conversation,
        text,
        author=author,
        subject=subject,
        raw=({"postscript": postscript} if postscript else {}) | (raw or {}) or None,
        attachments=files,
    )


def _system(author: Any) -> str:
    """The external system a message written by no member of staff comes from, when one is
    acting through the API (`core.acting`); "" otherwise."""
    return current_system() if author is None else ""


def _queue(
    conversation: Conversation,
    text: str,
    *,
    author: Any = None,
    subject: str = "",
    raw: dict[str, Any] | None = None,
    attachments: Sequence[Attachment] = (),
) -> Message:
    with transaction.atomic():
        now = timezone.now()
        message = Message.objects.create(
            conversation=conversation,
            channel=conversation.channel,
            direction=Message.Direction.OUTBOUND,
            author=author,
            system=_system(author),
            subject=subject[:255],
            text=text,
            attachments=[vars(a) for a in attachments],
            sent_at=now,
            status=Message.Status.QUEUED,
            raw=raw,
        )
        Conversation.objects.filter(pk=conversation.pk).update(last_message_at=now)
        outbox.publish("message.outbound", message_id=message.pk)
    return message


def _check_window(conversation: Conversation, window: ReplyWindow | None = None) -> None:
    """Refuse a free-form message Meta would refuse: outside the citizen's messaging window on
    WhatsApp, Messenger or Instagram (`channels.windows`)."""
    window = window or reply_window(conversation)
    if window is not None and not window.is_open:
        raise DomainError(
            _("Risposta libera non consentita: %(reason)s.") % {"reason": window_refusal(window)},
            field="text",
        )


def send_template(
    conversation: Conversation,
    name: str,
    parameters: Sequence[str] = (),
    *,
    language: str = "",
    author: Any = None,
    subject: str = "",
) -> Message:
    """Queue an approved WhatsApp template (from the channel's configuration) with its
    parameters, allowed also when the 24-hour window is closed. The message's text is the
    template's body with the parameters in place (what the case shows); its `raw` carries the
    template's name, language and parameters for the adapter."""
    channel = conversation.channel
    if channel.kind != Channel.Kind.WHATSAPP:
        raise InvalidInput(_("I modelli approvati si inviano solo su WhatsApp."), field="template")
    template = next(
        (
            t
            for t in whatsapp_templates(channel.config)
            if t.name == name and (not language or t.language == language)
        ),
        None,
    )
    if template is None:
        raise InvalidInput(
            _("Il modello «%(name)s» non è tra quelli approvati del canale %(channel)s.")
            % {"name": name, "channel": channel.name},
            field="template",
        )
    values = [" ".join(str(p).split()) for p in parameters]
    if len(values) != template.parameter_count or not all(values):
        raise InvalidInput(
            _("Il modello «%(name)s» chiede %(count)d valori, tutti compilati.")
            % {"name": template.label or template.name, "count": template.parameter_count},
            field="parameters",
        )
    if any(len(v) > MAX_TEMPLATE_PARAMETER for v in values):
        raise InvalidInput(
            _("Un valore del modello è troppo lungo: al massimo %(limit)d caratteri.")
            % {"limit": MAX_TEMPLATE_PARAMETER},
            field="parameters",
        )
    raw = {"template": {"name": template.name, "language": template.language, "parameters": values}}
    return _queue(conversation, template.render(values), author=author, subject=subject, raw=raw)


@dataclass(frozen=True)
class Choice:
    """One choice of an interactive message: the id that comes back, the title shown."""

    id: str
    title: str
    description: str = ""


def send_interactive(
    conversation: Conversation,
    text: str,
    choices: Sequence[Choice],
    *,
    button: str = "",
    header: str = "",
    footer: str = "",
    author: Any = None,
) -> Message:
    """Queue a WhatsApp message with choices: up to 3 become reply buttons; with `button` (the
    label that opens it) up to 10 become a list. The citizen's choice comes back as an inbound
    message carrying the choice's id. A free-form message: only inside the 24-hour window. The
    stored text lists the choices, so the case shows what the citizen saw."""
    if conversation.channel.kind != Channel.Kind.WHATSAPP:
        raise InvalidInput(_("I messaggi con scelte si inviano solo su WhatsApp."), field="text")
    text = (text or "").strip()
    limit = MAX_LIST_ROWS if button else MAX_BUTTONS
    ids = [c.id for c in choices]
    if not text or not 1 <= len(choices) <= limit or len(set(ids)) != len(ids):
        raise InvalidInput(
            _("Un messaggio con scelte ha un testo e da 1 a %(limit)d scelte diverse.")
            % {"limit": limit},
            field="choices",
        )
    if any(not c.id or not c.title.strip() for c in choices):
        raise InvalidInput(_("Ogni scelta ha un identificativo e un titolo."), field="choices")
    _check_window(conversation)
    interactive: dict[str, Any] = {
        "type": "list" if button else "button",
        "body": text,
        "choices": [[c.id, c.title, c.description] for c in choices],
        "button": button,
        "header": header,
        "footer": footer,
    }
    shown = "\n".join([text, *(f"• {c.title}" for c in choices)])
    return _queue(conversation, shown, author=author, raw={"interactive": interactive})


def mark_read(conversation_ids: Iterable[int] | QuerySet[Any]) -> int:
    """Record that the city has seen the citizen's WhatsApp messages on these conversations (an
    operator opened their case) and queue, once per message, the read receipt Meta shows the
    citizen as blue ticks: one per conversation, for its latest message (Meta marks the earlier
    ones read with it). Sent after commit by the outbox, never blocking the caller. Returns how
    many messages were marked."""
    unread = list(
        Message.objects.filter(
            # A queryset is read in the same query (the case page: its conversations).
            conversation_id__in=conversation_ids
            if isinstance(conversation_ids, QuerySet)
            else list(conversation_ids),
            channel__kind=Channel.Kind.WHATSAPP,
            direction=Message.Direction.INBOUND,
            status=Message.Status.RECEIVED,
        )
        .exclude(external_id="")
        .order_by("sent_at", "pk")
        .values_list("pk", "conversation_id", "external_id")
    )
    if not unread:
        return 0
    latest = {conversation_id: pk for pk, conversation_id, _external in unread}
    with transaction.atomic():
        marked = Message.objects.filter(
            pk__in=[pk for pk, _c, _e in unread], status=Message.Status.RECEIVED
        ).update(status=Message.Status.READ)
        if marked:
            outbox.publish_many([("message.read", {"message_id": pk}) for pk in latest.values()])
    return marked


def deliver_read_receipt(message_id: int) -> None:
    """Tell Meta the citizen's message was read (outbox handler of `message.read`). A transient
    failure is raised, so the outbox tries again; a permanent one is logged and dropped (a read
    receipt is a courtesy: a closed window or a deleted message must not retry for two days)."""
    message = (
        Message.objects.select_related("channel")
        .filter(pk=message_id, direction=Message.Direction.INBOUND)
        .first()
    )
    if message is None or message.channel.kind != Channel.Kind.WHATSAPP:
        return
    from ascolto.channels.adapters.meta.graph import GraphClient, PermanentGraphError

    try:
        with GraphClient.for_channel(message.channel) as client:
            client.mark_read(str(message.channel.config["phone_number_id"]), message.external_id)
    except PermanentGraphError as exc:
        logger.warning("read receipt of message %s refused by Meta: code %s", message.pk, exc.code)


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
        system=_system(author),
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
    # `raw` too: an adapter that sends a reply in parts (its files) notes their ids there.
    message.save(update_fields=["status", "attempts", "last_error", "external_id", "raw"])
    if message.channel.kind == Channel.Kind.WHATSAPP:
        # Meta may have reported on the message before this send recorded its id.
        from ascolto.channels.adapters.meta.deliveries import apply_pending

        apply_pending(message.channel_id, [message.external_id])


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
