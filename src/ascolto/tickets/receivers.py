"""Where the tickets app listens: signals from the apps below it and outbox topics.

Listed in docs/architecture.md. Connected and registered in `TicketsConfig.ready()`, the one
place that says which function listens to what.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone

from ascolto.channels import actions as channel_actions
from ascolto.channels.models import Message
from ascolto.core.models import OutboxEvent
from ascolto.core.text import header_text
from ascolto.tickets import actions
from ascolto.tickets.models import Ticket

logger = logging.getLogger(__name__)


def reassign_citizen(sender: Any, **kwargs: Any) -> None:
    """Cases follow a merged citizen to the record kept (`citizens_merged`)."""
    actions.reassign_citizen(kwargs["source"], kwargs["target"], actor=kwargs.get("actor"))


ACKNOWLEDGEMENT = (
    "Gentile cittadina, gentile cittadino,\n\n"
    "abbiamo ricevuto la sua richiesta. Il codice della pratica è {code}: lo usi per seguirne lo "
    "stato qui: {status_url}\n{due}\n\n{municipality}"
)


def acknowledgement_text(
    code: str, due_at: datetime | None, municipality: str | None = None
) -> str:
    """The acknowledgement a citizen receives: tracking code, status-page link, due date."""
    due = ""
    if due_at:
        due = f"Riceverà una risposta entro il {timezone.localtime(due_at):%d/%m/%Y}."
    return ACKNOWLEDGEMENT.format(
        code=code,
        due=due,
        municipality=municipality or settings.ASCOLTO_MUNICIPALITY,
        # By the route's name: the web app owns the address of the status page.
        status_url=settings.ASCOLTO_PUBLIC_URL + reverse("scrivi:status", args=[code]),
    )


def send_acknowledgement(event: OutboxEvent) -> None:
    """Tell the citizen their request was received, with its tracking code (web and email)."""
    ticket = Ticket.objects.select_related("channel").filter(pk=event.payload["ticket_id"]).first()
    if ticket is None or ticket.channel.kind not in ("web", "email"):
        return
    conversation = ticket.conversations.order_by("started_at").first()
    if conversation is None:
        return
    subject = f"[{ticket.code}] Richiesta ricevuta"
    # Keyed on this case's code: a conversation can carry several cases (a citizen writing again
    # on a thread whose case was closed opens a new one), and each case's code must reach them.
    already = Message.objects.filter(
        conversation=conversation,
        direction=Message.Direction.OUTBOUND,
        author=None,
        subject=subject,
    ).exists()
    if already:
        return  # the event is being handled a second time
    channel_actions.send_message(
        conversation, acknowledgement_text(ticket.code, ticket.due_at), subject=subject
    )


def notify_office(event: OutboxEvent) -> None:
    """Email the office that a case was routed or escalated to it (code and theme only)."""
    ticket = (
        Ticket.objects.select_related("office", "theme")
        .filter(pk=event.payload["ticket_id"])
        .first()
    )
    if ticket is None or ticket.office is None or not ticket.office.email:
        return
    if event.topic == "ticket.opened" and ticket.level != 2:
        return
    theme = ticket.theme.name if ticket.theme else "senza tema"
    kind = ticket.get_kind_display()
    text = f"Il caso {ticket.code} ({kind}, {theme}) è assegnato al vostro ufficio."
    if ticket.due_at:
        text += f" Scadenza: {timezone.localtime(ticket.due_at):%d/%m/%Y}."
    send_mail(
        subject=header_text(f"[{ticket.code}] Nuovo caso per {ticket.office.name}"),
        message=text,
        from_email=None,
        recipient_list=[ticket.office.email],
    )
