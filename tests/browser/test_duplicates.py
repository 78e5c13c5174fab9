"""Possible duplicates in real Chromium: an operator follows the console menu to the list, reads
the evidence of a handle typed into Scrivi that belongs to someone else, and merges or keeps
the two records apart; axe finds no serious or critical violation on the page."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from ascolto.citizens.models import Citizen, MergeSuggestion
from ascolto.tickets.models import Ticket
from tests import factories, personas
from tests.browser.conftest import serious_violations

pytestmark = pytest.mark.django_db(transaction=True)

MARIA_PHONE = "+393331234567"


def _attack() -> tuple[Ticket, Ticket]:
    maria = factories.submit_scrivi(
        "Come pago la TARI?", email=personas.MARIA_EMAIL, phone=MARIA_PHONE
    )
    luca = factories.submit_scrivi(
        "Passo carrabile",
        email="luca@example.it",
        phone=MARIA_PHONE,
        first_name="Luca",
        last_name="Bianchi",
    )
    return Ticket.objects.get(pk=maria.ticket_id), Ticket.objects.get(pk=luca.ticket_id)


def test_operator_keeps_two_records_apart_from_the_list(
    page: Page, sign_in: Any, cast: personas.Cast
) -> None:
    maria_case, luca_case = _attack()
    sign_in(cast.operator)
    page.goto("/console/inbox/")

    page.get_by_role("link", name="Possibili doppioni").click()

    expect(page.get_by_role("heading", name="Possibili doppioni", exact=True)).to_be_visible()
    card = page.locator(".duplicate")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Maria Rossi e Luca Bianchi")
    expect(card).to_contain_text(f"Telefono {MARIA_PHONE}: appartiene a Maria Rossi")
    expect(card).to_contain_text("Non coincidono: email, nome.")
    assert serious_violations(page) == []

    card.get_by_role("button", name="Tieni separati").click()

    expect(page.get_by_text("I due cittadini restano separati.")).to_be_visible()
    expect(page.locator("#no-duplicates")).to_be_visible()
    assert MergeSuggestion.objects.get().status == MergeSuggestion.Status.DISMISSED
    assert Ticket.objects.get(pk=luca_case.pk).citizen_id != maria_case.citizen_id


def test_operator_merges_two_records_from_the_list(
    page: Page, sign_in: Any, cast: personas.Cast
) -> None:
    maria_case, luca_case = _attack()
    sign_in(cast.supervisor)
    page.goto("/console/citizens/duplicates/")

    page.get_by_role("button", name="Unisci: è la stessa persona").click()

    expect(page.get_by_text("I due cittadini sono stati uniti in Maria Rossi.")).to_be_visible()
    assert Ticket.objects.get(pk=luca_case.pk).citizen_id == maria_case.citizen_id
    assert Citizen.objects.filter(merged_into=None).count() == 1
