"""The survey builder's settings and the reference populations in a real browser: an analyst
chooses the channels and themes of the cases a survey invites, and writes a population by
gender and municipio, a wrong line refused on its field; the pages pass axe (and their
Content-Security-Policy, checked by the `page` fixture)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from ascolto.surveys.models import PopulationMargins, Survey
from tests import factories, personas
from tests.browser.conftest import serious_violations
from tests.surveys.helpers import branching_survey

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_analyst_chooses_the_channels_and_themes_a_survey_invites(
    page: Page, sign_in: Any, cast: personas.Cast
) -> None:
    factories.ensure_taxonomy()
    survey = branching_survey(trigger=Survey.Trigger.CASE_RESOLVED)
    sign_in(cast.analyst)
    page.goto(f"/console/questionari/{survey.pk}/")
    channels = page.get_by_role("group", name="Canali delle pratiche invitate")
    channels.locator("label", has_text="WhatsApp").click()
    channels.locator("label", has_text="Email").click()
    expect(page.get_by_role("checkbox", name="WhatsApp")).to_be_checked()
    themes = page.get_by_label("Temi delle pratiche invitate")
    themes.select_option(["tari", "anagrafe"])
    assert serious_violations(page) == []
    page.get_by_role("button", name="Salva le impostazioni").click()

    expect(page.get_by_text("Impostazioni salvate.")).to_be_visible()
    expect(page.get_by_role("checkbox", name="WhatsApp")).to_be_checked()
    survey.refresh_from_db()
    assert survey.channels == ["email", "whatsapp"]
    assert sorted(t.code for t in survey.themes.all()) == ["anagrafe", "tari"]


def test_an_analyst_writes_a_population_and_fixes_a_wrong_line(
    page: Page, sign_in: Any, cast: personas.Cast
) -> None:
    sign_in(cast.analyst)
    page.goto("/console/indagini/")
    page.get_by_role("link", name="Popolazioni di riferimento").first.click()
    page.get_by_role("link", name="Nuova popolazione di riferimento").click()
    page.get_by_label("Nome").fill("Milano, residenti 2026")
    page.get_by_label("Fonte").fill("ISTAT")
    page.get_by_label("Genere").fill("F | 0,516\nM | 0,384")
    page.get_by_label("Municipio").fill("1 | 97.000\n2 | 3.000")
    assert serious_violations(page) == []
    page.get_by_role("button", name="Salva").click()

    expect(page.locator("#gender-error")).to_contain_text("sommano a 0,9")
    assert serious_violations(page) == []
    assert not PopulationMargins.objects.exists()
    page.get_by_label("Genere").fill("F | 0,516\nM | 0,484")
    page.get_by_role("button", name="Salva").click()

    expect(page.get_by_text("Popolazione di riferimento salvata.")).to_be_visible()
    margins = PopulationMargins.objects.get()
    assert margins.margins == {
        "gender": {"F": 0.516, "M": 0.484},
        "district": {"1": 0.97, "2": 0.03},
    }
