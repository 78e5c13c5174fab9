"""The hook through which a virtual assistant answers a channel's messages before intake.

A WhatsApp channel configured with `assistant_menu` hands its inbound messages to the
assistant registered here (the `assistant` app registers its handler in `ready()`: channels
never import it). The handler gets the messages of such channels, in order, and returns for
each either None (the assistant took it: nothing is stored by intake, so a session that stays
with the bot leaves no name or number) or the message intake must take in instead (the same
message in a session handed off to an operator, a form's answers, the bot's transcript).
It runs inside the drain's transaction, so a turn and the delivery's processing commit
together; it schedules its replies after commit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ascolto.channels.inbound import InboundMessage
from ascolto.channels.models import Channel

# (the messages, the channels they came on by code) -> what intake takes instead, or None.
Assistant = Callable[[Sequence[InboundMessage], dict[str, Channel]], list[InboundMessage | None]]
_assistant: Assistant | None = None


def set_assistant(handler: Assistant | None) -> None:
    global _assistant
    _assistant = handler


def menu_of(channel: Channel) -> str:
    """The code of the assistant's menu that answers this channel, "" for none."""
    if channel.kind != Channel.Kind.WHATSAPP:
        return ""
    return str((channel.config or {}).get("assistant_menu") or "")


def route(
    inbounds: Sequence[InboundMessage], channels: dict[str, Channel]
) -> list[InboundMessage | None]:
    """`inbounds` with the assistant's answer applied: None where it took the message, else the
    message for intake (unchanged for channels without an assistant)."""
    if _assistant is None:
        return list(inbounds)
    positions = [
        i
        for i, inbound in enumerate(inbounds)
        if inbound.channel in channels and menu_of(channels[inbound.channel])
    ]
    if not positions:
        return list(inbounds)
    answers = _assistant([inbounds[i] for i in positions], channels)
    result: list[InboundMessage | None] = list(inbounds)
    for i, answer in zip(positions, answers, strict=True):
        result[i] = answer
    return result
