"""In real Chromium: the citizen opens the link of the question's mail and answers on the status
page; the case goes back to work with the answer in its thread. No serious accessibility
violation on the page, with its reply box or after the answer."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.cache import cache
from playwright.sync_api import Page, expect

from ascolto.channels.models import Message
from ascolto.tickets import actions
from ascolto.tickets.models import Ticket
from tests import factories
from tests.browser.conftest import serious_violations

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh() -> None:
    cache.clear()


def test_a_citizen_answers_the_question_on_the_status_page(page: Page, cast: Any) -> None:
    received = factories.submit_scrivi("C'è una buca in via Roma.", theme="tari")
    ticket = Ticket.objects.get(pk=received.ticket_id)
    actions.wait_for_citizen(
        ticket, actor=cast.operator, question="Ci può indicare il numero civico?"
    )
    [url] = re.findall(r"https?://\S+\?risposta=\S+", mail.outbox[-1].body)
    parts = urlsplit(url)

    page.goto(f"{parts.path}?{parts.query}")
    expect(page.locator("#request-status")).to_have_text("In attesa di una tua risposta")
    expect(page.locator("#replies")).to_contain_text("Ci può indicare il numero civico?")
    assert serious_violations(page) == []

    page.get_by_label("La tua risposta").fill("Il civico è il 12.")
    page.get_by_role("button", name="Invia la risposta").click()

    expect(page.get_by_role("status")).to_contain_text("la tua risposta è stata inviata")
    expect(page.locator("#request-status")).to_have_text("In lavorazione")
    expect(page.locator("#answer-form")).to_have_count(0)
    assert serious_violations(page) == []
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN
    last = Message.objects.filter(conversation__tickets=ticket).order_by("sent_at", "pk").last()
    assert last is not None and last.text == "Il civico è il 12."
