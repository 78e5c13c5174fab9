"""A Meta webhook delivery's body into what intake and the status updates need.

One delivery (`object` + `entry[]`) may carry many items: WhatsApp `changes[].value.messages[]`
and `statuses[]`, Messenger and Instagram Direct `messaging[]` events, Page `feed` and Instagram
`comments` changes. `parse(body, routes)` walks them all and returns a `Parsed`: the inbound
messages (with the WhatsApp media still to fetch), the status updates of our outbound messages,
the Messenger/Instagram read and delivery watermarks, and the WhatsApp user id / number pairs.
It writes nothing and calls no server.

Each entry goes to the active channel it belongs to (`Routes`): WhatsApp by
`value.metadata.phone_number_id`; `object=page` `messaging` to the messenger channel of that
page, its `feed` changes to the facebook channel of that page; `object=instagram` to the
instagram channel of that account. An entry for no known channel is skipped and logged (by its
id, which names a business account, not a person).

WhatsApp items are read with pywa's types where they fit (message and status kinds, locations,
shared contacts, Meta's error codes); pywa's own `from_update` constructors read only the first
item of a delivery and require fields older payloads lack (decision 0014), so the envelope is
walked here. Messenger, Instagram and the Page feed are ours (pywa covers WhatsApp only); the
comments themselves are `comments.parse_change`'s.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from ascolto.channels.adapters.meta import comments
from ascolto.channels.inbound import Attachment, InboundMessage
from ascolto.channels.models import Channel, Message
from ascolto.citizens.handles import normalise_handle
from ascolto.citizens.models import Identity
from ascolto.core.errors import InvalidInput

if TYPE_CHECKING:
    from pywa.types.others import MessageType

logger = logging.getLogger(__name__)

Kind = Identity.Kind
Status = Message.Status
MEDIA_TYPES = ("image", "document", "audio", "video", "sticker")


# pywa (with its HTTP client, 14 MiB) is imported on the first WhatsApp item parsed, by the task
# worker that drains the deliveries, not by every web worker (issue 19).
@functools.cache
def _message_types() -> dict[str, MessageType]:
    from pywa.types.others import MessageType

    return {m.value: m for m in MessageType}


@functools.cache
def _statuses() -> dict[str, Message.Status]:
    """Meta's status → ours (`played`: a voice message listened to, so read)."""
    from pywa.types.message_status import MessageStatusType

    return {
        MessageStatusType.SENT.value: Status.SENT,
        MessageStatusType.DELIVERED.value: Status.DELIVERED,
        MessageStatusType.READ.value: Status.READ,
        MessageStatusType.PLAYED.value: Status.READ,
        MessageStatusType.FAILED.value: Status.FAILED,
    }


class MalformedDelivery(ValueError):
    """The body is not a Meta delivery (not JSON, or not an object with entries)."""


@dataclass(frozen=True)
class Media:
    """A media of an inbound message still to fetch: a WhatsApp media from the Graph API by its
    id; a Messenger or Instagram attachment from the CDN address the delivery gave (`url`; its
    `id` is then the message's id and the attachment's position, which names the stored file).
    """

    id: str
    kind: str  # image, document, audio, video, sticker
    mime_type: str
    filename: str
    url: str = ""


@dataclass(frozen=True)
class Incoming:
    """One inbound message, with the WhatsApp media it still needs fetched and, for a WhatsApp
    sender known both by user id (BSUID) and by number, the two normalised handles."""

    inbound: InboundMessage
    media: tuple[Media, ...] = ()
    pair: tuple[str, str] | None = None  # (BSUID, number in E.164)


@dataclass(frozen=True)
class StatusUpdate:
    """What Meta says of one of our outbound messages, by the id our send got back."""

    channel: str
    external_id: str
    status: str  # a Message.Status value
    error: str = ""


@dataclass(frozen=True)
class Watermark:
    """A Messenger or Instagram receipt: the citizen `handle` received (or read) our messages
    sent up to `until`, and the messages `mids` named."""

    channel: str
    handle_kind: str
    handle: str
    status: str  # DELIVERED or READ
    until: datetime | None
    mids: tuple[str, ...] = ()


