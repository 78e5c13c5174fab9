"""A citizen answers a survey in real Chromium, with JavaScript: the questions an earlier answer
calls for appear as it is given and go away when it changes, the answers arrive, and the page
passes axe (and its Content-Security-Policy, checked by the `page` fixture)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from ascolto.surveys.models import Answer, Response
from ascolto.surveys.tokens import invitation_path
from tests.browser.conftest import serious_violations
from tests.surveys.helpers import branching_survey, invite

pytestmark = pytest.mark.django_db(transaction=True)


def star(page: Page, n: int) -> None:
    """Click a star as a person does: on the star drawn (its radio button is hidden under it)."""
    page.locator(f"label[for=q-voto-{n}]").click()
    expect(page.locator(f"#q-voto-{n}")).to_be_checked()


def choose(page: Page, code: str, label: str) -> None:
    """Tick an option by its label, which Bootstrap Italia draws the box on."""
    option = page.locator(f"#q-{code} label").filter(has_text=label).first
    option.click()
    expect(page.locator(f"#{option.get_attribute('for')}")).to_be_checked()


def test_a_citizen_answers_a_survey_whose_questions_follow_the_answers(page: Page) -> None:
    invitation = invite(branching_survey())
    page.goto(invitation_path(invitation))
    problems = page.locator("#q-problemi-block")
    which = page.locator("#q-quale-block")
    expect(problems).to_be_hidden()
    expect(which).to_be_hidden()
    assert serious_violations(page) == []

    star(page, 2)
    expect(problems).to_be_visible()
    choose(page, "problemi", "I tempi")
    star(page, 5)
    expect(problems).to_be_hidden()
    star(page, 1)
    expect(problems).to_be_visible()
    expect(page.get_by_role("checkbox", name="I tempi")).to_be_checked()

    choose(page, "consiglio", "9")
    choose(page, "ufficio", "Altro")
    expect(which).to_be_visible()
    page.get_by_role("textbox", name="Quale altro ufficio?").fill("Polizia locale")
    choose(page, "ufficio", "Tributi")
    expect(which).to_be_hidden()  # its text is not sent
    choose(page, "facilita", "3")
    assert serious_violations(page) == []
    page.get_by_role("button", name="Invia le risposte").click()

    expect(page.locator("#survey-state")).to_contain_text("Grazie per le tue risposte")
    response = Response.objects.get()
    assert (response.csat, response.nps) == (1, 9)
    answers = dict(Answer.objects.filter(response=response).values_list("question__code", "value"))
    assert answers["problemi"] == "tempi"
    assert answers["ufficio"] == "tributi"
    assert "quale" not in answers


def test_a_missing_required_answer_is_shown_on_its_question(page: Page) -> None:
    page.goto(invitation_path(invite(branching_survey())))
    star(page, 2)
    page.get_by_role("button", name="Invia le risposte").click()
    expect(page.locator("#survey-errors")).to_be_focused()
    expect(page.locator("#q-problemi-error")).to_have_text("Questa domanda richiede una risposta.")
    expect(page.locator("#q-problemi-block")).to_be_visible()  # still shown: 2 stars kept
    assert serious_violations(page) == []
    assert not Response.objects.exists()


def test_a_link_with_the_whatsapp_rating_opens_with_it_chosen(page: Page) -> None:
    """The link a WhatsApp tap brings (decision 0028): the stars tapped are chosen, the
    questions they call for already shown, and the citizen answers the rest."""
    invitation = invite(branching_survey())
    page.goto(invitation_path(invitation, {"voto": 2}))
    expect(page.locator("#q-voto-2")).to_be_checked()
    expect(page.locator("#q-problemi-block")).to_be_visible()
    assert serious_violations(page) == []
    choose(page, "problemi", "La cortesia")
    choose(page, "facilita", "4")
    page.get_by_role("button", name="Invia le risposte").click()
    expect(page.locator("#survey-state")).to_contain_text("Grazie per le tue risposte")
    response = Response.objects.get()
    assert response.csat == 2
