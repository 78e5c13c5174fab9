"""The assistant's menu editor in the browser: a supervisor makes a draft of the published menu,
edits a card (picking its article by title), tries it in the simulator by tapping the bot's
list rows, publishes it; and adds a form, whose fields the simulator then asks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from ascolto.assistant import engine
from ascolto.assistant.models import MenuVersion, Session
from tests import personas
from tests.assistant.conftest import build_menu
from tests.browser.conftest import serious_violations

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def menu(cast: personas.Cast) -> Iterator[MenuVersion]:
    engine._trees.clear()
    yield build_menu(cast.administrator)
    engine._trees.clear()


def _draft(page: Page) -> None:
    page.goto("/console/assistente/")
    expect(page.locator("#menu-comune")).to_contain_text("Pubblicata")
    assert serious_violations(page) == []
    page.get_by_role("button", name="Crea bozza dalla versione pubblicata").click()
    expect(page.locator("#version-status")).to_have_text("Bozza")
    assert serious_violations(page) == []


def test_edit_a_card_preview_it_in_the_simulator_then_publish(
    page: Page, sign_in: Any, cast: personas.Cast, menu: MenuVersion
) -> None:
    sign_in(cast.supervisor)
    _draft(page)

    page.get_by_role("link", name="Modifica Carta d'identità").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Carta d'identità")
    # The parts of the form a card does not use are hidden.
    expect(page.locator("#kind-form")).to_be_hidden()
    expect(page.locator("#kind-card")).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_label("Etichetta").fill("CIE e documenti")
    page.get_by_label("Testo", exact=True).fill("Prenota sul sito dell'anagrafe, poi vieni.")
    # The article, searched by title as one types (HTMX fills the list).
    page.get_by_label("Cerca un articolo per titolo").fill("carrab")
    expect(page.locator("#id_article option")).to_have_count(3)  # the chosen one, a match, "—"
    page.get_by_label("Cerca un articolo per titolo").fill("carta")
    expect(page.locator("#id_article")).to_contain_text("Carta d'identità elettronica")
    page.get_by_label("Articolo", exact=True).select_option(label="Carta d'identità elettronica")
    page.get_by_role("button", name="Salva la voce").click()
    expect(page.locator(".alert-success")).to_contain_text("Voce «CIE e documenti» salvata.")
    expect(page.locator("#menu-tree")).to_contain_text("CIE e documenti")

    page.get_by_role("link", name="Prova nel simulatore").click()
    assert serious_violations(page) == []
    page.get_by_label("Il tuo messaggio").fill("ciao")
    page.get_by_role("button", name="Invia").click()
    transcript = page.locator("#transcript")
    expect(transcript.locator(".turn-citizen")).to_have_text(["Tu: ciao"])
    # The menu comes as a WhatsApp list: tap a row.
    page.get_by_role("button", name="A. Anagrafe").click()
    expect(transcript.locator(".turn-citizen").last).to_contain_text("A. Anagrafe")
    page.get_by_role("button", name="A. CIE e documenti").click()
    expect(transcript.locator(".turn-bot").last).to_contain_text(
        "Prenota sul sito dell'anagrafe, poi vieni."
    )
    expect(transcript.locator(".turn-bot").last).to_contain_text(
        "https://www.comune.example.it/cie"
    )
    # "indietro", typed, goes back to the submenu.
    page.get_by_label("Il tuo messaggio").fill("indietro")
    page.get_by_role("button", name="Invia").click()
    expect(transcript.locator(".turn-bot").last).to_contain_text("Servizi dell'anagrafe")
    assert serious_violations(page) == []
    assert Session.objects.count() == 0  # nothing of the simulation is kept

    page.get_by_role("link", name="Torna alla versione 2").click()
    page.get_by_role("button", name="Pubblica").click()
    page.get_by_role("dialog", name="Pubblicare questa bozza?").get_by_role(
        "button", name="Conferma"
    ).click()
    expect(page.locator(".alert-success")).to_contain_text("Versione 2 pubblicata")
    expect(page.locator("#version-status")).to_have_text("Pubblicata")
    statuses = dict(MenuVersion.objects.values_list("number", "status"))
    assert statuses == {1: "retired", 2: "published"}
    published = MenuVersion.objects.get(number=2)
    assert published.published_by == cast.supervisor
    assert published.nodes.get(label="CIE e documenti").article is not None


def test_add_a_form_and_fill_it_in_the_simulator(
    page: Page, sign_in: Any, cast: personas.Cast, menu: MenuVersion
) -> None:
    sign_in(cast.administrator)
    _draft(page)
    page.get_by_role("link", name="Aggiungi una voce al menu principale").click()
    expect(page.get_by_label("Lettera")).to_have_value("G")
    page.locator("#id_kind").select_option("form")
    expect(page.locator("#kind-card")).to_be_hidden()
    expect(page.locator("#kind-form")).to_be_visible()
    page.get_by_label("Etichetta").fill("Prenota")
    page.get_by_label("Testo", exact=True).fill("Ti richiamiamo noi.")
    page.get_by_label("Domanda del campo 1").fill("Che giorno preferisci?")
    page.get_by_label("Tipo del campo 1").select_option("text")
    # A mistake first: a choice without choices.
    page.get_by_role("button", name="Aggiungi un campo").click()
    page.get_by_label("Domanda del campo 2").fill("Quale sportello?")
    page.get_by_label("Tipo del campo 2").select_option("choice")
    page.get_by_role("button", name="Salva la voce").click()
    expect(page.locator("#node-errors")).to_contain_text(
        "Il campo «quale_sportello» ha da 1 a 10 scelte."
    )
    expect(page.get_by_label("Domanda del campo 1")).to_have_value("Che giorno preferisci?")
    assert serious_violations(page) == []
    page.get_by_label("Scelte del campo 2, separate da punto e virgola").fill("Centro; Nord")
    page.get_by_role("button", name="Salva la voce").click()
    expect(page.locator("#menu-tree")).to_contain_text("Prenota")
    expect(page.locator("#menu-tree")).to_contain_text("2 campi")

    page.get_by_role("link", name="Prova nel simulatore").click()
    page.get_by_label("Il tuo messaggio").fill("menu")
    page.get_by_role("button", name="Invia").click()
    page.get_by_role("button", name="G. Prenota").click()
    transcript = page.locator("#transcript")
    expect(transcript).to_contain_text("Che giorno preferisci?")
    page.get_by_label("Il tuo messaggio").fill("Lunedì mattina")
    page.get_by_role("button", name="Invia").click()
    expect(transcript.locator(".turn-bot").last).to_contain_text("Quale sportello?")
    page.get_by_role("button", name="Nord").click()
    expect(transcript.locator(".turn-citizen").last).to_contain_text("Nord")
    assert Session.objects.count() == 0
