"""Log a call in real Chromium: the caller is found as the operator types, chosen, the call is
resolved at first contact and the case page opens; bad input keeps what was typed; axe finds no
serious or critical violation on the form."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from ascolto.contactcenter.models import CallRecord
from ascolto.tickets.models import Ticket
from tests import factories, personas
from tests.browser.conftest import serious_violations

pytestmark = pytest.mark.django_db(transaction=True)


def test_operator_logs_a_call_resolved_at_first_contact(
    page: Page, sign_in: Any, cast: personas.Cast
) -> None:
    earlier = factories.submit_scrivi(
        "Quando scade la TARI?", fiscal_code=personas.MARIA_FISCAL_CODE, phone="+393401112233"
    )
    sign_in(cast.operator)
    page.goto("/console/calls/new/")
    expect(page.get_by_role("heading", name="Registra una chiamata")).to_be_visible()
    lookups: list[tuple[str, str]] = []
    page.on(
        "request",
        lambda request: (
            lookups.append((request.method, request.url))
            if "/calls/lookup/" in request.url
            else None
        ),
    )

    page.get_by_label("Numero di telefono").press_sequentially("340 111 2233")
    lookup = page.locator("#caller-lookup")
    expect(lookup).to_contain_text("Maria Rossi")  # found by HTMX as the number was typed
    # Posted with the CSRF token: the number never appears in a URL (nor in access logs).
    assert lookups and all(method == "POST" for method, _url in lookups), lookups
    # (Path and query only: the test server's random port may contain "340".)
    addresses = [urlsplit(url).path + "?" + urlsplit(url).query for _method, url in lookups]
    assert not any("340" in a or "phone" in a for a in addresses), lookups
    assert earlier.ticket_id is not None
    code = Ticket.objects.get(pk=earlier.ticket_id).code
    expect(lookup).to_contain_text(code)
    assert serious_violations(page) == []

    page.get_by_role("button", name="Usa Maria Rossi").click()
    expect(page.get_by_label("Nome", exact=True)).to_have_value("Maria")
    expect(page.get_by_label("Codice fiscale")).to_have_value(personas.MARIA_FISCAL_CODE)
    expect(page.get_by_label("Numero di telefono")).to_have_value("340 111 2233")
    expect(
        page.get_by_role("status").filter(has_text="sarà registrata per Maria Rossi")
    ).to_be_visible()

    page.get_by_label("Tipo di richiesta").select_option("information")
    page.get_by_label("Tema").select_option("tari-pagamento")
    page.get_by_label("Che cosa ha chiesto il cittadino").fill("Quando scade la seconda rata?")
    page.get_by_label("Che cosa è stato risposto").fill("Il 2 dicembre; l'avviso ha l'F24.")
    page.get_by_label("Risolto al primo contatto").check()
    page.get_by_role("button", name="Registra la chiamata").click()

    expect(page).to_have_url(re.compile(r"/console/cases/[A-Z0-9-]+/$"))
    ticket = Ticket.objects.get(channel=cast.phone)
    expect(page.get_by_text(f"caso {ticket.code} risolto al primo contatto")).to_be_visible()
    assert ticket.status == Ticket.Status.RESOLVED
    assert ticket.citizen is not None and ticket.citizen.fiscal_code == personas.MARIA_FISCAL_CODE
    assert CallRecord.objects.get().operator == cast.operator


def test_invalid_input_shows_errors_and_keeps_what_was_typed(
    page: Page, sign_in: Any, cast: personas.Cast
) -> None:
    sign_in(cast.operator)
    page.goto("/console/calls/new/")
    page.get_by_label("Numero di telefono").fill("333 123 4567")
    page.get_by_label("Codice fiscale").fill("RSSMRA80C52F205X")
    page.get_by_label("Tema").select_option("tari-rimborso")
    page.get_by_label("Che cosa ha chiesto il cittadino").fill("Mi spetta un rimborso?")
    page.locator(
        "label", has_text="Inoltra a un ufficio"
    ).click()  # Bootstrap Italia styles the label
    page.get_by_role("button", name="Registra la chiamata").click()

    expect(page.get_by_text("Codice fiscale non valido")).to_be_visible()
    expect(page.get_by_text("Scegli l'ufficio a cui inoltrare il caso.")).to_be_visible()
    expect(page.get_by_label("Codice fiscale")).to_have_value("RSSMRA80C52F205X")
    expect(page.get_by_label("Codice fiscale")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Che cosa ha chiesto il cittadino")).to_have_value(
        "Mi spetta un rimborso?"
    )
    expect(page.get_by_label("Tema")).to_have_value("tari-rimborso")
    expect(page.get_by_label("Inoltra a un ufficio")).to_be_checked()
    assert serious_violations(page) == []

    page.get_by_label("Codice fiscale").fill(personas.LUCA_FISCAL_CODE)
    page.get_by_label("Ufficio a cui inoltrare").select_option(label="Ufficio TARI")
    page.get_by_label("Nota per l'ufficio").fill("Verificare il versamento del 2025.")
    page.get_by_role("button", name="Registra la chiamata").click()
    expect(page).to_have_url(re.compile(r"/console/cases/[A-Z0-9-]+/$"))
    ticket = Ticket.objects.get(channel=cast.phone)
    assert ticket.status == Ticket.Status.OFFICE and ticket.office == cast.tari


def test_contactcenter_page_draws_its_charts_accessibly(
    page: Page, sign_in: Any, cast: personas.Cast
) -> None:
    from tests.web.test_contactcenter_page import calls_history, quick_run

    calls_history(weeks=6)
    quick_run()
    sign_in(cast.supervisor)
    page.goto("/console/contactcenter/")
    expect(page.get_by_role("heading", name="Chiamate previste e arrivate")).to_be_visible()
    # Chart.js drew on both canvases (a chart instance is attached to each).
    page.wait_for_function(
        "() => Chart.getChart('chart-totals') && Chart.getChart('chart-intervals')"
    )
    expect(page.locator("#table-totals th[scope=col]").first).to_have_text("Periodo")
    assert serious_violations(page) == []
