"""Alerts in a real browser: the banner on the Scrivi pages, in the console and in the portal's
iframe is accessible (axe-core), and the editorial team ends an alert with the console's
confirmation dialog (Bootstrap Italia's modal, never the browser's `confirm()`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page, expect

from ascolto.knowledge.models import Alert
from tests import personas
from tests.alerts.helpers import make_alert
from tests.browser.conftest import serious_violations

pytestmark = pytest.mark.django_db(transaction=True)


def _alerts() -> tuple[Alert, Alert]:
    started = timezone.now() - timedelta(hours=1)
    snow = make_alert(
        started,
        hours=3,
        title="Emergenza neve",
        priority=Alert.Priority.URGENT,
        link="https://www.comune.example.it/neve",
    )
    strike = make_alert(started, hours=3, title="Sciopero dei mezzi", channels=("web", "console"))
    return snow, strike


def test_the_banners_are_accessible_everywhere(
    page: Page, sign_in: Any, cast: personas.Cast, tmp_path: Any
) -> None:
    _alerts()
    page.goto("/scrivi/")
    region = page.get_by_role("region", name="Avvisi del Comune")
    expect(region).to_contain_text("Emergenza neve")
    expect(
        region.get_by_role("link", name="Per saperne di più su «Emergenza neve»")
    ).to_be_visible()
    assert serious_violations(page) == []

    page.goto("/avvisi/banner/")
    expect(page.get_by_role("region", name="Avvisi del Comune")).to_contain_text("Sciopero")
    assert serious_violations(page) == []

    sign_in(cast.operator)
    page.goto("/console/inbox/")
    expect(page.get_by_role("region", name="Avvisi del Comune")).to_contain_text("Emergenza neve")
    assert serious_violations(page) == []


def test_ending_an_alert_asks_first_and_it_disappears(
    page: Page, sign_in: Any, cast: personas.Cast
) -> None:
    snow, _strike = _alerts()
    sign_in(cast.supervisor)
    page.goto("/console/alerts/")
    assert serious_violations(page) == []
    end = page.get_by_role("button", name="Termina ora «Emergenza neve»")
    dialog = page.get_by_role(
        "dialog", name="Terminare subito l’avviso? Sparirà da tutti i canali."
    )

    # The question is asked in the console's modal (a native confirm() fails the test: conftest);
    # "Annulla" leaves the alert as it was and gives the focus back to the button.
    end.click()
    expect(dialog).to_be_visible()
    expect(page.locator("#confirm-dialog-ok")).to_be_focused()  # shown: faded in
    assert serious_violations(page) == []
    dialog.get_by_role("button", name="Annulla").click()
    expect(dialog).to_be_hidden()
    expect(end).to_be_focused()
    snow.refresh_from_db()
    assert snow.ends_at > timezone.now()

    # By keyboard: Enter on the button, Enter on "Conferma" (focused when the dialog opens).
    end.press("Enter")
    expect(page.locator("#confirm-dialog-ok")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Avviso terminato")
    expect(page.get_by_role("region", name="Avvisi del Comune")).not_to_contain_text(
        "Emergenza neve"
    )
    snow.refresh_from_db()
    assert snow.ends_at <= timezone.now()

    page.goto("/console/alerts/new/")
    assert serious_violations(page) == []


def test_the_portal_banner_drops_an_alert_at_its_end_without_reloading(page: Page) -> None:
    """The banner left open on a portal page: the browser's clock is moved past the alert's end
    (Playwright's clock), and the alert leaves the banner, which tells the page its new height."""
    now = timezone.now()
    make_alert(now - timedelta(hours=1), hours=1 + 2 / 60, title="Sciopero dei mezzi")
    page.clock.install(time=now)
    page.goto("/avvisi/banner/")
    expect(page.get_by_role("region", name="Avvisi del Comune")).to_contain_text("Sciopero")
    page.evaluate("window.marker = 'same page'")
    page.clock.run_for(3 * 60 * 1000)  # three minutes later: its end has passed
    expect(page.get_by_role("region", name="Avvisi del Comune")).to_have_count(0)
    assert page.evaluate("window.marker") == "same page"  # not reloaded


def test_without_javascript_ending_an_alert_still_works(
    browser: Any, live_server: Any, cast: personas.Cast
) -> None:
    """No script, no dialog: the form is sent as it is and the alert ends (the question is only
    JavaScript's; a native `confirm()` is never the fallback)."""
    snow, _strike = _alerts()
    context = browser.new_context(
        base_url=live_server.url, locale="it-IT", java_script_enabled=False
    )
    client = Client()
    client.force_login(cast.supervisor)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    try:
        page.goto("/console/alerts/")
        page.get_by_role("button", name="Termina ora «Emergenza neve»").click()
        expect(page.get_by_role("status")).to_contain_text("Avviso terminato")
    finally:
        context.close()
    snow.refresh_from_db()
    assert snow.ends_at <= timezone.now()
