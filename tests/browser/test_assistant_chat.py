"""The assistant's web chat in a real browser: a visitor goes through the menu, opens a card,
goes back with «Indietro», opens the form (which, on the web, is Scrivi's), and after ten minutes
of silence (the page's clock run forward) answers the survey; axe-core finds no serious or
critical violation at any step."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from ascolto.assistant import engine
from ascolto.assistant.models import MenuVersion, Session, SurveyAnswer
from tests import personas
from tests.assistant.conftest import build_menu
from tests.browser.conftest import serious_violations

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def menu(cast: personas.Cast) -> Iterator[MenuVersion]:
    engine._trees.clear()
    yield build_menu(cast.administrator)
    engine._trees.clear()


def test_menu_card_back_form_and_the_survey(page: Page, menu: MenuVersion) -> None:
    page.clock.install()
    page.goto("/scrivi/assistente/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Assistente virtuale")
    assert serious_violations(page) == []

    log = page.get_by_role("log", name="Conversazione con l’assistente")
    box = page.get_by_label("La tua domanda, una lettera del menu, oppure «menu»")
    box.fill("ciao")
    page.get_by_role("button", name="Invia", exact=True).click()
    expect(log).to_contain_text("assistente virtuale del Comune")
    expect(box).to_have_value("")
    assert serious_violations(page) == []

    # The menu: a submenu, then a card of a knowledge article.
    log.get_by_role("button", name="A. Anagrafe").last.click()
    expect(log).to_contain_text("Servizi dell'anagrafe:")
    log.get_by_role("button", name="A. Carta d'identità").last.click()
    expect(log).to_contain_text("fototessera")
    expect(log.get_by_role("link", name="https://www.comune.example.it/cie")).to_be_visible()
    assert serious_violations(page) == []

    # «Indietro»: the submenu again.
    log.get_by_role("button", name="Indietro").last.click()
    expect(log.get_by_text("Servizi dell'anagrafe:")).to_have_count(2)

    # The form: on the web chat, Scrivi's form (no one to call back from here).
    log.get_by_role("button", name="Menu").last.click()
    log.get_by_role("button", name="C. Segnala un guasto").last.click()
    expect(log).to_contain_text("modulo online del Comune")
    expect(log.get_by_role("link", name=re.compile(r"^http:..[^ ]+.scrivi.$"))).to_be_visible()
    assert serious_violations(page) == []

    # Ten minutes of silence: the survey, with its two buttons.
    page.clock.fast_forward("10:01")
    expect(log).to_contain_text("Ti sono stato utile?")
    session = Session.objects.get(kind=Session.Kind.WEB)
    assert SurveyAnswer.objects.get(session=session).answered_at is None
    assert serious_violations(page) == []
    log.get_by_role("button", name="Sì").click()
    expect(log).to_contain_text("Ci sono argomenti")
    box.fill("Gli orari delle piscine")
    page.get_by_role("button", name="Invia", exact=True).click()
    expect(log).to_contain_text("Grazie per il tuo aiuto")
    answer = SurveyAnswer.objects.get(session=session)
    assert answer.useful is True and answer.suggestion == "Gli orari delle piscine"
    assert answer.path == "C"

    # Once per session: ten more minutes bring nothing; ending the chat says goodbye.
    page.clock.fast_forward("10:01")
    page.get_by_role("button", name="Termina la conversazione").click()
    expect(log).to_contain_text("Conversazione terminata")
    expect(log.get_by_text("Ti sono stato utile?")).to_have_count(1)
    assert serious_violations(page) == []
    session.refresh_from_db()
    assert session.ended_at is not None
