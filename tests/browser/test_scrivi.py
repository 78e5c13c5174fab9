"""Scrivi in real Chromium: a citizen submits the form and follows the request; an invalid
form keeps what was typed; the page rating's steps; no serious accessibility violation."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.cache import cache
from playwright.sync_api import Page, expect

from ascolto.demo.knowledge import seed_articles
from ascolto.surveys.models import PageRating
from ascolto.tickets.models import Ticket
from ascolto.web.forms.scrivi import forget_taxonomy
from tests import personas
from tests.browser.conftest import serious_violations, tick_privacy

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh() -> None:
    cache.clear()
    forget_taxonomy()


def fill_identity(page: Page) -> None:
    page.locator("#id_first_name").fill("Maria")
    page.locator("#id_last_name").fill("Rossi")
    page.locator("#id_email").fill(personas.MARIA_EMAIL)


def test_a_citizen_submits_the_form_and_follows_the_request(page: Page, cast: Any) -> None:
    seed_articles()
    page.goto("/scrivi/")
    assert serious_violations(page) == []
    page.get_by_label("Richiesta di informazioni o verifica").check(
        force=True
    )  # Bootstrap Italia draws the box over the input
    page.locator("#id_area").select_option("tributi")
    # HTMX narrows the services to the chosen category.
    expect(page.locator("#id_service optgroup")).to_have_count(0)
    page.locator("#id_service").select_option("tari")
    page.locator("#id_description").press_sequentially("Come posso pagare la tassa rifiuti?")
    expect(page.locator("#suggestions")).to_contain_text("TARI: come pagare la tassa rifiuti")
    expect(page.locator("#description-count")).to_contain_text("Caratteri rimanenti")
    fill_identity(page)
    tick_privacy(page)
    page.get_by_role("button", name="Invia la richiesta").click()

    expect(page.get_by_role("heading", name="Richiesta inviata")).to_be_visible()
    code = page.locator("#tracking-code").inner_text()
    assert Ticket.objects.filter(code=code).exists()
    assert serious_violations(page) == []

    page.get_by_role("link", name="Segui la tua richiesta").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(code)
    expect(page.locator("#request-status")).to_have_text("Ricevuta")
    expect(page.locator("#replies")).to_contain_text("Il codice della pratica è " + code)
    assert serious_violations(page) == []


def test_an_invalid_form_shows_its_errors_without_losing_what_was_typed(
    page: Page, cast: Any
) -> None:
    page.goto("/scrivi/")
    page.get_by_label("Reclamo").check(force=True)  # Bootstrap Italia draws the box over the input
    page.locator("#id_area").select_option("mobilita")
    expect(page.locator("#id_service optgroup")).to_have_count(0)  # narrowed by HTMX
    page.locator("#id_service").select_option("pass-sosta")
    page.locator("#id_description").fill("Il permesso non mi è ancora arrivato.")
    page.locator("#id_first_name").fill("Maria")
    page.locator("#id_email").fill("maria-at-example")
    page.get_by_role("button", name="Invia la richiesta").click()

    expect(page.get_by_role("alert")).to_contain_text("correggi i campi segnalati")
    expect(page.locator("#id_email_errors")).to_contain_text("non è valido")
    expect(page.locator("#id_last_name_errors")).to_contain_text("Scrivi il tuo cognome.")
    expect(page.locator("#id_privacy_errors")).to_be_visible()
    expect(page.get_by_label("Reclamo")).to_be_checked()
    expect(page.locator("#id_area")).to_have_value("mobilita")
    expect(page.locator("#id_service")).to_have_value("pass-sosta")
    expect(page.locator("#id_description")).to_have_value("Il permesso non mi è ancora arrivato.")
    expect(page.locator("#id_first_name")).to_have_value("Maria")
    expect(page.locator("#id_email")).to_have_value("maria-at-example")
    assert serious_violations(page) == []
    assert not Ticket.objects.exists()


def test_the_page_rating_steps(page: Page, cast: Any) -> None:
    page.goto("/scrivi/pratica/")
    rating = page.locator("[data-element=feedback]")
    rating.locator("label[for=rating-star-4]").click()  # the star a person clicks
    expect(rating.get_by_role("radio", name="Valuta 4 stelle su 5")).to_be_checked()
    rating.get_by_role("button", name="Invia il voto").click()
    expect(rating.locator("[data-element=feedback-rating-question]")).to_have_text(
        "Quali sono stati gli aspetti che hai preferito?"
    )
    rating.get_by_label("Le indicazioni erano chiare").check(
        force=True
    )  # Bootstrap Italia draws the box over the input
    rating.get_by_role("button", name="Avanti").click()
    rating.get_by_label("Commento (facoltativo)").fill("Tutto chiaro.")
    rating.get_by_role("button", name="Invia").click()
    expect(rating.get_by_role("status")).to_contain_text("Grazie")
    expect(page).to_have_url(re.compile(r"/scrivi/pratica/$"))  # HTMX: no page change
    saved = PageRating.objects.get()
    assert (saved.page, saved.score, saved.reason, saved.comment) == (
        "/scrivi/pratica/",
        4,
        "clear",
        "Tutto chiaro.",
    )
