"""Facebook Page `feed` and Instagram `comments` changes: the comments and visitor posts that
arrive in the social triage queue (not cases by default: decision 0015).

Meta's drain (`deliveries.py`) calls `parse_change` for each `changes[]` item of field `feed`
(object `page`) and `comments` / `live_comments` (object `instagram`) and hands what it returns
to intake (`receive_many`). Each comment or visitor post becomes one `InboundMessage`:

- `external_id`: the comment's id (a visitor post's: the post's id), so a re-delivery changes
  nothing;
- `thread_id`: the thread it belongs to: a top-level comment (its parent is the post) opens a
  thread named by its own id, a reply joins the thread of the comment it answers (`parent_id`),
  a visitor post is a thread of its own (its id);
- the author: their Facebook or Instagram id (`facebook_psid` / `instagram_id`) and name or
  username;
- `raw`: the change as delivered, with `social` = what the triage queue reads (post, parent,
  comment, permalink, author, kind).

What is not a visitor's comment or post gives nothing: the page's own comments and replies
(`from.id` is the page), reactions, likes, shares, unknown items. An `edited` comment already
stored has its text updated (the original kept in `raw`); a `remove` or `hide` marks it
(`unhide` clears the mark): none of them is a new message. Optional keys are optional: a
change without an author, an id or any text gives nothing rather than an error.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from django.utils.translation import gettext as _

from ascolto.channels.adapters import OutboundUnavailable
from ascolto.channels.inbound import InboundMessage
from ascolto.channels.models import Channel, Conversation, Message
from ascolto.citizens.models import Identity

logger = logging.getLogger(__name__)

# Facebook `feed` items that are something a visitor wrote to the page.
_COMMENT_ITEMS = {"comment"}
_POST_ITEMS = {"post", "status", "photo", "video"}
# Verbs that change a comment already stored, instead of adding one.
_WITHDRAWN = {"remove", "delete", "hide"}


@dataclass(frozen=True)
class CommentChange:
    """An edit, removal, hiding or un-hiding of a comment, to apply once the messages it came
    with are stored (`apply_changes`)."""

    channel: Channel
    external_id: str
    verb: str
    text: str = ""


def parse_change(
    channel: Channel,
    entry_id: str,
    change: dict[str, Any],
    *,
    later: list[CommentChange] | None = None,
) -> list[InboundMessage]:
    """The inbound messages one `changes[]` item of field `feed` (Facebook Page) or `comments`
    / `live_comments` (Instagram) carries; [] for what is not a comment or post by a visitor.

    An edit, removal or hiding of a comment already stored is applied to it here (through
    `channels.actions`) and gives []; an edit of a comment never stored (its `add` was lost or
    came before the page was subscribed) is taken in as the comment.

    With `later` (Meta's drain), nothing is applied here: each edit, removal or hiding is
    appended to `later`, for `apply_changes` after intake has stored the messages of the same
    batch (a comment and its edit may come in one delivery), and an edit is also returned as
    the comment (intake ignores it when the comment is stored, and stores it when its `add`
    never came)."""
    field = str(change.get("field") or "")
    value = change.get("value")
    if not isinstance(value, dict):
        return []
    if field == "feed":
        return _facebook(channel, entry_id, value, later)
    if field in {"comments", "live_comments"}:
        return _instagram(channel, entry_id, field, value, later)
    return []


def apply_changes(changes: list[CommentChange]) -> int:
    """Apply the edits, removals and hidings `parse_change` put aside, in the order they came;
    one of a comment never stored changes nothing. Returns how many comments changed."""
    return sum(_changed(c.channel, c.external_id, c.verb, c.text) for c in changes)


def thread_by_visitor_post(messages: list[InboundMessage]) -> list[InboundMessage]:
    """Comments (and replies) under a visitor's post join the post's thread, as the visitor
    and the people answering them talk about one thing; comments under the page's own posts
    keep their threads (one per top-level comment). A post is a visitor's when it is stored as
    a thread of its channel, or arrives in the same batch. One query."""
    posts = {
        (m.channel, m.thread_id)
        for m in messages
        if _social(m).get("kind") == "post" and _social(m).get("network") == "facebook"
    }
    wanted = {
        (m.channel, str(_social(m).get("post_id") or ""))
        for m in messages
        if _social(m).get("kind") == "comment" and _social(m).get("network") == "facebook"
    } - posts
    wanted = {(code, post) for code, post in wanted if post}
    if wanted:
        posts |= set(
            Conversation.objects.filter(
                channel__code__in={code for code, _ in wanted},
                external_thread_id__in={post for _, post in wanted},
            ).values_list("channel__code", "external_thread_id")
        )
    out = []
    for message in messages:
        social = _social(message)
        post = str(social.get("post_id") or "")
        if (
            social.get("kind") == "comment"
            and social.get("network") == "facebook"
            and (message.channel, post) in posts
            and message.thread_id != post
        ):
            message = replace(message, thread_id=post)
        out.append(message)
    return out


def _social(message: InboundMessage) -> dict[str, Any]:
    social = (message.raw or {}).get("social")
    return social if isinstance(social, dict) else {}


def _change(
    channel: Channel, message_id: str, verb: str, text: str, later: list[CommentChange] | None
) -> bool:
    """Whether the change of verb `verb` is done with (applied now, or put in `later`, or
    ignored); False when the item should still be read as a comment (an add; an edit: as the
    comment, in case its `add` was never stored)."""
    if verb == "add":
        return False
    if later is None:
        return _changed(channel, message_id, verb, text)
    if verb == "edited" or verb in _WITHDRAWN or verb == "unhide":
        later.append(CommentChange(channel, message_id, verb, text))
        return verb != "edited"
    logger.info("social change with unknown verb %r ignored", verb[:20])
    return True


def _own(channel: Channel, entry_id: str, author_id: str) -> bool:
    """Whether the author is the page (or Instagram account) itself: its own replies."""
    own = {str(entry_id), str(channel.config.get("page_id", ""))} - {""}
    return author_id in own


def _author(value: dict[str, Any]) -> tuple[str, str]:
    author = value.get("from")
    if not isinstance(author, dict):
        return "", ""
    name = author.get("name") or author.get("username") or ""
    return str(author.get("id") or "").strip(), str(name).strip()[:200]


def _time(value: Any) -> datetime | None:
    """Meta's `created_time`: seconds since the epoch, or an ISO 8601 string; None if neither."""
    if isinstance(value, int | float) and value > 0:
        return datetime.fromtimestamp(value, tz=UTC)
    if isinstance(value, str) and value:
        if value.isdigit():
            return datetime.fromtimestamp(int(value), tz=UTC)
        try:
            parsed = datetime.fromisoformat(value.replace("+0000", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _facebook(
    channel: Channel, entry_id: str, value: dict[str, Any], later: list[CommentChange] | None
) -> list[InboundMessage]:
    item = str(value.get("item") or "")
    verb = str(value.get("verb") or "add")
    if item in _COMMENT_ITEMS:
        message_id = str(value.get("comment_id") or "").strip()
        post_id = str(value.get("post_id") or "").strip()
        parent_id = str(value.get("parent_id") or "").strip()
        # A reply answers a comment: it joins that comment's thread; a top-level comment (its
        # parent is the post) opens a thread of its own.
        thread_id = parent_id if parent_id and parent_id != post_id else message_id
        kind = "comment"
    elif item in _POST_ITEMS:
        message_id = str(value.get("post_id") or "").strip()
        post_id, parent_id, thread_id, kind = message_id, "", message_id, "post"
    else:
        return []  # reactions, likes, shares, events...
    if not message_id:
        return []
    author_id, author_name = _author(value)
    if _change(channel, message_id, verb, str(value.get("message") or ""), later):
        return []
    if verb in _WITHDRAWN or verb == "unhide":
        return []  # withdrawn before we ever stored it: nothing to show
    if not author_id or _own(channel, entry_id, author_id):
        return []
    text = str(value.get("message") or "").strip()
    if not text:
        text = _attachment_text(value)
    if not text:
        return []
    post: dict[str, Any] = value["post"] if isinstance(value.get("post"), dict) else {}
    permalink = str(value.get("permalink_url") or post.get("permalink_url") or "")
    social = {
        "network": "facebook",
        "kind": kind,
        "post_id": post_id,
        "parent_id": parent_id,
        "comment_id": message_id,
        "permalink": permalink,
        "author_id": author_id,
        "author_name": author_name,
        "hidden": bool(value.get("is_hidden")),
    }
    return [
        InboundMessage(
            channel=channel.code,
            external_id=message_id,
            handle_kind=Identity.Kind.FACEBOOK_PSID,
            handle=author_id,
            display_name=author_name,
            text=text,
            sent_at=_time(value.get("created_time")),
            thread_id=thread_id,
            raw={"field": "feed", "entry_id": str(entry_id), "value": value, "social": social},
        )
    ]


def _instagram(
    channel: Channel,
    entry_id: str,
    field: str,
    value: dict[str, Any],
    later: list[CommentChange] | None,
) -> list[InboundMessage]:
    message_id = str(value.get("id") or "").strip()
    if not message_id:
        return []
    verb = str(value.get("verb") or "add")
    if _change(channel, message_id, verb, str(value.get("text") or ""), later):
        return []
    if verb in _WITHDRAWN or verb == "unhide":
        return []
    author_id, author_name = _author(value)
    if not author_id or _own(channel, entry_id, author_id):
        return []
    text = str(value.get("text") or "").strip()
    if not text:
        return []
    media: dict[str, Any] = value["media"] if isinstance(value.get("media"), dict) else {}
    parent_id = str(value.get("parent_id") or "").strip()
    social = {
        "network": "instagram",
        "kind": "live_comment" if field == "live_comments" else "comment",
        "post_id": str(media.get("id") or ""),
        "media_product_type": str(media.get("media_product_type") or ""),
        "parent_id": parent_id,
        "comment_id": message_id,
        "permalink": str(media.get("permalink") or ""),
        "author_id": author_id,
        "author_name": author_name,
        "hidden": False,
    }
    return [
        InboundMessage(
            channel=channel.code,
            external_id=message_id,
            handle_kind=Identity.Kind.INSTAGRAM_ID,
            handle=author_id,
            display_name=author_name,
            text=text,
            sent_at=_time(value.get("timestamp") or value.get("created_time")),
            thread_id=parent_id or message_id,
            raw={"field": field, "entry_id": str(entry_id), "value": value, "social": social},
        )
    ]


def _attachment_text(value: dict[str, Any]) -> str:
    """A comment or post with a photo, video or link and no words: a line saying so, with the
    link, so it still reaches the queue (the operator opens it on the page)."""
    link = value.get("photo") or value.get("video") or value.get("link") or ""
    if not link:
        return ""
    return f"[allegato] {link}"


def _changed(channel: Channel, message_id: str, verb: str, text: str) -> bool:
    """Apply an edit, removal, hiding or un-hiding to the stored comment; False when no comment
    of that id is stored (an edit is then taken in as a new comment)."""
    from ascolto.channels import actions  # actions import the adapters' registry

    if verb == "edited":
        return actions.edit_received_message(channel, message_id, text)
    if verb in _WITHDRAWN or verb == "unhide":
        return actions.withdraw_received_message(channel, message_id, verb)
    logger.info("social change with unknown verb %r ignored", verb[:20])
    return True


class CommentReplies:
    """The outbound adapter of the Facebook (comments) and Instagram channels' comment threads.

    A reply written from the social queue says where it goes in its `raw` (`social_reply`:
    `mode` public or private, `comment_id`, `network`); one written on the case page of a case
    opened from a thread carries nothing, and goes publicly under the thread's first comment
    (or the visitor's post). A Graph error that will not pass by retrying (a comment deleted, a
    private reply already sent, a token missing) is `OutboundUnavailable`, with its reason:
    the message is marked failed at once and shown; a transient one is raised for the outbox to
    retry."""

    def send(self, message: Message) -> str:
        from ascolto.channels.adapters.meta.graph import GraphClient, PermanentGraphError

        channel = message.channel
        route = (message.raw or {}).get("social_reply") or {}
        comment_id = str(route.get("comment_id") or "")
        if not comment_id and _is_comment_thread(message):
            comment_id = message.conversation.external_thread_id
        if not comment_id:
            # An Instagram direct message is not a comment: its replies are the Send API's.
            raise OutboundUnavailable(_("La conversazione non è un thread di commenti."))
        instagram = channel.kind == Channel.Kind.INSTAGRAM
        try:
            with GraphClient.for_channel(channel) as graph:
                if route.get("mode") == "private":
                    page_id = str(channel.config.get("page_id", ""))
                    return graph.private_reply(page_id, comment_id, message.text)
                return graph.reply_to_comment(comment_id, message.text, instagram=instagram)
        except PermanentGraphError as exc:
            raise OutboundUnavailable(
                _("Meta ha rifiutato la risposta: %(error)s") % {"error": str(exc)[:300]}
            ) from exc


def _is_comment_thread(message: Message) -> bool:
    """Whether the message's conversation is a comment thread (it holds a parsed comment)."""
    return Message.objects.filter(
        conversation_id=message.conversation_id,
        direction=Message.Direction.INBOUND,
        raw__has_key="social",
    ).exists()


def hide_comment(channel: Channel, comment_id: str) -> None:
    """Hide one comment on the page or the Instagram account (raises the Graph error; a
    permanent one is `OutboundUnavailable`)."""
    from ascolto.channels.adapters.meta.graph import GraphClient, PermanentGraphError

    try:
        with GraphClient.for_channel(channel) as graph:
            graph.hide_comment(comment_id, instagram=channel.kind == Channel.Kind.INSTAGRAM)
    except PermanentGraphError as exc:
        raise OutboundUnavailable(
            _("Meta ha rifiutato di nascondere il commento: %(error)s") % {"error": str(exc)[:300]}
        ) from exc
