"""A reply that could not be delivered shows on the case with its reason, and can be sent again."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ascolto.channels.actions import deliver_message
from ascolto.channels.models import Message
from ascolto.tickets import actions
from ascolto.tickets.models import Ticket, TicketEvent
from tests import factories, personas

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _failed_reply(cast: personas.Cast, settings: Any, capture: Any) -> tuple[Ticket, Message]:
    """A reply whose every try failed: the mail server refused it until the last one."""
    with capture(execute=True):
        ticket = factories.open_case("Quando arriva il rimborso?")
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _closed_port()
    reply = actions.reply_to_ticket(ticket, "Entro trenta giorni.", actor=cast.operator)
    deliver_message(reply.pk, attempt=20, last_attempt=True)
    reply.refresh_from_db()
    assert reply.status == Message.Status.FAILED
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # back up
    return ticket, reply


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_the_case_page_shows_a_failed_reply_with_its_reason_and_a_resend_button(
    cast: personas.Cast, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ticket, reply = _failed_reply(cast, settings, django_capture_on_commit_callbacks)

    page = _client(cast.operator).get(reverse("console:case", args=[ticket.code]))

    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="failed-replies"' in html  # told at the top of the page
    assert "Non inviato" in html and "ConnectionRefusedError" in html
    resend = reverse("console:case-action", args=[ticket.code, "resend"])
    assert f'action="{resend}"' in html
    assert f'name="message" value="{reply.pk}"' in html
    assert "Reinvia" in html


def test_an_operator_sends_a_failed_reply_again_and_it_is_delivered(
    cast: personas.Cast, settings: Any, django_capture_on_commit_callbacks: Any, mailoutbox: Any
) -> None:
    ticket, reply = _failed_reply(cast, settings, django_capture_on_commit_callbacks)
    mailoutbox.clear()
    client = _client(cast.operator)
    url = reverse("console:case-action", args=[ticket.code, "resend"])

    asked = client.post(url, {"message": reply.pk})  # without JavaScript: a confirmation step
    assert asked.status_code == 200
    assert "Inviare di nuovo la risposta al cittadino?" in asked.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {"message": reply.pk, "confirmed": "True"})

    assert done.status_code == 302
    reply.refresh_from_db()
    assert (reply.status, reply.last_error) == (Message.Status.SENT, "")
    assert [m.body for m in mailoutbox] == ["Entro trenta giorni."]
    event = ticket.events.filter(kind=TicketEvent.Kind.REPLIED).latest("pk")
    assert event.data == {"message": reply.pk, "resent": True}
    assert event.actor == cast.operator
    page = client.get(reverse("console:case", args=[ticket.code])).content.decode()
    assert "Risposta inviata di nuovo al cittadino." in page
    assert 'id="failed-replies"' not in page


def test_only_a_failed_reply_of_this_case_can_be_sent_again(
    cast: personas.Cast, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ticket, reply = _failed_reply(cast, settings, django_capture_on_commit_callbacks)
    client = _client(cast.operator)
    other = factories.open_case("Altro", email="luca@example.it")
    other_reply = actions.reply_to_ticket(other, "Risposta.", actor=cast.operator)
    url = reverse("console:case-action", args=[ticket.code, "resend"])

    foreign = client.post(url, {"message": other_reply.pk, "confirmed": "True"})
    assert foreign.status_code == 400

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"message": reply.pk, "confirmed": "True"})
    again = client.post(url, {"message": reply.pk, "confirmed": "True"})
    assert again.status_code == 400
    assert "non è tra quelle non consegnate" in again.content.decode()
    assert Message.objects.get(pk=reply.pk).status == Message.Status.SENT


def test_an_operator_out_of_scope_cannot_resend(
    cast: personas.Cast, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ticket, reply = _failed_reply(cast, settings, django_capture_on_commit_callbacks)
    url = reverse("console:case-action", args=[ticket.code, "resend"])

    response = _client(cast.anagrafe_operator).post(url, {"message": reply.pk, "confirmed": "True"})

    assert response.status_code == 404
    assert Message.objects.get(pk=reply.pk).status == Message.Status.FAILED
