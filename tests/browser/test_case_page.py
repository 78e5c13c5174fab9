"""The case page in Chromium: an operator passes a case to an office, the office operator
answers the citizen; the page has no serious accessibility violation; the confirmation step
works without JavaScript; a duplicate merged into another office's case shows only what it
held and offers no action."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from playwright.sync_api import Browser, Page, expect

from ascolto.channels.models import Message
from ascolto.tickets import actions
from ascolto.tickets.models import Ticket
from tests import factories, personas
from tests.browser.conftest import serious_violations

pytestmark = pytest.mark.django_db(transaction=True)


def _id(ticket_id: int | None) -> int:
    assert ticket_id is not None, "the message opened no case"
    return ticket_id


def _scrivi_case() -> Ticket:
    received = factories.submit_scrivi(
        "Buongiorno, non ho ricevuto l'avviso di pagamento TARI per il 2026.",
        email=personas.MARIA_EMAIL,
        fiscal_code=personas.MARIA_FISCAL_CODE,
    )
    return Ticket.objects.get(pk=_id(received.ticket_id))


def test_an_operator_escalates_and_the_office_operator_replies(
    page: Page, sign_in: Any, cast: personas.Cast
) -> None:
    ticket = _scrivi_case()

    sign_in(cast.operator)
    page.goto(f"/console/cases/{ticket.code}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Caso {ticket.code}")
    expect(page.locator("#thread")).to_contain_text("non ho ricevuto l'avviso")
    expect(page.locator("#citizen-panel")).to_contain_text("Maria Rossi")
    assert serious_violations(page) == []

    page.get_by_text("Passa a un ufficio", exact=True).click()
    page.get_by_label("Ufficio", exact=True).select_option(label="Ufficio TARI")
    page.get_by_label("Nota per l'ufficio (facoltativa)").fill("Verificare l'invio dell'avviso.")
    page.get_by_role("button", name="Passa all'ufficio").click()
    page.get_by_role("dialog").get_by_role("button", name="Conferma").click()

    expect(page.get_by_role("status").first).to_contain_text("Caso passato all'ufficio.")
    expect(page.locator("#case-status")).to_have_text("Assegnato a un ufficio")
    expect(page.locator("#case-office")).to_have_text("Ufficio TARI")
    expect(page.locator("#timeline")).to_contain_text("Passato all'ufficio Ufficio TARI.")

    sign_in(cast.office_operator)
    page.goto(f"/console/cases/{ticket.code}/")
    expect(page.locator("#thread")).to_contain_text("Verificare l'invio dell'avviso.")
    page.get_by_label("Risposta al cittadino").fill("L'avviso è stato rispedito oggi.")
    page.get_by_role("button", name="Invia la risposta").click()
    page.get_by_role("dialog").get_by_role("button", name="Conferma").click()

    expect(page.get_by_role("status").first).to_contain_text("Risposta inviata al cittadino.")
    expect(page.locator("#thread")).to_contain_text("L'avviso è stato rispedito oggi.")
    reply = Message.objects.get(direction=Message.Direction.OUTBOUND, author=cast.office_operator)
    assert reply.text == "L'avviso è stato rispedito oggi."
    assert serious_violations(page) == []


def test_a_refused_action_says_why_and_keeps_the_text(
    page: Page, sign_in: Any, cast: personas.Cast
) -> None:
    ticket = factories.ticket_in(
        Ticket.Status.OFFICE, actor=cast.operator, office=cast.tari, level=2
    )
    sign_in(cast.operator)
    page.goto(f"/console/cases/{ticket.code}/")
    page.get_by_text("Assegna", exact=True).click()
    page.get_by_label("Team", exact=True).select_option(label="Back office TARI (Ufficio TARI)")
    page.get_by_label("Operatore", exact=True).select_option(
        label="Giulia Verdi (Operatore di primo livello · Contact center 020202)"
    )
    page.get_by_role("button", name="Assegna il caso").click()
    page.get_by_role("dialog").get_by_role("button", name="Conferma").click()

    expect(page.locator("#case-error")).to_contain_text(
        "L'operatore Giulia Verdi non fa parte del team Back office TARI."
    )
    expect(page.get_by_label("Team", exact=True)).to_have_value(str(cast.tari_team.pk))
    assert serious_violations(page) == []


def test_without_javascript_an_action_asks_for_confirmation_first(
    browser: Browser, live_server: Any, cast: personas.Cast
) -> None:
    from django.conf import settings
    from django.test import Client

    ticket = factories.open_case()
    client = Client()
    client.force_login(cast.operator)
    context = browser.new_context(
        base_url=live_server.url, locale="it-IT", java_script_enabled=False
    )
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
    try:
        tab.goto(f"/console/cases/{ticket.code}/")
        tab.get_by_text("Nota interna", exact=True).click()
        tab.get_by_label("Nota interna (visibile solo agli operatori)").fill("Richiamare lunedì.")
        tab.get_by_role("button", name="Aggiungi la nota").click()

        expect(tab.get_by_role("heading", level=1)).to_have_text(
            "Aggiungere la nota interna al caso?"
        )
        assert not Message.objects.filter(direction=Message.Direction.NOTE).exists()
        tab.get_by_role("button", name="Conferma: Aggiungi la nota").click()
        expect(tab.locator("#thread")).to_contain_text("Richiamare lunedì.")
    finally:
        context.close()


def test_a_duplicate_merged_into_another_office_shows_only_what_it_held(
    page: Page, sign_in: Any, cast: personas.Cast
) -> None:
    monday = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(monday, tick=False):
        duplicate = factories.ticket_in(
            Ticket.Status.OFFICE, actor=cast.operator, office=cast.tari, level=2, text="Prima."
        )
        kept = factories.ticket_in(
            Ticket.Status.OFFICE, actor=cast.operator, office=cast.anagrafe, level=2, text="Bis."
        )
    with time_machine.travel(monday + timedelta(hours=1), tick=False):
        actions.merge_tickets(duplicate, kept, actor=cast.supervisor)
    with time_machine.travel(monday + timedelta(hours=2), tick=False):
        factories.citizen_answers(duplicate, "Ecco il contratto.")  # continues the kept case
        actions.add_ticket_note(kept, "Nota riservata dell'Anagrafe.", actor=cast.anagrafe_operator)

    sign_in(cast.office_operator)
    page.goto(f"/console/cases/{duplicate.code}/")

    expect(page.locator("#thread")).to_contain_text("Prima.")
    expect(page.locator("#thread")).not_to_contain_text("Nota riservata")
    expect(page.locator("#thread")).not_to_contain_text("Ecco il contratto.")
    expect(page.get_by_role("button", name="Aggiungi la nota")).to_have_count(0)
    expect(page.locator("#refused-actions")).to_contain_text(
        f"è stato unito al caso {kept.code}: lavora su quello"
    )
    assert serious_violations(page) == []
