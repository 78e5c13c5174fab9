"""The inbox in a real browser: filter (HTMX), search, a bulk change with confirmation, and no
serious accessibility violation (axe-core) on the inbox and the overview."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from ascolto.channels.actions import receive
from ascolto.tickets.models import Tag, Ticket
from tests import factories, personas
from tests.browser.conftest import serious_violations

pytestmark = pytest.mark.django_db(transaction=True)


def test_operator_filters_searches_and_tags_in_bulk(
    page: Page, sign_in: Any, cast: personas.Cast
) -> None:
    lamp = factories.open_case(
        "Il lampione di via Padova è spento da una settimana.", email="a@ex.it"
    )
    tari = factories.open_case("Avviso TARI con importo sbagliato.", email="b@example.it")
    call = Ticket.objects.get(
        pk=receive(
            factories.phone_message("Orari dell'anagrafe.", number="+393331234567")
        ).ticket_id
    )
    tag = Tag.objects.create(name="Da richiamare", slug="da-richiamare")
    sign_in(cast.operator)

    page.goto("/console/inbox/")
    expect(page.get_by_role("heading", name="Casi", exact=True)).to_be_visible()
    for case in (lamp, tari, call):
        expect(page.get_by_role("link", name=case.code)).to_be_visible()
    assert serious_violations(page) == []

    # A filter refreshes the list in place (HTMX) and the address keeps it (bookmarkable).
    page.get_by_text("Filtri", exact=True).click()
    page.locator("#id_channel").select_option(label="020202")
    expect(page.get_by_role("link", name=tari.code)).to_have_count(0)
    expect(page.get_by_role("link", name=call.code)).to_be_visible()
    expect(page).to_have_url(re.compile(r"channel=\d+"))

    # Free text: typing searches.
    page.goto("/console/inbox/")
    page.get_by_label("Cerca").fill("lampione")
    expect(page.get_by_role("link", name=tari.code)).to_have_count(0)
    expect(page.get_by_role("link", name=lamp.code)).to_be_visible()

    # Bulk: pick two cases, tag them, confirm.
    page.goto("/console/inbox/")
    page.get_by_label(f"Seleziona il caso {lamp.code}").check()
    page.get_by_label(f"Seleziona il caso {tari.code}").check()
    page.locator("#bulk-action").select_option("tag")
    page.locator("#bulk-tag").select_option(str(tag.pk))
    page.get_by_role("button", name="Applica…").click()
    expect(page.get_by_role("heading", name="Conferma la modifica")).to_be_visible()
    assert not tag.tickets.exists()
    assert serious_violations(page) == []
    page.get_by_role("button", name="Conferma e applica").click()
    expect(page.get_by_text("2 aggiornati, 0 non possibili")).to_be_visible()
    assert set(tag.tickets.values_list("code", flat=True)) == {lamp.code, tari.code}


def test_overview_is_accessible(page: Page, sign_in: Any, cast: personas.Cast) -> None:
    factories.open_case("Richiesta.", email="c@example.it")
    sign_in(cast.supervisor)
    page.goto("/console/overview/")
    expect(page.get_by_role("heading", name="Supervisione", exact=True)).to_be_visible()
    assert serious_violations(page) == []
