"""The error pages in a browser: the site's layout with its fonts, readable by assistive
technology (axe), with the incident id on the 500."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import serious_violations

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls("tests.web.error_urls")]


def test_the_404_page_is_the_sites_own_and_accessible(page: Page) -> None:
    response = page.goto("/non-esiste/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Pagina non trovata")
    expect(page.get_by_role("link", name="Vai alla pagina iniziale")).to_be_visible()
    # Bootstrap Italia's typeface comes from web/fonts.css (hashed URLs in production).
    loaded = page.evaluate(
        "async () => (await document.fonts.load('16px \"Titillium Web\"')).length"
    )
    assert loaded > 0
    assert serious_violations(page) == []


def test_the_500_page_shows_its_incident_id(page: Page) -> None:
    response = page.goto("/test-errors/boom/")
    assert response is not None and response.status == 500
    expect(page.get_by_role("heading", level=1)).to_have_text("Si è verificato un errore")
    expect(page.locator("#incident")).to_have_text(re.compile(r"^[0-9a-f]{12}$"))
    assert serious_violations(page) == []
