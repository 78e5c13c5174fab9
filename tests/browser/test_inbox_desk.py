"""The inbox as an agent desk, in a real browser at a laptop's size (1366×768) and a phone's
(390×844): one line per case with at least 22 rows above the fold at 1366×768 (the citizen search
sits in the bar above the menu, adding no row), the keyboard flow, columns chosen and kept, a new
case arriving while the page is open, and no serious accessibility violation (axe-core)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from ascolto.tickets import actions
from ascolto.tickets.models import Ticket
from ascolto.web.models import InboxLayout
from tests import factories, personas
from tests.alerts.helpers import make_alert
from tests.browser.conftest import serious_violations

pytestmark = pytest.mark.django_db(transaction=True)

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def _cases(n: int) -> list[Ticket]:
    return [
        Ticket.objects.get(
            pk=factories.submit_scrivi(
                f"Segnalazione numero {i}: il lampione di via Roma {i} è spento da giorni.",
                email=f"cittadino{i}@example.it",
                first_name=f"Nome{i}",
                last_name="Bianchi",
            ).ticket_id
        )
        for i in range(n)
    ]


def _rows_above_the_fold(page: Page) -> int:
    height = page.viewport_size["height"] if page.viewport_size else 0
    boxes = page.locator("#inbox-results tbody tr").evaluate_all(
        "rows => rows.map(r => {"
        " const b = r.getBoundingClientRect(); return [b.top, b.bottom, b.height]; })"
    )
    assert all(h <= 44 for _top, _bottom, h in boxes), boxes
    return sum(1 for top, bottom, _h in boxes if top >= 0 and bottom <= height)


def test_twenty_rows_above_the_fold_under_the_citys_alerts(
    page: Page, sign_in: Any, cast: personas.Cast
) -> None:
    """As in the demo city: two alerts on current topics, one line for both until opened; the
    bulk bar shows once a case is ticked."""
    _cases(25)
    started = timezone.now() - timedelta(hours=1)
    make_alert(started, hours=4, title="Sciopero dei mezzi pubblici")
    make_alert(started, hours=4, title="TARI: la rata scade a fine mese", priority=2)
    sign_in(cast.operator)
    page.set_viewport_size(LAPTOP)
    page.goto("/console/inbox/")
    alerts = page.get_by_role("region", name="Avvisi del Comune")
    expect(alerts).to_contain_text("2 avvisi")
    expect(alerts).to_contain_text("TARI: la rata scade a fine mese")
    assert _rows_above_the_fold(page) >= 20
    bulk = page.locator("#bulk-form")
    expect(bulk).to_be_hidden()
    page.get_by_label("Seleziona il caso", exact=False).first.check()
    expect(bulk).to_be_visible()
    alerts.get_by_text("2 avvisi").click()  # opened: each alert's text
    expect(alerts.get_by_text("Scuole chiuse domani", exact=False).first).to_be_visible()
    assert serious_violations(page) == []


@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["1366x768", "390x844"])
def test_rows_above_the_fold_and_accessible(
    page: Page, sign_in: Any, cast: personas.Cast, size: dict[str, int]
) -> None:
    _cases(25)
    sign_in(cast.operator)
    page.set_viewport_size(size)
    page.goto("/console/inbox/")
    expect(page.locator("#inbox-results tbody tr")).to_have_count(25)
    if size == LAPTOP:
        # The citizen search sits in the slim bar above the menu, not on a row of its own.
        search = page.get_by_role("search", name="Trova cittadino o caso").bounding_box()
        bar = page.locator(".it-header-slim-wrapper").bounding_box()
        assert search and bar and search["y"] + search["height"] <= bar["y"] + bar["height"]
        assert _rows_above_the_fold(page) >= 22
    # The citizen's name is on the row.
    expect(page.get_by_role("cell", name="Nome3 Bianchi")).to_be_visible()
    assert serious_violations(page) == []
    # The shortcuts' dialog and the open panels are accessible too.
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Scorciatoie da tastiera")).to_be_visible()
    assert serious_violations(page) == []
    page.keyboard.press("Escape")
    page.get_by_text("Filtri", exact=True).click()
    page.get_by_text("Colonne", exact=True).click()
    assert serious_violations(page) == []
    # Filters in force, as chips, and the counts panel.
    page.goto("/console/inbox/?status=all&q=lampione")
    expect(page.get_by_role("link", name="Togli il filtro Stato: Tutti")).to_be_visible()
    page.get_by_text("Conteggi", exact=True).click()
    assert serious_violations(page) == []
    page.get_by_role("link", name="Togli il filtro Cerca: lampione").click()
    expect(page).to_have_url(re.compile(r"/console/inbox/\?status=all$"))


def test_keyboard_flow(page: Page, sign_in: Any, cast: personas.Cast) -> None:
    cases = _cases(3)  # newest first in the list: cases[2], cases[1], cases[0]
    sign_in(cast.operator)
    page.set_viewport_size(LAPTOP)
    page.goto("/console/inbox/")

    # The skip link leads to the list.
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Vai all'elenco dei casi")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile("#inbox-list$"))

    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("j")
    expect(page.get_by_role("link", name=cases[2].code)).to_be_focused()
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(page.get_by_role("link", name=cases[0].code)).to_be_focused()
    page.keyboard.press("k")
    expect(page.get_by_role("link", name=cases[1].code)).to_be_focused()

    # x ticks the current case for a bulk change.
    page.keyboard.press("x")
    expect(page.get_by_label(f"Seleziona il caso {cases[1].code}")).to_be_checked()

    # a assigns it to me; the row shows it in place, the tick stays.
    page.keyboard.press("a")
    row = page.locator(f"#row-{cases[1].pk}")
    expect(row).to_contain_text(str(cast.operator))
    assert Ticket.objects.get(pk=cases[1].pk).assignee_id == cast.operator.pk
    expect(page.get_by_label(f"Seleziona il caso {cases[1].code}")).to_be_checked()

    # ? lists the shortcuts in a dialog; Escape closes it.
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Scorciatoie da tastiera")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("assegna il caso a me")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # / goes to the search box; typing there is not a shortcut.
    page.keyboard.press("/")
    expect(page.get_by_label("Cerca")).to_be_focused()
    page.keyboard.type("jk")
    expect(page.get_by_label("Cerca")).to_have_value("jk")
    page.keyboard.press("Escape")
    page.locator("body").click(position={"x": 5, "y": 5})

    # o opens the current case.
    page.keyboard.press("o")
    expect(page).to_have_url(re.compile(f"/console/cases/{cases[1].code}/$"))


def test_columns_are_chosen_and_kept(page: Page, sign_in: Any, cast: personas.Cast) -> None:
    _cases(2)
    sign_in(cast.operator)
    page.set_viewport_size(LAPTOP)
    page.goto("/console/inbox/")
    page.get_by_text("Colonne", exact=True).click()
    page.get_by_role("checkbox", name="Tema").uncheck()
    page.get_by_label("Posizione di Stato").fill("1")
    page.get_by_label("Comoda").check()
    page.get_by_role("button", name="Salva le colonne").click()
    expect(page.get_by_text("Colonne e densità salvate.")).to_be_visible()

    layout = InboxLayout.objects.get(user=cast.operator)
    assert layout.columns.split(",")[0] == "status"
    assert "theme" not in layout.columns.split(",")
    assert layout.density == "comfortable"

    page.goto("/console/inbox/")
    headers = page.locator("#inbox-results thead th").all_inner_texts()
    assert [h.strip() for h in headers[1:4]] == ["Codice", "Stato", "Cittadino"]
    assert "Tema" not in [h.strip() for h in headers]
    expect(page.locator("table.inbox-comfortable")).to_be_visible()


def test_new_case_arrives_live(page: Page, sign_in: Any, cast: personas.Cast) -> None:
    first = _cases(2)
    sign_in(cast.operator)
    page.set_viewport_size(LAPTOP)
    page.goto("/console/inbox/")
    expect(page.locator("#inbox-results tbody tr")).to_have_count(2)

    # A citizen writes through Scrivi while the page is open: the list does not move, a bar
    # announces the new case; a case on the page that changes is updated in place.
    page.locator(f"#row-{first[0].pk}").hover()
    new = Ticket.objects.get(
        pk=factories.submit_scrivi(
            "Buca pericolosa in via Verdi.", email="nuovo@example.it", first_name="Anna"
        ).ticket_id
    )
    actions.assign_ticket(first[0], actor=cast.supervisor, assignee=cast.operator)
    bar = page.locator("#inbox-live .inbox-new")
    expect(bar).to_have_text(re.compile(r"1 nuovo caso\s+— mostra"), timeout=15_000)
    # Read out once, in the page's live region.
    expect(page.locator("#inbox-announce")).to_contain_text("1 nuovo caso")
    expect(page.locator("#inbox-results tbody tr")).to_have_count(2)
    expect(page.locator(f"#row-{first[0].pk}")).to_contain_text(str(cast.operator))
    bar.get_by_role("link", name="mostra").click()
    expect(page.get_by_role("link", name=new.code)).to_be_visible()
    expect(page.locator("#inbox-results tbody tr")).to_have_count(3)