@dataclass
class Parsed:
    messages: list[Incoming] = field(default_factory=list)
    statuses: list[StatusUpdate] = field(default_factory=list)
    watermarks: list[Watermark] = field(default_factory=list)
    # Comment edits, removals, hidings: applied after intake (`comments.apply_changes`).
    changes: list[comments.CommentChange] = field(default_factory=list)
    skipped: int = 0  # entries for no known channel, items that are not for us (echoes, ...)


@dataclass(frozen=True)
class Routes:
    """The active channels a delivery's entries may go to, by the id Meta names them with."""

    whatsapp: dict[str, Channel] = field(default_factory=dict)  # by phone_number_id
    messenger: dict[str, Channel] = field(default_factory=dict)  # by page id
    facebook: dict[str, Channel] = field(default_factory=dict)  # by page id
    instagram: dict[str, Channel] = field(default_factory=dict)  # by account id

    @classmethod
    def of(cls, channels: Iterable[Channel]) -> Routes:
        routes = cls()
        for channel in channels:
            if not channel.is_active:
                continue
            if channel.kind == Channel.Kind.WHATSAPP:
                routes.whatsapp[str(channel.config.get("phone_number_id", ""))] = channel
            elif channel.kind in (
                Channel.Kind.MESSENGER,
                Channel.Kind.FACEBOOK,
                Channel.Kind.INSTAGRAM,
            ):
                getattr(routes, channel.kind)[str(channel.config.get("page_id", ""))] = channel
        return routes


