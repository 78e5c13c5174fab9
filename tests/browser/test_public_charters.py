"""The service charters' public pages in Chromium: accessible (axe finds no serious or critical
violation) and with no Content-Security-Policy violation (the trend charts are SVG drawn on the
server, no script, no style attribute)."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from ascolto.charters import actions
from ascolto.charters.models import QualityIndicator
from ascolto.surveys.models import Service
from tests import factories, personas
from tests.browser.conftest import serious_violations, watch_csp

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_public_charter_pages_are_accessible_and_keep_the_policy(
    page: Page, cast: personas.Cast
) -> None:
    for n in range(6):
        factories.submit_scrivi(
            f"Iscrizione al nido {n}", email=f"n{n}@example.org", theme="iscrizione-nidi"
        )
    charter = actions.save_charter(
        actions.CharterData(
            title="Carta dei servizi dei nidi d'infanzia",
            slug="nidi-infanzia",
            service=Service.objects.create(code="nidi-infanzia", name="Nidi d'infanzia"),
            issued_on=date(2024, 9, 1),
            published=True,
        )
    )
    actions.save_indicator(
        charter,
        actions.IndicatorData(
            name="Risposta entro 30 giorni",
            formula=QualityIndicator.Formula.ANSWERED_WITHIN,
            parameters={"theme": "iscrizione-nidi", "days": 30},
            target=90,
        ),
    )
    refused = watch_csp(page)
    for url in (
        "/trasparenza/carte-dei-servizi/",
        "/trasparenza/carte-dei-servizi/nidi-infanzia/",
        f"/trasparenza/carte-dei-servizi/relazione/{timezone.localdate().year}/",
    ):
        page.goto(url)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        violations = serious_violations(page)
        assert violations == [], (url, violations)
    assert refused == []
