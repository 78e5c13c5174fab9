"""Rich state built by calling the real actions, the way the channels and operators would."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings

from ascolto.channels.actions import Received, receive
from ascolto.channels.inbound import CaseHints, InboundMessage
from ascolto.channels.models import Conversation, Message
from ascolto.citizens.models import Citizen, Consent, Identity
from ascolto.citizens.sender import Sender
from ascolto.core.models import OutboxEvent
from ascolto.organisation.models import User
from ascolto.tickets import actions
from ascolto.tickets.models import Theme, Ticket, TicketEvent

_serial = itertools.count(1)

# A 1×1 transparent PNG as Pillow writes it: uploads' images are decoded and written again
# (channels/files.py), so a test's image must be a valid one.
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x03\x00\x08\xfc\x02\xfe\xa7\x9a\xa0"
    b"\xa0\x00\x00\x00\x00IEND\xaeB`\x82"
)


def ensure_taxonomy() -> None:
    """Load the city's taxonomy unless it is there (a transactional test flushes it)."""
    if not Theme.objects.filter(code="tari-dichiarazione").exists():
        from ascolto.tickets.taxonomy import load

        load(Theme)


def new_id(prefix: str = "msg") -> str:
    return f"{prefix}-{next(_serial)}-{uuid.uuid4().hex[:8]}"


def scrivi_message(
    text: str = "Vorrei sapere come pagare la TARI.",
    *,
    email: str = "maria.rossi@example.it",
    first_name: str = "Maria",
    last_name: str = "Rossi",
    fiscal_code: str = "",
    phone: str = "",
    subject: str = "",
    kind: str = "",
    theme: str = "",
    campaign: str = "",
    code: str = "",
    external_id: str | None = None,
    sent_at: datetime | None = None,
    channel: str = "scrivi",
) -> InboundMessage:
    """What the Scrivi web form hands to intake: the sender's email is their handle, and the
    details they typed come along (with `code`, the tracking code shown to the citizen, when the
    message goes through the intake queue)."""
    return InboundMessage(
        channel=channel,
        external_id=external_id or new_id("scrivi"),
        handle_kind=Identity.Kind.EMAIL,
        handle=email,
        text=text,
        sent_at=sent_at,
        display_name=f"{first_name} {last_name}".strip(),
        subject=subject,
        sender=Sender(
            first_name=first_name,
            last_name=last_name,
            email=email,
            phone=phone,
            fiscal_code=fiscal_code,
        ),
        hints=CaseHints(kind=kind, theme=theme, campaign=campaign, code=code),
        privacy_notice=settings.ASCOLTO_PRIVACY_NOTICE_VERSION,
    )


def submit_scrivi(text: str = "Vorrei sapere come pagare la TARI.", **kwargs: Any) -> Received:
    return receive(scrivi_message(text, **kwargs))


def email_message(
    text: str,
    *,
    email: str,
    thread_id: str = "",
    subject: str = "Richiesta buoni spesa",
    channel: str = "buoni-spesa",
    external_id: str | None = None,
    sent_at: datetime | None = None,
) -> InboundMessage:
    return InboundMessage(
        channel=channel,
        external_id=external_id or f"<{new_id('mail')}@mail.example.it>",
        handle_kind=Identity.Kind.EMAIL,
        handle=email,
        text=text,
        sent_at=sent_at,
        thread_id=thread_id,
        subject=subject,
    )


def phone_message(
    text: str,
    *,
    number: str,
    channel: str = "020202",
    external_id: str | None = None,
    sent_at: datetime | None = None,
    thread_id: str = "",
) -> InboundMessage:
    return InboundMessage(
        channel=channel,
        external_id=external_id or new_id("call"),
        handle_kind=Identity.Kind.PHONE,
        handle=number,
        text=text,
        sent_at=sent_at,
        thread_id=thread_id,
    )


def write_again(conversation: Conversation, text: str, **kwargs: Any) -> Received:
    """The citizen writes again on the same conversation (the same email thread)."""
    identity = conversation.identity
    if not conversation.external_thread_id:
        raise AssertionError("This conversation has no thread id: the citizen cannot reply on it.")
    return receive(
        InboundMessage(
            channel=conversation.channel.code,
            external_id=f"<{new_id('again')}@mail.example.it>",
            handle_kind=identity.kind,
            handle=identity.value,
            text=text,
            thread_id=conversation.external_thread_id,
            **kwargs,
        )
    )


def citizen_answers(
    ticket: Ticket, text: str = "Ecco i dati richiesti.", **kwargs: Any
) -> Received:
    """The citizen answers on the thread that opened the case."""
    return write_again(ticket.conversations.order_by("started_at").first(), text, **kwargs)


def open_case(
    text: str = "Non ho ricevuto l'avviso TARI.",
    *,
    email: str = "maria.rossi@example.it",
    thread_id: str | None = None,
    **kwargs: Any,
) -> Ticket:
    """A case opened by an email to the municipality's mailbox, on a thread of its own, so the
    citizen can write again on it."""
    received = receive(
        email_message(text, email=email, thread_id=thread_id or new_id("thread"), **kwargs)
    )
    assert received.ticket_id is not None
    return Ticket.objects.get(pk=received.ticket_id)


def refresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


@dataclass(frozen=True)
class Counts:
    identities: int
    citizens: int
    consents: int
    conversations: int
    messages: int
    tickets: int
    events: int
    outbox: int


def counts() -> Counts:
    """How many rows each table of intake holds: compare before and after a refused call."""
    return Counts(
        identities=Identity.objects.count(),
        citizens=Citizen.objects.count(),
        consents=Consent.objects.count(),
        conversations=Conversation.objects.count(),
        messages=Message.objects.count(),
        tickets=Ticket.objects.count(),
        events=TicketEvent.objects.count(),
        outbox=OutboxEvent.objects.count(),
    )


def ticket_in(status: str, *, actor: User, office: Any, level: int = 1, **kwargs: Any) -> Ticket:
    """A case driven to `status` with the real actions. With `level=2` the case was escalated to
    `office` on the way (so a reopened case goes back to the office)."""
    ticket = open_case(**kwargs)
    if level == 2:
        ticket = actions.escalate_ticket(ticket, office, actor=actor)
    if status == Ticket.Status.NEW:
        assert level == 1, "an escalated case is no longer new"
    elif status == Ticket.Status.OPEN:
        assert level == 1, "an open case is at the first level"
        ticket = actions.assign_ticket(ticket, actor=actor, assignee=actor)
    elif status == Ticket.Status.OFFICE:
        if level == 1:
            ticket = actions.escalate_ticket(ticket, office, actor=actor)
    elif status == Ticket.Status.WAITING:
        ticket = actions.wait_for_citizen(ticket, actor=actor)
    elif status == Ticket.Status.RESOLVED:
        ticket = actions.resolve_ticket(ticket, "Risposta data.", actor=actor)
    elif status == Ticket.Status.CLOSED:
        ticket = actions.resolve_ticket(ticket, "Risposta data.", actor=actor)
        ticket = actions.close_ticket(ticket, actor=actor)
    elif status == Ticket.Status.CANCELLED:
        ticket = actions.cancel_ticket(ticket, actor=actor, reason="Aperto per errore.")
    else:
        raise AssertionError(f"no way to drive a case to {status!r}")
    ticket = refresh(ticket)
    assert ticket.status == status
    return ticket


def status_events(ticket: Ticket) -> list[tuple[str, str]]:
    return list(
        TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.STATUS)
        .order_by("at", "pk")
        .values_list("from_value", "to_value")
    )
