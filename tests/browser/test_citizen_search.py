"""The citizen search in real Chromium at 1366×768 and 390×844: the box in the console's
header finds a citizen by each key (suggestions while typing, the results page on Enter), a
tracking code opens its case, the citizen's page shows its sections, and the supervisors' wall
renders; axe finds no serious or critical violation on these pages at either size."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from ascolto.tickets.models import Ticket
from tests import factories, personas
from tests.browser.conftest import serious_violations

pytestmark = pytest.mark.django_db(transaction=True)

SIZES = [pytest.param((1366, 768), id="1366x768"), pytest.param((390, 844), id="390x844")]
MARIA_PHONE = "+393331234567"


def _maria() -> Ticket:
    received = factories.submit_scrivi(
        "Come pago la TARI?",
        email=personas.MARIA_EMAIL,
        phone=MARIA_PHONE,
        fiscal_code=personas.MARIA_FISCAL_CODE,
        first_name="Maria",
        last_name="Rossì",
    )
    return Ticket.objects.get(pk=received.ticket_id)


@pytest.mark.parametrize("size", SIZES)
def test_search_by_every_key_from_the_header(
    page: Page, sign_in: Any, cast: personas.Cast, size: tuple[int, int]
) -> None:
    case = _maria()
    page.set_viewport_size({"width": size[0], "height": size[1]})
    sign_in(cast.operator)
    page.goto("/console/inbox/")
    box = page.get_by_role("searchbox", name="Trova cittadino o caso")
    expect(box).to_be_visible()

    # Suggestions while typing: accents and order do not matter.
    box.press_sequentially("rossi mar")
    suggestion = page.locator("#console-search-suggestions").get_by_role("link", name="Maria Rossì")
    expect(suggestion).to_be_visible()
    suggestion.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Maria Rossì")
    for section in ("Recapiti su ogni canale", "Casi", "Conversazioni", "Chiamate",
                    "Questionari di soddisfazione", "Consensi", "Possibili doppioni"):  # fmt: skip
        expect(page.get_by_role("heading", name=section, exact=True)).to_be_attached()
    expect(page.locator("#cases")).to_contain_text(case.code)
    assert serious_violations(page) == []

    # Each key, typed as an operator would, then Enter: the results page lists her.
    for typed in ("Maria Rossi", personas.MARIA_EMAIL.upper(), "333 123 4567",
                  personas.MARIA_FISCAL_CODE.lower()):  # fmt: skip
        box = page.get_by_role("searchbox", name="Trova cittadino o caso")
        box.fill(typed)
        box.press("Enter")
        expect(page.locator("#citizen-results-table")).to_contain_text("Maria Rossì")
    assert serious_violations(page) == []

    # A tracking code opens the case itself.
    box = page.get_by_role("searchbox", name="Trova cittadino o caso")
    box.fill(case.code.lower().replace("-", " "))
    box.press("Enter")
    expect(page).to_have_url(re.compile(f"/{case.code}/$"))


@pytest.mark.parametrize("size", SIZES)
def test_the_wall_is_readable_and_accessible(
    page: Page, sign_in: Any, cast: personas.Cast, size: tuple[int, int]
) -> None:
    _maria()
    page.set_viewport_size({"width": size[0], "height": size[1]})
    sign_in(cast.supervisor)
    page.goto("/console/overview/wall/")
    expect(page.locator("#wall-open")).to_have_text("1")
    expect(page.locator("#wall-intake")).to_have_text("1")
    assert serious_violations(page) == []


def test_nothing_found_says_so(page: Page, sign_in: Any, cast: personas.Cast) -> None:
    _maria()
    sign_in(cast.office_operator)  # Maria's case is not in the TARI office's scope
    page.goto("/console/inbox/")
    box = page.get_by_role("searchbox", name="Trova cittadino o caso")
    box.fill("Maria Rossi")
    box.press("Enter")
    expect(page.locator("#no-results")).to_be_visible()
    assert "Maria" not in page.url  # POSTed: nothing typed lands in a URL
    assert serious_violations(page) == []
