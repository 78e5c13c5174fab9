"""The assistant's writes (filled in by the engine)."""

from __future__ import annotations

from collections.abc import Sequence

from ascolto.channels.inbound import InboundMessage


def take_turns(inbounds: Sequence[InboundMessage]) -> list[InboundMessage | None]:
    return list(inbounds)
