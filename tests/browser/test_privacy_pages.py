"""The GDPR tools in real Chromium: an administrator opens a citizen's page, presses "Esporta i
dati (GDPR)", follows the archive being made to its two downloads, reads the privacy notice a
consent names, and finds the erasure form; axe finds no serious or critical violation on the
data-protection pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from ascolto.privacy.models import AccessArchive
from tests import personas
from tests.browser.conftest import serious_violations
from tests.privacy.conftest import build_household

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_administrator_exports_a_citizens_data_from_their_page(
    page: Page, sign_in: Any, cast: personas.Cast, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ASCOLTO_PRIVACY_ARCHIVE_DIR = tmp_path / "privacy"
    house = build_household(cast)
    sign_in(cast.administrator)
    page.goto(f"/console/citizens/{house.maria.pk}/")

    page.get_by_role("button", name="Esporta i dati (GDPR)").click()

    # The task ran once the request committed (the immediate backend): the page shows it ready.
    expect(page.get_by_text("Archivio pronto.")).to_be_visible()
    expect(
        page.get_by_role("link", name="Scarica l'archivio ZIP (dati in JSON e file)")
    ).to_be_visible()
    assert AccessArchive.objects.get().status == AccessArchive.Status.DONE
    assert serious_violations(page) == []
    with page.expect_download() as download:
        page.get_by_role("link", name="Scarica il documento PDF leggibile").click()
    assert download.value.suggested_filename == f"dati-cittadino-{house.maria.pk}.pdf"

    page.get_by_role("link", name="Torna alla protezione dei dati del cittadino").click()
    expect(page.get_by_role("heading", name="Diritto alla cancellazione")).to_be_visible()
    expect(page.get_by_role("button", name="Cancella i dati personali")).to_be_visible()
    assert serious_violations(page) == []

    page.goto(f"/console/citizens/{house.maria.pk}/")
    page.locator("#consents").get_by_role("link").first.click()
    expect(page.locator("#notice-text")).to_contain_text("titolare del trattamento")
    assert serious_violations(page) == []