def parse(body: str | bytes, routes: Routes) -> Parsed:
    """Everything `body` carries for the channels of `routes` (see the module docstring).
    Raises `MalformedDelivery` when the body is not a Meta delivery at all."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedDelivery("the delivery is not JSON") from exc
    if not isinstance(data, dict) or not isinstance(data.get("entry"), list):
        raise MalformedDelivery("the delivery has no entries")
    parsed = Parsed()
    kind = data.get("object")
    for entry in data["entry"]:
        if not isinstance(entry, dict):
            parsed.skipped += 1
            continue
        if kind == "whatsapp_business_account":
            _whatsapp_entry(entry, routes, parsed)
        elif kind in ("page", "instagram"):
            _page_entry(str(kind), entry, routes, parsed)
        else:
            logger.info("meta: a delivery for object %r is not handled", kind)
            parsed.skipped += 1
    return parsed


def _list(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _when(timestamp: Any, *, millis: bool = False) -> datetime | None:
    try:
        seconds = int(timestamp) / (1000 if millis else 1)
    except (TypeError, ValueError):
        return None
    return datetime.fromtimestamp(seconds, UTC)


# --- WhatsApp ----------------------------------------------------------------------------------


def _whatsapp_entry(entry: dict[str, Any], routes: Routes, parsed: Parsed) -> None:
    for change in _list(entry.get("changes")):
        value = change.get("value")
        if change.get("field") != "messages" or not isinstance(value, dict):
            parsed.skipped += 1  # account, template, quality updates: not messages
            continue
        phone_number_id = str((value.get("metadata") or {}).get("phone_number_id", ""))
        channel = routes.whatsapp.get(phone_number_id)
        if channel is None:
            logger.warning(
                "meta: WhatsApp change for phone number id %s, which no active channel has",
                phone_number_id[:32] or "(none)",
            )
            parsed.skipped += 1
            continue
        contacts = _list(value.get("contacts"))
        for message in _list(value.get("messages")):
            incoming = _whatsapp_message(channel, message, contacts, phone_number_id)
            if incoming is None:
                parsed.skipped += 1
            else:
                parsed.messages.append(incoming)
        for status in _list(value.get("statuses")):
            update = _whatsapp_status(channel, status, value)
            if update is None:
                parsed.skipped += 1
            else:
                parsed.statuses.append(update)


def _contact_of(message: dict[str, Any], contacts: list[dict[str, Any]]) -> dict[str, Any]:
    number, user_id = message.get("from"), message.get("from_user_id")
    for contact in contacts:
        if (number and contact.get("wa_id") == number) or (
            user_id and contact.get("user_id") == user_id
        ):
            return contact
    return contacts[0] if len(contacts) == 1 else {}


def _normalised(kind: str, value: str) -> str | None:
    try:
        return normalise_handle(kind, value)
    except InvalidInput:
        return None


def _whatsapp_message(
    channel: Channel, message: dict[str, Any], contacts: list[dict[str, Any]], phone_id: str
) -> Incoming | None:
    external_id = str(message.get("id") or "")
    kind = str(message.get("type") or "")
    if kind in ("reaction", "system", "request_welcome") or not external_id:
        # A reaction to a message, a number changed, a chat opened: no citizen's message (a
        # reaction must not reopen a resolved case). Logged, never a failure.
        logger.info("meta: WhatsApp %s event not taken in", kind or "unnamed")
        return None
    contact = _contact_of(message, contacts)
    number = str(message.get("from") or contact.get("wa_id") or "")
    user_id = str(message.get("from_user_id") or contact.get("user_id") or "")
    bsuid = _normalised(Kind.WHATSAPP_BSUID, user_id) if user_id else None
    phone = _normalised(Kind.WHATSAPP, number) if number else None
    if bsuid:
        # Repeat contacts key on the user id when Meta gives one: a number may be hidden
        # behind a username, or change (decision 0014).
        handle_kind, handle = Kind.WHATSAPP_BSUID, bsuid
    elif number:
        handle_kind, handle = Kind.WHATSAPP, number  # intake normalises it, or says why not
    else:
        logger.warning("meta: WhatsApp message without a sender skipped")
        return None
    text, media = _whatsapp_content(kind, message)
    profile = contact.get("profile") if isinstance(contact.get("profile"), dict) else {}
    inbound = InboundMessage(
        channel=channel.code,
        external_id=external_id,
        handle_kind=handle_kind,
        handle=handle,
        text=text,
        sent_at=_when(message.get("timestamp")),
        display_name=str((profile or {}).get("name") or "")[:200],
        raw={"whatsapp": {"message": message, "contact": contact, "phone_number_id": phone_id}},
    )
    return Incoming(inbound, media, (bsuid, phone) if bsuid and phone else None)


def _whatsapp_content(kind: str, message: dict[str, Any]) -> tuple[str, tuple[Media, ...]]:
    """The readable text of a WhatsApp message and the media it carries."""
    content = message.get(kind) if isinstance(message.get(kind), dict) else {}
    assert isinstance(content, dict)  # noqa: S101 (narrowed above)
    from pywa.types.others import MessageType

    known = _message_types().get(kind, MessageType.UNKNOWN)
    if known == MessageType.TEXT:
        return str(content.get("body") or ""), ()
    if known == MessageType.BUTTON:  # a template's quick reply
        return str(content.get("text") or content.get("payload") or ""), ()
    if known == MessageType.INTERACTIVE:
        return _interactive_text(content), ()
    if kind in MEDIA_TYPES and content.get("id"):
        media = Media(
            id=str(content["id"]),
            kind=kind,
            mime_type=str(content.get("mime_type") or ""),
            filename=str(content.get("filename") or ""),
        )
        caption = str(content.get("caption") or "")
        return caption or _media_label(kind), (media,)
    if known == MessageType.LOCATION:
        return _location_text(content), ()
    if known == MessageType.CONTACTS:
        return _contacts_text(message), ()
    errors = _list(message.get("errors"))
    reason = str(errors[0].get("title") or errors[0].get("message") or "") if errors else ""
    return (
        _("[Messaggio WhatsApp di tipo «%(kind)s», non gestito%(reason)s.]")
        % {"kind": kind or "?", "reason": f": {reason}" if reason else ""},
        (),
    )


def _interactive_text(content: dict[str, Any]) -> str:
    """A reply to our buttons or list: the title the citizen tapped (its id stays in `raw`)."""
    kind = str(content.get("type") or "")
    reply = content.get(kind) if isinstance(content.get(kind), dict) else {}
    assert isinstance(reply, dict)  # noqa: S101 (narrowed above)
    if kind in ("button_reply", "list_reply"):
        title = str(reply.get("title") or reply.get("id") or "")
        description = str(reply.get("description") or "")
        return f"{title} — {description}" if description else title
    if kind == "nfm_reply":  # a WhatsApp Flow completed
        return str(reply.get("body") or "") or _("[Modulo WhatsApp compilato]")
    return _("[Risposta interattiva WhatsApp («%(kind)s»)]") % {"kind": kind or "?"}


def _media_label(kind: str) -> str:
    labels = {
        "image": _("[Immagine]"),
        "document": _("[Documento]"),
        "audio": _("[Messaggio vocale o audio]"),
        "video": _("[Video]"),
        "sticker": _("[Sticker]"),
    }
    return labels.get(kind, _("[Allegato]"))


def _location_text(content: dict[str, Any]) -> str:
    from pywa.types.others import Location

    try:
        place = Location.from_dict(content)
        latitude, longitude = float(place.latitude), float(place.longitude)
    except (AttributeError, IndexError, KeyError, TypeError, ValueError):
        return _("[Posizione condivisa, senza coordinate leggibili]")
    where = ", ".join(part for part in (place.name, place.address) if part)
    link = f"https://www.openstreetmap.org/?mlat={latitude:.6f}&mlon={longitude:.6f}#map=17"
    coordinates = f"{latitude:.6f}, {longitude:.6f}"
    if where:
        return _("Posizione condivisa: %(where)s (%(coordinates)s) %(link)s") % {
            "where": where,
            "coordinates": coordinates,
            "link": link,
        }
    return _("Posizione condivisa: %(coordinates)s %(link)s") % {
        "coordinates": coordinates,
        "link": link,
    }


def _contacts_text(message: dict[str, Any]) -> str:
    cards = _list(message.get("contacts"))
    if not cards:
        return _("[Contatto condiviso, vuoto]")
    from pywa.types.others import ContactList

    try:
        shared = ContactList({"contacts": cards})
    except (AttributeError, IndexError, KeyError, TypeError, ValueError):
        return _("[Contatto condiviso, non leggibile]")
    lines = []
    for contact in shared:
        name = contact.name.formatted_name if contact.name else ""
        details = [p.phone for p in contact.phones if p.phone]
        details += [e.email for e in contact.emails if e.email]
        lines.append(
            _("Contatto condiviso: %(name)s %(details)s")
            % {"name": name or _("(senza nome)"), "details": ", ".join(filter(None, details))}
        )
    return "\n".join(line.strip() for line in lines) or _("[Contatto condiviso, vuoto]")


def _whatsapp_status(
    channel: Channel, status: dict[str, Any], value: dict[str, Any]
) -> StatusUpdate | None:
    name = str(status.get("status") or "").lower()
    ours = _statuses().get(name)
    external_id = str(status.get("id") or "")
    if ours is None or not external_id:
        return None
    error = ""
    if ours == Status.FAILED:
        errors = _list(status.get("errors")) or _list(value.get("errors"))
        error = _error_text(errors[0]) if errors else _("Non consegnato (nessun motivo indicato)")
    return StatusUpdate(channel.code, external_id, ours, error)


def _error_text(error: dict[str, Any]) -> str:
    """Meta's error as an operator reads it: its code, title and details."""
    code: Any
    details: Any
    from pywa.errors import WhatsAppError

    try:
        parsed = WhatsAppError.from_dict(error)
        code, details = parsed.code, parsed.details
    except (AttributeError, IndexError, KeyError, TypeError, ValueError):
        code, details = error.get("code"), None
    title = str(error.get("title") or error.get("message") or "")
    details = details or (error.get("error_data") or {}).get("details")
    text = f"{title} ({code})" if code is not None else title
    return f"{text}: {details}" if details and details != title else text


