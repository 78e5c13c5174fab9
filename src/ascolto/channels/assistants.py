"""The hook through which a virtual assistant answers a channel's messages before intake.

A WhatsApp channel configured with `assistant_menu` hands its inbound messages to the
assistant registered here (the `assistant` app registers its handler in `ready()`: channels
never import it). The handler gets the messages of such channels, in order, and returns for
each either None (the assistant took it: nothing is stored by intake, so a session that stays
with the bot leaves no name or number) or the message intake must take in instead (the same
message in a session handed off to an operator, a form's answers, the bot's transcript).
It runs inside the drain's transaction, so a turn and the delivery's processing commit
together; it schedules its replies after commit.

Before the assistant, on every WhatsApp channel: a tap on a choice another app sent
(`send_interactive`) whose id starts with a prefix that app registered (`register_choices`,
e.g. the surveys' "invito:") goes to that app's handler, which returns whether it took the tap;
taken, it reaches neither the assistant nor intake (a survey's rating is no message of the case).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ascolto.channels.inbound import InboundMessage
from ascolto.channels.models import Channel

# (the messages, the channels they came on by code) -> what intake takes instead, or None.
Assistant = Callable[[Sequence[InboundMessage], dict[str, Channel]], list[InboundMessage | None]]
_assistant: Assistant | None = None
# (the message, the id of the choice tapped) -> whether the handler took it.
ChoiceHandler = Callable[[InboundMessage, str], bool]
_choices: dict[str, ChoiceHandler] = {}


def register_choices(prefix: str, handler: ChoiceHandler) -> None:
    """Taps on choices whose id starts with `prefix` go to `handler` (registered in ready())."""
    _choices[prefix] = handler


def choice_of(inbound: InboundMessage) -> str:
    """The id of the WhatsApp button or list row the citizen tapped, "" for anything else."""
    message = ((inbound.raw or {}).get("whatsapp") or {}).get("message") or {}
    interactive = message.get("interactive") if isinstance(message, dict) else None
    if not isinstance(interactive, dict):
        return ""
    reply = interactive.get(str(interactive.get("type") or ""))
    return str(reply.get("id") or "") if isinstance(reply, dict) else ""


def _taken_tap(inbound: InboundMessage) -> bool:
    choice = choice_of(inbound) if _choices else ""
    if not choice:
        return False
    for prefix, handler in _choices.items():
        if choice.startswith(prefix):
            return handler(inbound, choice)
    return False


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
    """`inbounds` with the registered choices' handlers and the assistant's answer applied: None
    where one of them took the message, else the message for intake (unchanged for channels
    without an assistant)."""
    result: list[InboundMessage | None] = [
        None if _taken_tap(inbound) else inbound for inbound in inbounds
    ]
    if _assistant is None:
        return result
    positions = [
        i
        for i, inbound in enumerate(inbounds)
        if result[i] is not None
        and inbound.channel in channels
        and menu_of(channels[inbound.channel])
    ]
    if not positions:
        return result
    answers = _assistant([inbounds[i] for i in positions], channels)
    for i, answer in zip(positions, answers, strict=True):
        result[i] = answer
    return result
