"""The social triage queue's read side, and the step that keeps it whole (`sync`).

A thread enters the queue as a row of `SocialThread`, made here from what intake stored rather
than by intake itself: `sync` adds a row for every conversation of a social channel that holds
a comment and has none yet, and puts back in the queue a thread answered or set aside on which
the citizen (or someone else) wrote again. A crash between intake's commit and the row, or a
thread intake stored while this app was being deployed, is therefore found at the next `sync`:
nothing is missed. The queue page runs it on every load (two set-based queries and one insert).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, OuterRef, QuerySet
from django.utils import timezone

from ascolto.channels.models import Channel, Conversation, Message
from ascolto.social.models import SocialThread

# The channel kinds whose comments come to the queue (an Instagram channel also carries direct
# messages: only the conversations holding a comment, whose `raw` has `social`, are threads).
SOCIAL_KINDS = (Channel.Kind.FACEBOOK, Channel.Kind.INSTAGRAM)
SYNC_BATCH = 5000

State = SocialThread.State


def _comments() -> QuerySet[Message]:
    return Message.objects.filter(direction=Message.Direction.INBOUND, raw__has_key="social")


def sync(now: datetime | None = None) -> int:
    """Add the missing threads to the queue and put back those with new interactions; return
    how many threads were missing (a concurrent sync may have added some of them first).
    Idempotent, and safe when two run at once."""
    now = now or timezone.now()
    missing = list(
        Conversation.objects.filter(channel__kind__in=SOCIAL_KINDS, social_thread__isnull=True)
        .filter(Exists(_comments().filter(conversation=OuterRef("pk"))))
        .order_by("pk")
        .values_list("pk", flat=True)[:SYNC_BATCH]
    )
    added = 0
    if missing:
        first: dict[int, dict[str, Any]] = {}
        for conversation_id, raw in (
            _comments()
            .filter(conversation_id__in=missing)
            .order_by("-sent_at", "-pk")
            .values_list("conversation_id", "raw")
        ):
            first[conversation_id] = (raw or {}).get("social") or {}
        # A channel an administrator set to open cases opened one already: the thread is
        # worked in the inbox, not in the queue.
        cases: dict[int, int] = {}
        for conversation_id, ticket_id in Conversation.tickets.through.objects.filter(
            conversation_id__in=missing
        ).values_list("conversation_id", "ticket_id"):
            cases[conversation_id] = max(ticket_id, cases.get(conversation_id, 0))
        rows = [
            SocialThread(
                conversation_id=pk,
                post_id=str(first.get(pk, {}).get("post_id", ""))[:255],
                permalink=_url(first.get(pk, {}).get("permalink", "")),
                state=State.CASE if pk in cases else State.NEW,
                ticket_id=cases.get(pk),
            )
            for pk in missing
        ]
        # A concurrent sync may add the same rows: the one-to-one keeps one of each.
        added = len(SocialThread.objects.bulk_create(rows, ignore_conflicts=True))
    # A thread answered or set aside returns when something new is written in it.
    newer = _comments().filter(
        conversation=OuterRef("conversation"), created_at__gt=OuterRef("handled_at")
    )
    SocialThread.objects.filter(
        state__in=[State.ANSWERED, State.NOT_RELEVANT], handled_at__isnull=False
    ).filter(Exists(newer)).update(state=State.NEW, claimed_by=None, claimed_until=None)
    return added


def _url(value: Any) -> str:
    text = str(value or "")
    return text[:500] if text.startswith("https://") else ""


@dataclass(frozen=True)
class QueueFilter:
    """The queue page's filters: a channel (pk, 0 for all) and a state ('todo': the threads
    still to handle, '' for all, or a `SocialThread.State`)."""

    channel: int = 0
    state: str = "todo"


def threads(query: QueueFilter) -> QuerySet[SocialThread]:
    """The threads of the queue matching `query`, the most recent interaction first, with what
    the list shows (the channel, the author, the claim)."""
    rows = SocialThread.objects.select_related(
        "conversation__channel", "conversation__identity", "claimed_by", "ticket"
    )
    if query.channel:
        rows = rows.filter(conversation__channel_id=query.channel)
    if query.state == "todo":
        rows = rows.filter(state__in=SocialThread.TO_HANDLE)
    elif query.state in State.values:
        rows = rows.filter(state=query.state)
    return rows.order_by("-conversation__last_message_at", "-pk")


def first_and_last(thread_ids: list[int]) -> dict[int, tuple[Message, Message, int]]:
    """For each conversation: its first comment (what the thread is about), its latest one and
    how many interactions it holds (one query)."""
    out: dict[int, tuple[Message, Message, int]] = {}
    if not thread_ids:
        return out
    messages = _comments().filter(conversation_id__in=thread_ids).order_by("sent_at", "pk")
    for message in messages.only("pk", "conversation_id", "text", "sent_at", "raw"):
        first, _last, n = out.get(message.conversation_id, (message, message, 0))
        out[message.conversation_id] = (first, message, n + 1)
    return out


def counts_by_state(channel: int = 0) -> dict[str, int]:
    """How many threads are in each state (for the filter's figures)."""
    rows = SocialThread.objects.all()
    if channel:
        rows = rows.filter(conversation__channel_id=channel)
    out = {state: 0 for state in State.values}
    for row in rows.values("state").order_by().annotate(n=Count("pk")):
        out[row["state"]] = row["n"]
    return out


def interactions(thread: SocialThread) -> QuerySet[Message]:
    """Every entry of the thread, oldest first: comments, our replies, notes."""
    return (
        Message.objects.filter(conversation_id=thread.conversation_id)
        .select_related("author")
        .order_by("sent_at", "pk")
    )


def social_channels() -> QuerySet[Channel]:
    return Channel.objects.filter(kind__in=SOCIAL_KINDS).order_by("name")


def withdrawn(message: Message) -> bool:
    return bool((message.raw or {}).get("withdrawn"))
