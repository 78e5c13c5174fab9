"""In real Chromium: the survey box on a resolved Scrivi request's status page, and the page
rating embedded in a page of the city's portal, served from another origin (a second loopback
server), its stars sending the score cross-origin to our endpoint and its follow-up completing
it, with no Content-Security-Policy violation on our pages."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.cache import cache
from playwright.sync_api import Page, expect

from ascolto.surveys.models import Invitation, PageRating, Survey
from ascolto.surveys.tokens import invitation_of
from ascolto.tickets import actions
from ascolto.tickets.models import Ticket
from tests import factories, personas
from tests.browser.conftest import serious_violations
from tests.invitation_cases import open_survey

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh() -> None:
    cache.clear()


def test_a_resolved_scrivi_request_shows_the_survey_box_on_its_status_page(
    page: Page, cast: personas.Cast
) -> None:
    open_survey("dopo-pratica", Survey.Trigger.CASE_RESOLVED)
    ticket = Ticket.objects.get(pk=factories.submit_scrivi().ticket_id)
    ticket = actions.resolve_ticket(ticket, "Ecco come pagare.", actor=cast.operator)
    invitation = Invitation.objects.get()  # by the outbox, once the resolution committed
    assert invitation.via == Invitation.Via.STATUS_PAGE

    page.goto(f"/scrivi/pratica/{ticket.code}/")
    box = page.locator("#survey-invitation")
    expect(box).to_be_visible()
    href = box.get_by_role("link", name="Rispondi al questionario").get_attribute("href")
    assert href is not None and href.startswith("/scrivi/questionario/")
    assert invitation_of(href.rstrip("/").rsplit("/", 1)[1]) == invitation
    assert serious_violations(page) == []


@pytest.fixture
def portal(live_server: Any) -> Iterator[str]:
    """A page of the city's portal on another origin (another loopback port), including our
    script as the portal's web team would."""
    html = (
        "<!doctype html><html lang='it'><head><title>Anagrafe - Comune</title></head><body>"
        "<main><h1>Certificati anagrafici</h1><div data-ascolto-rating></div></main>"
        f"<script src='{live_server.url}/static/web/portal/rating.js'></script>"
        "</body></html>"
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(html)))
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_the_page_rating_works_on_a_portal_page_of_another_origin(
    page: Page, portal: str, settings: Any, live_server: Any
) -> None:
    settings.ASCOLTO_PORTAL_ORIGINS = (portal,)
    assert not live_server.url.startswith(portal)
    page.goto(f"{portal}/servizi/anagrafe/certificati")
    rating = page.locator("[data-ascolto-rating]")
    expect(
        rating.get_by_text("Quanto sono chiare le informazioni su questa pagina?")
    ).to_be_visible()
    rating.get_by_role("button", name="Valuta 2 stelle su 5").click()
    expect(rating.get_by_text("Dove hai incontrato le maggiori difficoltà?")).to_be_visible()
    rating.get_by_label("Ho avuto problemi tecnici").check()
    rating.get_by_role("button", name="Invia").click()
    expect(rating.get_by_text("Grazie per il tuo suggerimento!")).to_be_visible()

    stored = PageRating.objects.get()
    assert (stored.origin, stored.page, stored.score, stored.reason) == (
        portal,
        "/servizi/anagrafe/certificati",
        2,
        "technical",
    )


def test_a_portal_not_allowed_gets_no_rating_stored(page: Page, portal: str, settings: Any) -> None:
    settings.ASCOLTO_PORTAL_ORIGINS = ("https://www.comune.example.it",)
    page.goto(f"{portal}/servizi/")
    page.locator("[data-ascolto-rating]").get_by_role("button", name="Valuta 5 stelle su 5").click()
    expect(page.get_by_text("Non è stato possibile registrare il voto.")).to_be_visible()
    assert not PageRating.objects.exists()
