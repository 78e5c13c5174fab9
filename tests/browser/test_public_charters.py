"""The service charters' public pages in Chromium: accessible (axe finds no serious or critical
violation) and with no Content-Security-Policy violation (the trend charts are SVG drawn on the
server, no script, no style attribute)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

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


def test_an_analyst_uploads_the_charter_pdf_and_a_citizen_downloads_it(
    page: Page, sign_in: Any, cast: personas.Cast, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    charter = actions.save_charter(
        actions.CharterData(
            title="Carta della ristorazione scolastica",
            slug="ristorazione",
            service=Service.objects.create(code="refezione", name="Ristorazione scolastica"),
            issued_on=date(2023, 9, 1),
            published=True,
        )
    )
    sign_in(cast.analyst)
    page.goto(f"/console/carte-dei-servizi/{charter.pk}/modifica/")
    page.get_by_label("Documento (file PDF)").set_input_files(
        files=[{"name": "Carta ristorazione.pdf", "mimeType": "application/pdf", "buffer": pdf}]
    )
    assert serious_violations(page) == []
    page.get_by_role("button", name="Salva").click()
    expect(page.get_by_text("Carta dei servizi salvata.")).to_be_visible()
    expect(page.get_by_role("link", name="Carta_ristorazione.pdf")).to_be_visible()

    page.goto("/trasparenza/carte-dei-servizi/ristorazione/")
    link = page.get_by_role("link", name="Il documento della carta")
    assert serious_violations(page) == []
    with page.expect_download() as waited:
        link.click()
    download = waited.value
    assert download.suggested_filename == "Carta_ristorazione.pdf"
    assert Path(download.path()).read_bytes() == pdf
