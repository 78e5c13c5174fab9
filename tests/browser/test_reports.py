"""The report pages in Chromium: charts drawn by Chart.js beside their tables, the period
chooser, and no serious or critical accessibility violation (axe-core)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from ascolto.contactcenter.actions import record_call
from ascolto.tickets import actions
from tests import factories, personas
from tests.browser.conftest import serious_violations

pytestmark = pytest.mark.django_db(transaction=True)


def _some_activity(cast: personas.Cast) -> None:
    """Cases and calls of this year (the dashboards' default period) at any hour of any day: on
    1 January at 00:30, "two hours ago" is last year. (The browser's clock cannot be pinned with
    the server's: the session cookie would expire for it.)"""
    now = timezone.now()
    start_of_day = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    start_of_year = start_of_day.replace(month=1, day=1)
    for i, theme in enumerate(["tari-dichiarazione", "cie-rinnovo", "cie-rinnovo"]):
        received = factories.submit_scrivi(
            f"Richiesta {i}",
            email=f"p{i}@example.org",
            theme=theme,
            sent_at=max(now - timedelta(days=i * 3), start_of_year),
        )
        actions.resolve_ticket(
            factories.refresh(factories.Ticket.objects.get(pk=received.ticket_id)),
            "Risposta data.",
            actor=cast.operator,
        )
    for i in range(4):
        record_call(
            external_id=f"b-{i}",
            queue="generale",
            arrived_at=max(now - timedelta(hours=2), start_of_day) + timedelta(seconds=i),
            wait_seconds=30 + i,
            talk_seconds=0 if i == 3 else 200,
            abandoned=i == 3,
            caller_phone="+393331110009",
        )


def test_monthly_report_and_themes_dashboard_are_accessible(
    page: Page, sign_in: object, cast: personas.Cast
) -> None:
    _some_activity(cast)
    sign_in(cast.analyst)  # type: ignore[operator]

    # The report opens on the last complete month; the activity is this year's.
    page.goto("/console/reports/")
    expect(page.get_by_label("Periodo", exact=True)).to_have_value("mese")
    expect(page.get_by_label("Anno", exact=True)).to_be_hidden()  # only the kind's inputs
    page.get_by_label("Periodo", exact=True).select_option("anno")
    expect(page.get_by_label("Mese", exact=True)).to_be_hidden()
    page.get_by_label("Anno", exact=True).fill(str(timezone.localdate().year))
    page.get_by_role("button", name="Mostra").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Report mensile")
    assert "periodo=anno" in page.url  # the period is in the URL, to share
    expect(page.get_by_role("link", name="Report", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    expect(page.get_by_text("75,0 %")).to_be_visible()  # 3 of 4 calls answered
    # Each chart is drawn, with its numbers in a table beside it.
    chart = page.locator("canvas[data-chart='data-areas']")
    expect(chart).to_be_visible()
    drawn = "c => Chart.getChart(c) !== undefined"
    assert chart.evaluate(drawn)
    areas = page.get_by_role("table", name="Temi: quota per area")
    expect(areas.get_by_role("rowheader", name="Anagrafe e servizi civici")).to_be_visible()
    violations = serious_violations(page)
    assert violations == [], violations

    page.get_by_label("Periodo", exact=True).select_option("mese")
    page.get_by_label("Mese", exact=True).fill("xx")
    page.get_by_role("button", name="Mostra").click()
    expect(page.get_by_text("Indica il mese nel formato AAAA-MM")).to_be_visible()
    violations = serious_violations(page)
    assert violations == [], violations

    page.get_by_role("link", name="Temi e tendenze").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Temi e tendenze")
    expect(page.locator("canvas[data-chart='data-areas_by_month']")).to_be_visible()
    violations = serious_violations(page)
    assert violations == [], violations

    with page.expect_download() as download:
        page.get_by_role("link", name="Scarica i dati di «Casi per area e mese» (CSV)").click()
    assert download.value.suggested_filename.endswith("-areas_by_month.csv")


def test_public_complaints_page_is_accessible(page: Page, cast: personas.Cast) -> None:
    received = factories.submit_scrivi("Reclamo", email="r@example.org", kind="complaint")
    assert received.ticket_id
    page.goto(f"/trasparenza/reclami/{timezone.localdate().year}/")

    expect(page.get_by_role("heading", level=1)).to_contain_text("Relazione annuale sui reclami")
    violations = serious_violations(page)
    assert violations == [], violations
