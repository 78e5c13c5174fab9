"""Replies reach the citizen by a real SMTP server, whatever line breaks their request carried.

Browsers send a textarea's line breaks as CRLF; a header built from that text (the case subject
quotes the request's first words) must still be a clean, single line, or the mail library
refuses the whole message and the reply never leaves the queue.
"""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from ascolto.channels.inbound import InboundMessage
from ascolto.channels.models import Message
from ascolto.core.text import header_text
from ascolto.tickets import actions
from ascolto.tickets.models import Ticket
from ascolto.web.forms.scrivi import forget_taxonomy
from tests import factories, personas
from tests.web.test_scrivi import form as scrivi_form

pytestmark = pytest.mark.django_db


@dataclass
class Mailbox:
    """What the SMTP server received: one parsed email per DATA."""

    received: list[email.message.EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append(parsed)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp(settings: Any) -> Iterator[Mailbox]:
    """A real SMTP server on a loopback port, with Django's SMTP backend pointed at it."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield mailbox
    finally:
        controller.stop()


def test_a_reply_to_a_multi_line_scrivi_request_is_delivered_with_a_clean_subject(
    cast: personas.Cast, client: Client, smtp: Mailbox, django_capture_on_commit_callbacks: Any
) -> None:
    cache.clear()
    forget_taxonomy()
    text = "Buongiorno,\r\nvorrei sapere\r\ncome pagare la TARI.\r\nGrazie"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("scrivi:home"), scrivi_form(description=text))
    assert response.status_code == 303
    ticket = Ticket.objects.get()
    assert "\r" not in ticket.description and "\r" not in ticket.subject
    assert ticket.description == "Buongiorno,\nvorrei sapere\ncome pagare la TARI.\nGrazie"

    with django_capture_on_commit_callbacks(execute=True):
        reply = actions.reply_to_ticket(ticket, "Con il modello F24.", actor=cast.operator)

    assert Message.objects.get(pk=reply.pk).status == Message.Status.SENT
    subjects = [str(m["Subject"]) for m in smtp.received]
    assert subjects == [
        f"[{ticket.code}] Richiesta ricevuta",
        f"[{ticket.code}] Buongiorno, vorrei sapere come pagare la TARI. Grazie",
    ]
    assert smtp.received[1].get_content().strip() == "Con il modello F24."


def test_a_case_whose_subject_already_holds_line_breaks_still_gets_its_reply(
    cast: personas.Cast, smtp: Mailbox, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = factories.open_case("Richiesta")
    # A case stored before line endings were normalised at intake.
    Ticket.objects.filter(pk=ticket.pk).update(subject="Prima riga\r\nseconda\rterza\n")
    ticket.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        reply = actions.reply_to_ticket(ticket, "Risposta.", actor=cast.operator)

    assert Message.objects.get(pk=reply.pk).status == Message.Status.SENT
    assert [str(m["Subject"]) for m in smtp.received][-1] == (
        f"[{ticket.code}] Prima riga seconda terza"
    )


def test_every_adapter_hands_intake_normalised_line_endings() -> None:
    inbound = factories.scrivi_message("uno\r\ndue\rtre\n", subject="Oggetto\r\nsu due righe")
    assert inbound.text == "uno\ndue\ntre\n"
    assert inbound.subject == "Oggetto\nsu due righe"
    assert isinstance(inbound, InboundMessage)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Oggetto\r\nsu due righe", "Oggetto su due righe"),
        ("tab\there\x0b\x0cand\u2028more\u0085end", "tab here and more end"),
        ("  spazi   e\n\n\nrighe  ", "spazi e righe"),
        ("", ""),
    ],
)
def test_a_header_from_citizen_text_is_one_clean_line(raw: str, clean: str) -> None:
    assert header_text(raw) == clean


def test_a_header_from_citizen_text_is_capped() -> None:
    value = header_text("parola " * 100, limit=40)
    assert len(value) <= 40 and value.endswith("…")
