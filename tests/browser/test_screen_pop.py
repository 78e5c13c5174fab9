"""Screen-pop in real Chromium: the operator's console page is open, the telephony system posts a
signed "call started" for her extension, and the caller's panel appears without anything typed;
the call form it opens is filled with the number and the call id."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

import pytest
from django.test import override_settings
from playwright.sync_api import Page, expect

from ascolto.core.webhooks import sign
from ascolto.tickets.models import Ticket
from tests import factories, personas
from tests.browser.conftest import serious_violations

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "browser-test-secret"


def test_the_callers_panel_pops_in_the_open_console(
    page: Page, sign_in: Any, cast: personas.Cast, live_server: Any
) -> None:
    received = factories.submit_scrivi(
        "Quando scade la TARI?", fiscal_code=personas.MARIA_FISCAL_CODE, phone="+393401112233"
    )
    code = Ticket.objects.get(pk=received.ticket_id).code
    cast.operator.extension = "201"
    cast.operator.save(update_fields=["extension"])
    sign_in(cast.operator)
    page.goto("/console/inbox/")
    expect(page.get_by_role("heading", name="Casi", exact=True)).to_be_visible()
    expect(page.locator("#screen-pop")).to_be_empty()

    body = json.dumps(
        {
            "call_id": "pbx-77",
            "caller_number": "+39 340 111 2233",
            "agent_extension": "201",
            "queue": "tributi",
            "started_at": "2026-12-06T10:15:00+01:00",
        }
    ).encode()
    stamp = str(int(time.time()))
    request = urllib.request.Request(  # noqa: S310 (the live server, over http on loopback)
        f"{live_server.url}/api/v1/telephony/call-started",
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Ascolto-Signature": sign(SECRET, stamp, body),
            "X-Ascolto-Timestamp": stamp,
        },
    )
    with override_settings(ASCOLTO_TELEPHONY_SECRET=SECRET):
        with urllib.request.urlopen(request) as answer:  # noqa: S310
            assert answer.status == 202

    pop = page.locator("#screen-pop")
    # Polled every second: the panel comes within a poll (3 s of slack for a loaded machine).
    expect(pop).to_contain_text("Chiamata in arrivo da +393401112233", timeout=3_000)
    expect(pop).to_contain_text("Maria Rossi")
    expect(pop).to_contain_text(code)
    assert serious_violations(page) == []

    pop.get_by_role("link", name="Registra questa chiamata").click()
    expect(page.get_by_role("heading", name="Registra una chiamata")).to_be_visible()
    expect(page.get_by_label("Numero di telefono")).to_have_value("+393401112233")
    expect(page.get_by_label("ID della chiamata (centralino)")).to_have_value("pbx-77")
    expect(page.locator("#caller-lookup")).to_contain_text("Maria Rossi")
    # Shown once: the form's page does not pop the same call again.
    page.wait_for_timeout(1_500)
    expect(page.locator("#screen-pop")).to_be_empty()
