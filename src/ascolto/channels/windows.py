"""Meta's messaging windows: until when a free-form reply may go to a citizen on WhatsApp,
Messenger or Instagram Direct.

Meta lets a business answer freely for 24 hours after the citizen's last message (the
"customer-service window"); later, on WhatsApp, only an approved template may go; on Messenger
and Instagram a Page with Meta's "Human Agent" permission (`human_agent` in the channel's
configuration) may still answer, with the tag HUMAN_AGENT, up to 7 days after it. The window is
per citizen and number (or Page), not per conversation: it is computed from the last inbound
message of the conversation's identity on its channel, whichever conversation it arrived on.
A thread of public comments (an Instagram post's) has no window: its replies go under the
comment, or privately once (Meta's own rule, checked by Meta).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ascolto.channels.models import Channel, Conversation, Message

FREE_FORM = timedelta(hours=24)
HUMAN_AGENT = timedelta(days=7)
HUMAN_AGENT_TAG = "HUMAN_AGENT"
# The channel kinds whose replies Meta bounds by a window.
WINDOWED = frozenset({Channel.Kind.WHATSAPP, Channel.Kind.MESSENGER, Channel.Kind.INSTAGRAM})


@dataclass(frozen=True)
class ReplyWindow:
    """Whether a free-form reply may go now (`is_open`), until when (`closes_at`), and the tag
    it must carry ("" inside the 24 hours; HUMAN_AGENT after them, on a Page allowed to)."""

    kind: str  # the channel kind
    last_inbound_at: datetime | None
    closes_at: datetime | None
    is_open: bool
    tag: str = ""

    @property
    def needs_template(self) -> bool:
        """Closed on WhatsApp: only an approved template may go."""
        return not self.is_open and self.kind == Channel.Kind.WHATSAPP


# The key of a comment's `raw` (the social triage's parsed comment, `adapters/meta/comments.py`).
COMMENT_KEY = "social"
_NOT_A_COMMENT = Q(raw__isnull=True) | ~Q(raw__has_key=COMMENT_KEY)


def is_comment_thread(conversation: Conversation) -> bool:
    """Whether `conversation` is a thread of public comments (an Instagram or Facebook post's),
    answered publicly or by a private reply, with no messaging window of its own."""
    return Message.objects.filter(
        conversation_id=conversation.pk,
        direction=Message.Direction.INBOUND,
        raw__has_key=COMMENT_KEY,
    ).exists()


def last_inbound_at(conversation: Conversation) -> datetime | None:
    """When the citizen of `conversation` last wrote to us directly on its channel (on any
    conversation; a public comment opens no window)."""
    latest: datetime | None = (
        Message.objects.filter(
            channel_id=conversation.channel_id,
            conversation__identity_id=conversation.identity_id,
            direction=Message.Direction.INBOUND,
        )
        .filter(_NOT_A_COMMENT)
        .aggregate(latest=Max("sent_at"))["latest"]
    )
    return latest


def reply_window(conversation: Conversation, *, at: datetime | None = None) -> ReplyWindow | None:
    """The window of a reply on `conversation` at `at` (now); None on a channel without one."""
    channel = conversation.channel
    if channel.kind not in WINDOWED or is_comment_thread(conversation):
        return None
    at = at or timezone.now()
    last = last_inbound_at(conversation)
    if last is None:  # the citizen never wrote here: Meta allows templates only
        return ReplyWindow(channel.kind, None, None, is_open=False)
    closes = last + FREE_FORM
    if at < closes:
        return ReplyWindow(channel.kind, last, closes, is_open=True)
    if channel.kind != Channel.Kind.WHATSAPP and channel.config.get("human_agent"):
        tagged = last + HUMAN_AGENT
        if at < tagged:
            return ReplyWindow(channel.kind, last, tagged, is_open=True, tag=HUMAN_AGENT_TAG)
        closes = tagged
    return ReplyWindow(channel.kind, last, closes, is_open=False)


def window_refusal(window: ReplyWindow) -> str:
    """Why a free-form reply cannot go (Italian, lower-case, no final stop); "" when it can."""
    if window.is_open:
        return ""
    if window.kind == Channel.Kind.WHATSAPP:
        if window.last_inbound_at is None:
            return _(
                "il cittadino non ha mai scritto a questo numero: su WhatsApp gli si può scrivere "
                "solo con un modello approvato"
            )
        return _(
            "sono passate più di 24 ore dall'ultimo messaggio del cittadino (%(when)s): su "
            "WhatsApp gli si può scrivere solo con un modello approvato"
        ) % {"when": _when(window.last_inbound_at)}
    if window.last_inbound_at is None:
        return _(
            "il cittadino non ha mai scritto su questo canale: Meta non consente di scrivergli"
        )
    return _(
        "Meta non consente più risposte: l'ultimo messaggio del cittadino è del %(when)s e si può "
        "rispondere fino al %(until)s"
    ) % {"when": _when(window.last_inbound_at), "until": _when(window.closes_at)}


def _when(at: datetime | None) -> str:
    return f"{timezone.localtime(at):%d/%m/%Y %H:%M}" if at is not None else "—"