# --- Messenger, Instagram Direct, Page feed, Instagram comments ---------------------------------


def _page_entry(kind: str, entry: dict[str, Any], routes: Routes, parsed: Parsed) -> None:
    account = str(entry.get("id") or "")
    direct = routes.instagram if kind == "instagram" else routes.messenger
    handle_kind = Kind.INSTAGRAM_ID if kind == "instagram" else Kind.FACEBOOK_PSID
    events = _list(entry.get("messaging"))
    if events:
        channel = direct.get(account)
        if channel is None:
            logger.warning("meta: %s messages for account %s, no active channel", kind, account)
            parsed.skipped += len(events)
        else:
            for event in events:
                _direct_event(channel, account, handle_kind, event, parsed)
    changes = _list(entry.get("changes"))
    if changes:
        comment_fields = ("comments", "live_comments") if kind == "instagram" else ("feed",)
        wall = routes.instagram if kind == "instagram" else routes.facebook
        channel = wall.get(account)
        for change in changes:
            if change.get("field") not in comment_fields:
                parsed.skipped += 1
                continue
            if channel is None:
                logger.warning("meta: %s comments for account %s, no active channel", kind, account)
                parsed.skipped += 1
                continue
            parsed.messages.extend(
                Incoming(m)
                for m in comments.parse_change(channel, account, change, later=parsed.changes)
            )


