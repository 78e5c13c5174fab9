"""Meta webhook deliveries built as Meta sends them, and their signature: what the demo city
replays through the real webhook, and what the tests and `benchmarks/webhooks.py` post.

Plain on purpose: every builder takes strings and integers and returns a dict (an item, or a
whole delivery); `body` turns a delivery into the bytes Meta would post and `signed` gives the
`X-Hub-Signature-256` header for them. Nothing here reads the database or settings, so the
builders are cheap enough for tens of thousands of deliveries.

The shapes follow Meta's documentation (docs/reference: protocols C2):

- WhatsApp Cloud API (`object: whatsapp_business_account`, field `messages`): an inbound
  message (`wa_text`, `wa_interactive`) with its sender's `contacts` entry (`wa_contact`) and
  the number's `metadata.phone_number_id`; a status update of one of our messages
  (`wa_status`); both wrapped by `whatsapp(...)`, which may carry several of each (Meta
  batches them).
- Messenger (`object: page`, `messaging[]`) and Instagram Direct (`object: instagram`,
  `messaging[]`): `direct_message`, wrapped by `page(...)` or `instagram(...)`.
- Facebook Page comments (`object: page`, `changes[]` field `feed`): `feed_comment`; Instagram
  comments (`object: instagram`, `changes[]` field `comments`): `ig_comment`.

Times are epoch seconds (`at`); Messenger and Instagram Direct carry milliseconds, the builders
convert. WhatsApp timestamps are strings, as Meta sends them.

    payload = whatsapp("104857600020202", messages=[wa_text("wamid.X", "393331234567", "Ciao",
                       at)], contacts=[wa_contact("393331234567", "Anna")])
    raw = body(payload)
    client.post(url, raw, content_type="application/json",
                headers={SIGNATURE_HEADER: signed(raw, secret)})
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from ascolto.channels.adapters.meta.signature import SIGNATURE_HEADER as SIGNATURE_HEADER
from ascolto.channels.adapters.meta.signature import sign

Item = dict[str, Any]


def signed(body: bytes, secret: str) -> str:
    """The `X-Hub-Signature-256` value Meta sends with `body`: `sha256=` and the hex
    HMAC-SHA256 of the raw bytes keyed with the app secret (the webhook's own `sign`)."""
    return sign(secret, body)


def body(payload: dict[str, Any]) -> bytes:
    """A delivery as the bytes of its POST: compact JSON with non-ASCII characters escaped
    (`\\u00e8`), as Meta writes them. Sign these bytes, and post these same bytes."""
    return json.dumps(payload, separators=(",", ":")).encode("ascii")


# --- WhatsApp Cloud API ------------------------------------------------------------------------


def whatsapp(
    phone_number_id: str,
    *,
    messages: Iterable[Item] = (),
    statuses: Iterable[Item] = (),
    contacts: Iterable[Item] = (),
    display_phone_number: str = "",
    waba_id: str = "",
) -> dict[str, Any]:
    """A WhatsApp delivery: one entry (the business account `waba_id`), one `messages` change
    for the number `phone_number_id`, with the given messages (and their senders' `contacts`)
    and status updates."""
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": display_phone_number.lstrip("+").replace(" ", ""),
            "phone_number_id": phone_number_id,
        },
    }
    contacts, messages, statuses = list(contacts), list(messages), list(statuses)
    if contacts:
        value["contacts"] = contacts
    if messages:
        value["messages"] = messages
    if statuses:
        value["statuses"] = statuses
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": waba_id or f"{phone_number_id}0",
                "changes": [{"field": "messages", "value": value}],
            }
        ],
    }


def wa_contact(wa_id: str, name: str, *, user_id: str = "") -> Item:
    """The `contacts[]` entry of a sender: their number (digits, no `+`), profile name and,
    when given, their business-scoped user id (BSUID)."""
    contact: Item = {"profile": {"name": name}, "wa_id": wa_id.lstrip("+")}
    if user_id:
        contact["user_id"] = user_id
    return contact


def wa_text(wamid: str, sender: str, text: str, at: int, *, context: str = "") -> Item:
    """A citizen's text message (`type: text`); `context` is the id of the message it quotes."""
    message: Item = {
        "from": sender.lstrip("+"),
        "id": wamid,
        "timestamp": str(int(at)),
        "type": "text",
        "text": {"body": text},
    }
    if context:
        message["context"] = {"id": context}
    return message


def wa_interactive(
    wamid: str,
    sender: str,
    reply_id: str,
    title: str,
    at: int,
    *,
    kind: str = "button_reply",
    description: str = "",
    context: str = "",
) -> Item:
    """A tap on one of our reply buttons (`button_reply`) or list rows (`list_reply`):
    `reply_id` is the id we gave the button or row, `title` its text; `context` the id of our
    message that offered it."""
    if kind not in ("button_reply", "list_reply"):
        raise ValueError(f"an interactive reply is button_reply or list_reply, not {kind!r}")
    reply: Item = {"id": reply_id, "title": title}
    if description and kind == "list_reply":
        reply["description"] = description
    message: Item = {
        "from": sender.lstrip("+"),
        "id": wamid,
        "timestamp": str(int(at)),
        "type": "interactive",
        "interactive": {"type": kind, kind: reply},
    }
    if context:
        message["context"] = {"id": context}
    return message


