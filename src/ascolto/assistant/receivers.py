"""What the assistant does for other apps: the Meta drain's hook (channels.assistants)."""

from __future__ import annotations

from collections.abc import Sequence

from ascolto.channels.inbound import InboundMessage
from ascolto.channels.models import Channel


def take_turns(
    inbounds: Sequence[InboundMessage], channels: dict[str, Channel]
) -> list[InboundMessage | None]:
    """The drain's messages for channels with an assistant: each is a turn of its session."""
    from ascolto.assistant import actions

    return actions.take_turns(inbounds, channels)
