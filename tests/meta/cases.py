"""Cases on Meta's channels for the reply tests: a WhatsApp channel with approved templates,
and a citizen writing on it (through intake, as a delivered webhook would)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ascolto.channels import actions as channel_actions
from ascolto.channels.inbound import InboundMessage
from ascolto.channels.models import Channel
from ascolto.tickets.models import Ticket

NUMBER = "+393331234567"
TEMPLATES = [
    {
        "name": "aggiornamento_pratica",
        "language": "it",
        "label": "Aggiornamento sulla pratica",
        "body": "Gentile cittadino, sulla pratica {{1}} c'è una novità: {{2}}. Rispondi qui.",
    },
    {"name": "ricontatto", "language": "it", "body": "Il Comune ha una risposta per te."},
]


def with_templates(channel: Channel) -> Channel:
    """The WhatsApp channel, opening cases, with the approved `TEMPLATES`."""
    channel.config = {**channel.config, "opens_cases": True, "templates": TEMPLATES}
    channel.full_clean()
    channel.save()
    return channel


def write(channel: Channel, kind: str, handle: str, text: str, wamid: str) -> Ticket:
    received = channel_actions.receive(
        InboundMessage(
            channel=channel.code,
            external_id=wamid,
            handle_kind=kind,
            handle=handle,
            text=text,
            sent_at=datetime.now(tz=UTC),
        )
    )
    assert received.ticket_id is not None
    return Ticket.objects.get(pk=received.ticket_id)


def whatsapp_case(whatsapp: Channel, capture: Any) -> Ticket:
    with capture(execute=True):
        return write(whatsapp, "whatsapp", NUMBER, "La strada è allagata.", "wamid.IN1")
