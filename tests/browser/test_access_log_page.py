"""The access log in real Chromium: the DPO follows the console menu to the log, looks a person
up, opens who saw her data and downloads it; axe finds no serious or critical violation."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from ascolto.audit.models import AccessRecord
from ascolto.tickets.models import Ticket
from tests import factories, personas
from tests.browser.conftest import serious_violations

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_dpo_finds_who_saw_a_persons_data(
    page: Page, sign_in: Any, cast: personas.Cast, client: Any
) -> None:
    received = factories.submit_scrivi(
        "Non ho ricevuto l'avviso TARI.",
        email=personas.MARIA_EMAIL,
        fiscal_code=personas.MARIA_FISCAL_CODE,
    )
    assert received.ticket_id is not None
    ticket = Ticket.objects.get(pk=received.ticket_id)
    client.force_login(cast.operator)
    assert client.get(reverse("console:case", args=[ticket.code])).status_code == 200

    sign_in(cast.administrator)
    page.goto("/console/reports/")
    page.get_by_role("link", name="Registro accessi").click()
    expect(
        page.get_by_role("heading", name="Registro degli accessi ai dati personali")
    ).to_be_visible()
    assert serious_violations(page) == []

    page.get_by_label("Cerca la persona").fill(personas.MARIA_FISCAL_CODE)
    page.get_by_role("button", name="Cerca", exact=True).click()
    page.locator("#people").get_by_role("link", name="Maria Rossi").click()

    expect(page.locator("#chosen-person")).to_contain_text("Maria Rossi")
    table = page.locator("#access-records")
    expect(table).to_contain_text(cast.operator.username)
    expect(table).to_contain_text("Pagina del caso")
    assert serious_violations(page) == []

    with page.expect_download() as download:
        page.get_by_role("link", name="Scarica CSV").click()
    text = open(download.value.path(), encoding="utf-8").read()  # noqa: PTH123
    assert ticket.code in text
    purposes = set(AccessRecord.objects.values_list("purpose", flat=True))
    assert {"case", "search", "access_log", "export"} <= purposes


def test_the_log_passes_axe_on_a_phone(page: Page, sign_in: Any, cast: personas.Cast) -> None:
    received = factories.submit_scrivi(
        "Non ho ricevuto l'avviso TARI.",
        email=personas.MARIA_EMAIL,
        fiscal_code=personas.MARIA_FISCAL_CODE,
    )
    assert received.ticket_id is not None
    ticket = Ticket.objects.get(pk=received.ticket_id)
    sign_in(cast.administrator)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/console/cases/{ticket.code}/")
    page.goto(f"/console/registro-accessi/?cittadino={ticket.citizen_id}")
    expect(page.locator("#access-records")).to_contain_text("Pagina del caso")
    assert serious_violations(page) == []
