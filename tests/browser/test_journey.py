"""The whole journey in real Chromium, across both faces of the web app: a citizen writes through
Scrivi → a first-level operator finds the request in the inbox → escalates it to the TARI office
→ the office operator answers → the citizen reads the answer on the status page. Another
office's operator can neither list nor open the case."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from playwright.sync_api import Browser, Page, expect

from ascolto.tickets.models import Ticket
from ascolto.web.forms.scrivi import forget_taxonomy
from tests import personas
from tests.browser.conftest import tick_privacy

pytestmark = pytest.mark.django_db(transaction=True)

QUESTION = "Non ho ricevuto l'avviso di pagamento della TARI per il 2026: come posso averlo?"
ANSWER = "L'avviso le è stato rispedito oggi all'indirizzo di residenza."


@pytest.fixture(autouse=True)
def _fresh() -> None:
    cache.clear()
    forget_taxonomy()


def citizen_writes(page: Page) -> str:
    page.goto("/scrivi/")
    page.get_by_label("Richiesta di informazioni o verifica").check(force=True)
    page.locator("#id_area").select_option("tributi")
    expect(page.locator("#id_service optgroup")).to_have_count(0)  # narrowed by HTMX
    page.locator("#id_service").select_option("tari")
    # The self-help suggestions appear half a second after typing and push the form down: wait
    # for them, or a click below may land where the box was.
    with page.expect_response(lambda r: "/scrivi/suggerimenti/" in r.url):
        page.locator("#id_description").fill(QUESTION)
    page.wait_for_load_state("networkidle")
    page.locator("#id_first_name").fill("Maria")
    page.locator("#id_last_name").fill("Rossi")
    page.locator("#id_email").fill(personas.MARIA_EMAIL)
    tick_privacy(page)
    page.get_by_role("button", name="Invia la richiesta").click()
    expect(page.get_by_role("heading", name="Richiesta inviata")).to_be_visible()
    return page.locator("#tracking-code").inner_text().strip()


def test_from_the_citizen_to_the_office_and_back(
    browser: Browser, live_server: Any, page: Page, sign_in: Any, cast: personas.Cast
) -> None:
    # 1. The citizen writes; the confirmation shows the code, and the email carries it.
    citizen = browser.new_context(base_url=live_server.url, locale="it-IT")
    citizen_page = citizen.new_page()
    code = citizen_writes(citizen_page)
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", code), code
    assert any(code in message.body for message in mail.outbox)

    # 2. A first-level operator finds it in the inbox by searching for a word of the request.
    sign_in(cast.operator)
    page.goto("/console/inbox/")
    page.get_by_label("Cerca").fill("avviso")
    page.get_by_role("link", name=code).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Caso {code}")
    expect(page.locator("#thread")).to_contain_text(QUESTION)

    # 3. ... and escalates it to the TARI office.
    page.get_by_text("Passa a un ufficio", exact=True).click()
    page.get_by_label("Ufficio", exact=True).select_option(label="Ufficio TARI")
    page.get_by_label("Nota per l'ufficio (facoltativa)").fill("Verificare la spedizione.")
    page.get_by_role("button", name="Passa all'ufficio").click()
    page.get_by_role("dialog").get_by_role("button", name="Conferma").click()
    expect(page.locator("#case-status")).to_have_text("Assegnato a un ufficio")

    # 4. Another office's operator does not see it: not in the inbox, 404 on its page.
    sign_in(cast.anagrafe_operator)
    page.goto("/console/inbox/")
    expect(page.get_by_role("link", name=code)).to_have_count(0)
    response = page.goto(f"/console/cases/{code}/")
    assert response is not None and response.status == 404
    expect(page.locator("body")).not_to_contain_text(QUESTION)

    # 5. The TARI office operator finds it in their inbox and answers the citizen.
    sign_in(cast.office_operator)
    page.goto("/console/inbox/")
    page.get_by_role("link", name=code).click()
    page.get_by_label("Risposta al cittadino").fill(ANSWER)
    page.get_by_role("button", name="Invia la risposta").click()
    page.get_by_role("dialog").get_by_role("button", name="Conferma").click()
    expect(page.get_by_role("status").first).to_contain_text("Risposta inviata al cittadino.")
    assert any(ANSWER in message.body for message in mail.outbox)

    # 6. The citizen reads the answer on the status page, which shows no personal data.
    citizen_page.goto("/scrivi/pratica/")
    citizen_page.get_by_label(re.compile("Codice")).first.fill(code.lower().replace("-", ""))
    citizen_page.get_by_role("button", name=re.compile("Cerca|Verifica|Vedi")).click()
    expect(citizen_page.get_by_role("heading", level=1)).to_contain_text(code)
    expect(citizen_page.locator("#replies")).to_contain_text(ANSWER)
    body = citizen_page.locator("body")
    for personal in ("Rossi", personas.MARIA_EMAIL, QUESTION, "Verificare la spedizione."):
        expect(body).not_to_contain_text(personal)
    ticket = Ticket.objects.get(code=code)
    assert ticket.office == cast.tari and ticket.first_response_at is not None
    citizen.close()
