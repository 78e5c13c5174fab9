"""The tracking code and the status page reveal nothing personal to a guesser: codes drawn from
a space too large to search, and a page that shows replies without the citizen's contact data
(email, phone, fiscal code, full name), even when the operator's reply quotes them."""

from __future__ import annotations

import math

import pytest
from django.test import Client
from django.urls import reverse

from ascolto.tickets import actions, codes
from ascolto.tickets.models import Ticket
from tests import factories, personas

pytestmark = pytest.mark.django_db

EMAIL = "maria.rossi@example.it"
PHONE = "+39 333 123 4567"
FISCAL_CODE = personas.MARIA_FISCAL_CODE


def test_tracking_codes_need_more_than_a_billion_billion_guesses() -> None:
    space = len(codes.ALPHABET) ** 12
    assert space == 2**60
    assert space > 10**18
    # Even with a million cases open, a guess hits one with odds below one in a trillion...
    assert 1_000_000 / space < 1e-12
    # ...and at the status page's default of 20 misses an hour per address, a guesser needs
    # thousands of billions of address-hours for an even chance.
    assert space / 1_000_000 / 2 / 20 > 10**10
    assert math.log2(space) == 60


def test_the_status_page_shows_replies_without_the_citizens_contact_data(
    cast: personas.Cast,
) -> None:
    received = factories.submit_scrivi(
        "Vi scrivo per la TARI.", email=EMAIL, phone=PHONE, fiscal_code=FISCAL_CODE
    )
    assert received.ticket_id is not None
    ticket = Ticket.objects.get(pk=received.ticket_id)
    assert ticket.citizen is not None and ticket.citizen.fiscal_code == FISCAL_CODE
    actions.reply_to_ticket(
        ticket,
        "Gentile Maria Rossi, abbiamo verificato il codice fiscale rssmra80c52f205l. "
        "Le scriveremo a MARIA.ROSSI@example.it o la chiameremo al 333.123.45.67 "
        "(oppure 0039 3331234567). Per informazioni: tributi@comune.example.it, 02 0202.",
        actor=cast.operator,
    )
    html = Client().get(reverse("scrivi:status", args=[ticket.code])).content.decode()
    lowered = html.lower()
    for secret in ("maria.rossi", "rssmra80c52f205l", "maria rossi", "333", "4567"):
        assert secret not in lowered, secret
    assert "abbiamo verificato il codice fiscale […]" in html
    # What is not the citizen's stays: the office's own address and number.
    assert "tributi@comune.example.it" in html and "02 0202" in html
    # Nor the citizen's own text, nor their name, anywhere on the page.
    assert "Vi scrivo per la TARI" not in html