def wa_status(
    wamid: str,
    status: str,
    recipient: str,
    at: int,
    *,
    error: tuple[int, str] | None = None,
    category: str = "service",
) -> Item:
    """A status update of our message `wamid` (the id our send got back): `sent`, `delivered`,
    `read` or `failed` (then `error` = (Meta's code, title))."""
    if status not in ("sent", "delivered", "read", "failed", "played"):
        raise ValueError(f"unknown WhatsApp status {status!r}")
    item: Item = {
        "id": wamid,
        "status": status,
        "timestamp": str(int(at)),
        "recipient_id": recipient.lstrip("+"),
    }
    if status == "failed":
        code, title = error or (131026, "Message undeliverable")
        item["errors"] = [
            {"code": code, "title": title, "message": title, "error_data": {"details": title}}
        ]
    else:
        item["pricing"] = {
            "billable": category != "service",
            "pricing_model": "PMP",
            "category": category,
            "type": "free_customer_service" if category == "service" else "regular",
        }
    return item


# --- Messenger, Instagram Direct, comments ----------------------------------------------------


def page(
    page_id: str, at: int, *, messaging: Iterable[Item] = (), changes: Iterable[Item] = ()
) -> dict[str, Any]:
    """A Facebook Page delivery (`object: page`): Messenger events (`messaging`, as
    `direct_message` builds them) or `feed` changes (`feed_comment`). Meta never mixes the two
    in one entry."""
    return {"object": "page", "entry": [_entry(page_id, at, messaging, changes)]}


def instagram(
    account_id: str, at: int, *, messaging: Iterable[Item] = (), changes: Iterable[Item] = ()
) -> dict[str, Any]:
    """An Instagram delivery (`object: instagram`): Direct messages (`direct_message`) or
    `comments` changes (`ig_comment`)."""
    return {"object": "instagram", "entry": [_entry(account_id, at, messaging, changes)]}


def _entry(account: str, at: int, messaging: Iterable[Item], changes: Iterable[Item]) -> Item:
    messaging, changes = list(messaging), list(changes)
    if messaging and changes:
        raise ValueError("an entry carries messaging events or changes, not both")
    entry: Item = {"id": account, "time": int(at) * 1000 if messaging else int(at)}
    if messaging:
        entry["messaging"] = messaging
    else:
        entry["changes"] = changes
    return entry


def direct_message(
    sender: str, recipient: str, mid: str, text: str, at: int, *, quick_reply: str = ""
) -> Item:
    """A Messenger or Instagram Direct message from `sender` (the page- or Instagram-scoped id)
    to `recipient` (the page or the Instagram account); `quick_reply` the payload of the quick
    reply tapped."""
    message: Item = {"mid": mid, "text": text}
    if quick_reply:
        message["quick_reply"] = {"payload": quick_reply}
    return {
        "sender": {"id": sender},
        "recipient": {"id": recipient},
        "timestamp": int(at) * 1000,
        "message": message,
    }


def feed_comment(
    page_id: str,
    post_id: str,
    comment_id: str,
    sender: str,
    name: str,
    message: str,
    at: int,
    *,
    parent_id: str = "",
    verb: str = "add",
) -> Item:
    """A `feed` change: a visitor's comment under the page's post `post_id` (`<page>_<post>`);
    a reply to another comment names it as `parent_id` (a top-level comment's parent is the
    post)."""
    return {
        "field": "feed",
        "value": {
            "from": {"id": sender, "name": name},
            "item": "comment",
            "verb": verb,
            "comment_id": comment_id,
            "post_id": post_id,
            "parent_id": parent_id or post_id,
            "message": message,
            "created_time": int(at),
            "is_hidden": False,
            "post": {"id": post_id, "status_type": "added_photos", "is_published": True},
        },
    }


def ig_comment(
    comment_id: str,
    sender: str,
    username: str,
    text: str,
    media_id: str,
    at: int | None = None,
    *,
    parent_id: str = "",
) -> Item:
    """A `comments` change: a visitor's comment under the account's media `media_id`; a reply
    to a comment names it as `parent_id`. Meta's examples carry no time in the value (only the
    entry's `time`); `at`, when given, is added as `timestamp` so a replayed comment keeps its
    historical time."""
    value: Item = {
        "from": {"id": sender, "username": username},
        "media": {"id": media_id, "media_product_type": "FEED"},
        "id": comment_id,
        "text": text,
    }
    if parent_id:
        value["parent_id"] = parent_id
    if at is not None:
        value["timestamp"] = int(at)
    return {"field": "comments", "value": value}