_ATTACHMENT_TYPES = {
    "image": "image/*",
    "video": "video/*",
    "audio": "audio/*",
    "file": "application/octet-stream",
}


def _direct_event(
    channel: Channel, account: str, handle_kind: str, event: dict[str, Any], parsed: Parsed
) -> None:
    who = event.get("sender")
    sender = str(who.get("id") or "") if isinstance(who, dict) else ""
    when = _when(event.get("timestamp"), millis=True)
    message = event.get("message") if isinstance(event.get("message"), dict) else None
    if not sender:
        logger.warning("meta: %s event without a sender skipped", channel.kind)
        parsed.skipped += 1
        return
    if message is not None:
        if message.get("is_echo") or sender == account or message.get("is_deleted"):
            parsed.skipped += 1  # our own message come back, or one the citizen took back
            return
        if not message.get("mid"):
            logger.warning("meta: %s message without an id skipped", channel.kind)
            parsed.skipped += 1
            return
        parsed.messages.append(_direct_message(channel, handle_kind, sender, when, event))
        return
    postback = event.get("postback") if isinstance(event.get("postback"), dict) else None
    if postback is not None:
        external_id = str(postback.get("mid") or f"postback:{sender}:{event.get('timestamp')}")
        inbound = InboundMessage(
            channel=channel.code,
            external_id=external_id,
            handle_kind=handle_kind,
            handle=sender,
            text=str(postback.get("title") or postback.get("payload") or ""),
            sent_at=when,
            raw={channel.kind: event},
        )
        parsed.messages.append(Incoming(inbound))
        return
    for key, status in (("delivery", Status.DELIVERED), ("read", Status.READ)):
        receipt = event.get(key) if isinstance(event.get(key), dict) else None
        if receipt is None:
            continue
        mids = receipt.get("mids") if isinstance(receipt.get("mids"), list) else []
        if receipt.get("mid"):
            mids = [*mids, receipt["mid"]]
        parsed.watermarks.append(
            Watermark(
                channel.code,
                handle_kind,
                sender,
                status,
                _when(receipt.get("watermark"), millis=True),
                tuple(str(m) for m in mids),
            )
        )
        return
    parsed.skipped += 1  # reactions, referrals, opt-ins, handovers: nothing to take in


def _direct_message(
    channel: Channel, handle_kind: str, sender: str, when: datetime | None, event: dict[str, Any]
) -> Incoming:
    """A Messenger or Instagram Direct message: its image, file, audio and video attachments
    are media to fetch from the address given (the drain stores them); any other attachment (a
    shared link, a story, a location) stays a link with its type."""
    message = event["message"]
    mid = str(message.get("mid") or "")
    attachments = []
    media = []
    labels = []
    for position, item in enumerate(_list(message.get("attachments"))[:20]):
        kind = str(item.get("type") or "file")
        payload = item.get("payload") if isinstance(item.get("payload"), dict) else {}
        url = str((payload or {}).get("url") or "")
        label = "document" if kind == "file" else kind
        labels.append(_media_label(label))
        if kind in _ATTACHMENT_TYPES and url.startswith(("https://", "http://")):
            name = url.split("?")[0].rstrip("/").rsplit("/", 1)[-1] if kind == "file" else ""
            media.append(Media(f"{mid}#{position}", label, "", name, url=url[:2000]))
            continue
        attachments.append(
            Attachment(
                name=str(item.get("title") or kind)[:100],
                content_type=_ATTACHMENT_TYPES.get(kind, kind)[:100],
                size=0,
                url=url[:2000],
            )
        )
    text = str(message.get("text") or "")
    if not text and labels:
        text = " ".join(labels)
    if not text and message.get("is_unsupported"):
        text = _("[Messaggio di un tipo non gestito: si legge nella casella della pagina.]")
    inbound = InboundMessage(
        channel=channel.code,
        external_id=mid,
        handle_kind=handle_kind,
        handle=sender,
        text=text,
        sent_at=when,
        attachments=tuple(attachments),
        raw={channel.kind: event},
    )
    return Incoming(inbound, tuple(media))
