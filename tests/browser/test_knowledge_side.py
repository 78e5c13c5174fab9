"""The knowledge base beside a case, in Chromium at 1366×768 and 390×844: the operator searches,
opens an internal procedure in place (HTMX, no page load), reads it with the case's values
filled in, marks that it helped; axe-core finds nothing serious or critical."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser, Page, expect

from ascolto.knowledge.models import Article, ArticleHelpful
from ascolto.tickets.models import Ticket
from tests import factories, personas
from tests.browser.conftest import leave, serious_violations, watch_csp

pytestmark = pytest.mark.django_db(transaction=True)

WIDE = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def tabs() -> Iterator[list[Page]]:
    opened: list[Page] = []
    yield opened
    for tab in opened:
        leave(tab)
        violations = tab.csp_violations  # type: ignore[attr-defined]
        tab.context.close()
        assert violations == [], f"Content-Security-Policy violations: {violations}"


def _tab(browser: Browser, live_server: Any, user: Any, viewport: dict[str, int]) -> Page:
    context = browser.new_context(base_url=live_server.url, locale="it-IT", viewport=viewport)
    context.set_default_timeout(10_000)
    client = Client()
    client.force_login(user)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    tab = context.new_page()
    tab.csp_violations = watch_csp(tab)  # type: ignore[attr-defined]
    return tab


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1366x768", "390x844"])
def test_search_and_read_an_article_beside_the_case(
    browser: Browser, live_server: Any, cast: personas.Cast, tabs: list[Page], viewport: Any
) -> None:
    ticket = factories.ticket_in(Ticket.Status.NEW, actor=cast.operator, office=cast.tari)
    article = Article.objects.create(
        slug="procedura-rimborso",
        title="Procedura interna rimborso TARI",
        summary="Verifiche prima di inoltrare un rimborso all'ufficio tributi.",
        body="Controlla i versamenti della pratica {codice} nel gestionale.",
        keywords="tari, rimborso",
        audience=Article.Audience.INTERNAL,
    )
    tab = _tab(browser, live_server, cast.operator, viewport)
    tabs.append(tab)
    tab.goto(f"/console/cases/{ticket.code}/")
    url = tab.url

    search = tab.get_by_role("searchbox", name="Cerca un articolo o una procedura")
    search.fill("rimborso")
    search.press("Enter")
    link = tab.locator("#kb-side-results").get_by_role("link", name=article.title)
    expect(link).to_be_visible()
    link.click()
    opened = tab.locator("#kb-side-article")
    expect(opened).to_contain_text(f"Controlla i versamenti della pratica {ticket.code}")
    expect(opened).to_contain_text("Solo operatori")
    assert tab.url == url  # opened in place
    assert serious_violations(tab) == []

    opened.get_by_role("button", name="Questa risposta è servita").click()
    expect(opened).to_contain_text("Segnata come utile per questo caso")
    assert ArticleHelpful.objects.filter(article=article, case=ticket).count() == 1
    assert tab.url == url


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1366x768", "390x844"])
def test_the_knowledge_pages_pass_axe(
    browser: Browser, live_server: Any, cast: personas.Cast, tabs: list[Page], viewport: Any
) -> None:
    Article.objects.create(
        slug="passo-carrabile",
        title="Passo carrabile",
        summary="Il permesso si chiede allo sportello mobilità.",
        body="Testo.",
        kind=Article.Kind.TEMPLATE,
        audience=Article.Audience.INTERNAL,
    )
    tab = _tab(browser, live_server, cast.supervisor, viewport)
    tabs.append(tab)
    for url in (
        "/console/conoscenza/?q=passo",
        "/console/conoscenza/passo-carrabile/",
        "/console/conoscenza/passo-carrabile/modifica/",
        "/console/conoscenza/passo-carrabile/versioni/",
        "/console/conoscenza/nuovo/",
    ):
        tab.goto(url)
        assert serious_violations(tab) == [], url
    tab.goto("/console/calls/new/")
    assert tab.get_by_role("searchbox", name="Cerca un articolo o una procedura").is_visible()
    assert serious_violations(tab) == []


def test_an_article_inserted_in_the_reply_opens_beside_to_be_marked(
    browser: Browser, live_server: Any, cast: personas.Cast, tabs: list[Page]
) -> None:
    ticket = factories.ticket_in(Ticket.Status.NEW, actor=cast.operator, office=cast.tari)
    article = Article.objects.create(
        slug="modello-ricevuta",
        title="Modello ricevuta",
        summary="Conferma di ricezione.",
        body="Abbiamo ricevuto la richiesta {codice}.",
        kind=Article.Kind.TEMPLATE,
    )
    tab = _tab(browser, live_server, cast.operator, WIDE)
    tabs.append(tab)
    tab.goto(f"/console/cases/{ticket.code}/")
    tab.keyboard.press("r")
    reply = tab.get_by_label("Risposta al cittadino")
    expect(reply).to_be_focused()
    tab.keyboard.type("#")
    tab.keyboard.type("ricevuta")
    expect(tab.locator("#snippet-list").get_by_role("option").first).to_contain_text(article.title)
    tab.keyboard.press("Enter")
    expect(reply).to_be_focused()
    assert reply.input_value().startswith(f"Abbiamo ricevuto la richiesta {ticket.code}.")
    beside = tab.locator("#kb-side-article")
    beside.get_by_role("button", name="Questa risposta è servita").click()
    expect(beside).to_contain_text("Segnata come utile per questo caso")
    assert ArticleHelpful.objects.filter(article=article, user=cast.operator, case=ticket).exists()
