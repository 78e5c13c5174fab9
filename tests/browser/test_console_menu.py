"""The console's menu on narrow windows (issue 10): below 992 px it folds behind a button that
opens it, every entry is reachable, and "Esci" stays on screen, on a phone (375 px) and on a
half-width window (800 px). On the smallest common laptop screen (1366 px) an administrator's
whole menu fits, the listening pages under "Ascolto"."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser, Page, expect

from tests import personas
from tests.browser.conftest import serious_violations

pytestmark = pytest.mark.django_db(transaction=True)

ENTRIES = ["Casi", "Registra chiamata", "Supervisione", "Contact center", "Report"]
LISTENING = ["Indagini", "Questionari", "Piano indagini", "Carte dei servizi"]


def in_viewport(page: Page, name: str, role: str = "button") -> bool:
    box = page.get_by_role(role, name=name, exact=True).bounding_box()  # type: ignore[arg-type]
    size = page.viewport_size
    assert size is not None
    return (
        box is not None
        and box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= size["width"]
        and box["y"] + box["height"] <= size["height"]
    )


@pytest.mark.parametrize("width", [375, 800])
def test_the_menu_opens_on_a_narrow_window_and_leads_everywhere(
    page: Page, sign_in: Any, cast: personas.Cast, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 740})
    sign_in(cast.supervisor)
    page.goto("/console/inbox/")
    menu = page.get_by_role("navigation", name="Menu principale")
    assert in_viewport(page, "Esci")
    expect(menu.get_by_role("link", name="Report")).to_be_hidden()  # folded

    page.get_by_role("button", name="Apri il menu").click()
    for entry in ENTRIES:
        expect(menu.get_by_role("link", name=entry, exact=True)).to_be_visible()
    assert serious_violations(page) == []
    menu.get_by_role("link", name="Supervisione").click()
    expect(page).to_have_url(re.compile(r"/console/overview/"))
    assert in_viewport(page, "Esci")

    page.get_by_role("button", name="Apri il menu").click()
    menu.get_by_role("link", name="Report").click()
    expect(page).to_have_url(re.compile(r"/console/reports/"))

    page.get_by_role("button", name="Esci").click()
    expect(page).to_have_url(re.compile(r"/console/accedi/|/console/$|/scrivi/"))


def test_on_a_wide_window_the_menu_is_open_without_a_button(
    page: Page, sign_in: Any, cast: personas.Cast
) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(cast.supervisor)
    page.goto("/console/inbox/")
    expect(page.get_by_role("button", name="Apri il menu")).to_be_hidden()
    menu = page.get_by_role("navigation", name="Menu principale")
    for entry in ENTRIES:
        expect(menu.get_by_role("link", name=entry, exact=True)).to_be_visible()
    assert in_viewport(page, "Esci")


def test_on_a_laptop_screen_an_administrators_whole_menu_fits(
    page: Page, sign_in: Any, cast: personas.Cast
) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    sign_in(cast.administrator)
    page.goto("/console/reports/")
    menu = page.get_by_role("navigation", name="Menu principale")
    for entry in [*ENTRIES, "Conoscenza", "Registro accessi"]:
        expect(menu.get_by_role("link", name=entry, exact=True)).to_be_visible()
        assert in_viewport(page, entry, role="link"), entry
    for group in ["Contenuti", "Ascolto"]:  # the menus of their own
        expect(menu.get_by_role("button", name=group, exact=True)).to_be_visible()
        assert in_viewport(page, group), group
    # One row: every entry at the height of the first.
    tops = {
        round(box["y"])
        for link in menu.locator(".navbar-nav > .nav-item > .nav-link").all()
        if (box := link.bounding_box()) is not None
    }
    assert len(tops) == 1, tops
    assert in_viewport(page, "Esci")

    menu.get_by_role("button", name="Ascolto", exact=True).click()
    for entry in LISTENING:
        expect(menu.get_by_role("link", name=entry, exact=True)).to_be_visible()
    page.wait_for_timeout(500)  # the menu fades in: axe reads the colours once it is shown
    assert serious_violations(page) == []
    menu.get_by_role("link", name="Questionari", exact=True).click()
    expect(page).to_have_url(re.compile(r"/console/questionari/"))
    listening = menu.get_by_role("button", name="Ascolto", exact=True)
    expect(listening).to_have_class(re.compile("active"))


def test_without_javascript_the_narrow_menu_is_shown_open(
    browser: Browser, live_server: Any, cast: personas.Cast
) -> None:
    context = browser.new_context(
        base_url=live_server.url,
        locale="it-IT",
        java_script_enabled=False,
        viewport={"width": 375, "height": 740},
    )
    client = Client()
    client.force_login(cast.supervisor)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )
    page = context.new_page()
    page.goto("/console/inbox/")
    menu = page.get_by_role("navigation", name="Menu principale")
    # The supervisor's listening pages (surveys are built by analysts and administrators).
    for entry in [*ENTRIES, "Indagini", "Piano indagini", "Carte dei servizi"]:
        expect(menu.get_by_role("link", name=entry, exact=True)).to_be_visible()
    assert in_viewport(page, "Esci")
    context.close()
