"""Shared pieces of the social queue's tests: the page and the Instagram account as channels,
and Meta's recorded deliveries replayed through the comment parser into the real intake."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ascolto.channels.adapters.meta.comments import parse_change
from ascolto.channels.inbound import InboundMessage
from ascolto.channels.intake import Received, receive_many
from ascolto.channels.models import Channel
from ascolto.core.errors import DomainError
from tests.personas import make_channel

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "meta"
PAGE_ID = "1234567890"
INSTAGRAM_ID = "17841400000000000"


def page_channel() -> Channel:
    return make_channel(
        "facebook",
        "facebook",
        "Pagina Facebook del Comune",
        {"page_id": PAGE_ID},
    )


def instagram_channel() -> Channel:
    return make_channel(
        "instagram",
        "instagram",
        "Instagram del Comune",
        {"page_id": INSTAGRAM_ID},
    )


def delivery(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return data


def parse(channel: Channel, name: str) -> list[InboundMessage]:
    """Every inbound message a recorded delivery carries, as Meta's drain would get them."""
    out: list[InboundMessage] = []
    for entry in delivery(name)["entry"]:
        for change in entry.get("changes", []):
            out.extend(parse_change(channel, str(entry["id"]), change))
    return out


def replay(channel: Channel, name: str) -> list[Received]:
    """A recorded delivery parsed and taken in by the real intake."""
    results = receive_many(parse(channel, name), accepted=True)
    for result in results:
        if isinstance(result, DomainError):
            raise result
    return [r for r in results if not isinstance(r, DomainError)]
