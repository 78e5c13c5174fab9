"""A reply the mail server never took shows on the case page with its reason; an operator sends
it again from the thread, and the citizen gets it."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from ascolto.channels.actions import deliver_message
from ascolto.channels.models import Message
from ascolto.tickets import actions
from tests import factories, personas
from tests.browser.conftest import serious_violations

pytestmark = pytest.mark.django_db(transaction=True)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_operator_resends_a_reply_that_was_not_delivered(
    page: Page, sign_in: Any, cast: personas.Cast, settings: Any
) -> None:
    ticket = factories.open_case("Quando arriva il rimborso?")
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _closed_port()
    reply = actions.reply_to_ticket(ticket, "Entro trenta giorni.", actor=cast.operator)
    deliver_message(reply.pk, attempt=20, last_attempt=True)  # its last try failed too
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # back up
    mail.outbox = []

    sign_in(cast.operator)
    page.goto(f"/console/cases/{ticket.code}/")
    expect(page.locator("#failed-replies")).to_contain_text("non è stata consegnata")
    expect(page.locator(f"#message-{reply.pk}")).to_contain_text("ConnectionRefusedError")
    assert serious_violations(page) == []

    page.locator(f"#message-{reply.pk}").get_by_role("button", name="Reinvia").click()
    page.get_by_role("dialog").get_by_role("button", name="Conferma").click()

    expect(page.get_by_role("status").first).to_contain_text("Risposta rimessa in coda di invio.")
    expect(page.locator("#failed-replies")).to_have_count(0)
    expect(page.locator("#timeline")).to_contain_text("Risposta inviata di nuovo al cittadino.")
    assert Message.objects.get(pk=reply.pk).status == Message.Status.SENT
    assert [m.body for m in mail.outbox] == ["Entro trenta giorni."]
