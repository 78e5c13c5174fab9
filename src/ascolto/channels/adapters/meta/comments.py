"""Facebook Page `feed` and Instagram `comments` changes: the comments and visitor posts that
arrive in the social triage queue (not cases by default)."""

from __future__ import annotations

from typing import Any

from ascolto.channels.inbound import InboundMessage
from ascolto.channels.models import Channel


def parse_change(channel: Channel, entry_id: str, change: dict[str, Any]) -> list[InboundMessage]:
    """The inbound messages one `changes[]` item of field `feed` (Facebook Page) or `comments`
    (Instagram) carries; [] for what is not a comment or post by a visitor."""
    return []
