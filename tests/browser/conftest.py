"""Browser tests: real headless Chromium (Debian's package) driven by Playwright.

Playwright never downloads a browser here: it launches `/usr/bin/chromium` (or
`ASCOLTO_CHROMIUM`) through `executable_path`. `make test` installs Chromium first
(scripts/browser), so a missing browser is an error, not a skip. The pages are served by
pytest-django's live server on the test database.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser, Dialog, Page, expect, sync_playwright

from ascolto.core.testing import CHROMIUM, CHROMIUM_FLAGS

# Playwright's sync API runs an event loop in the test's thread; the ORM calls the tests make
# around it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

AXE = Path(settings.BASE_DIR) / "web" / "static" / "vendor" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run scripts/browser (make test does)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, live_server: Any) -> Iterator[Page]:
    """A fresh browser context (no cookies) on the live server, in Italian. A native dialog
    (`confirm()`, `alert()`) fails the test: the console asks in its own modal."""
    context = browser.new_context(base_url=live_server.url, locale="it-IT")
    context.set_default_timeout(10_000)
    tab = context.new_page()
    native: list[str] = []

    def refuse(dialog: Dialog) -> None:
        native.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    tab.on("dialog", refuse)
    violations = watch_csp(tab)
    yield tab
    leave(tab)
    context.close()
    assert native == [], f"native dialogs shown: {native}"
    assert violations == [], f"Content-Security-Policy violations: {violations}"


# Each `securitypolicyviolation` event of a page (any frame), written to the console where the
# test reads it. An init script runs through the DevTools protocol, so the policy does not stop it.
CSP_WATCH = """
document.addEventListener("securitypolicyviolation", function (event) {
  console.error("csp-violation " + JSON.stringify({
    directive: event.effectiveDirective, blocked: event.blockedURI,
    source: event.sourceFile + ":" + event.lineNumber, sample: event.sample,
    page: location.pathname}));
});
"""


def watch_csp(tab: Page) -> list[str]:
    """The page's Content-Security-Policy violations, as they happen: Chromium's own report of a
    refused resource or inline code, and each `securitypolicyviolation` event."""
    found: list[str] = []
    tab.add_init_script(CSP_WATCH)

    def note(message: Any) -> None:
        text = message.text
        if text.startswith("csp-violation ") or "Content Security Policy" in text:
            found.append(text)

    tab.on("console", note)
    return found


@pytest.fixture
def sign_in(page: Page, live_server: Any) -> Any:
    """`sign_in(user)`: give the page's browser a signed-in session of `user` (the session is
    made by Django's test client, so no password is hashed)."""

    def _sign_in(user: Any) -> None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        page.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
        )

    return _sign_in


def leave(tab: Page) -> None:
    """Leave the page before the test's database is flushed, with no request of the page still
    being served meanwhile. A case page says goodbye with a beacon as it is left (case.js);
    Playwright does not report a beacon sent while a page unloads, so it could not be waited
    for (each wait ran into its timeout): the goodbye is switched off here instead, and the
    polls of the page end with it. The goodbye itself is tested where a user leaves a case
    (test_case_workspace.py, a colleague on the same case)."""
    if "/console/cases/" not in tab.url:
        return
    tab.evaluate("() => { navigator.sendBeacon = () => true; }")
    tab.goto("about:blank")
    tab.wait_for_timeout(200)  # a poll the server had already taken finishes


def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now. axe is evaluated by
    Playwright (through the DevTools protocol), not added as a `<script>`: the pages'
    Content-Security-Policy refuses inline scripts, and the tests keep it on."""
    page.evaluate("() => {" + AXE.read_text(encoding="utf-8") + "\n}")
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def tick_privacy(page: Page) -> None:
    """Tick the Scrivi form's privacy box as a citizen does: on the box Bootstrap Italia draws at
    the start of the label (the input itself is hidden under it). Clicking the input's centre
    with `force` could land on the notice's link in the label when the text wraps, which opens
    the notice instead of ticking the box."""
    box = page.locator("label[for=id_privacy]")
    box.click(position={"x": 6, "y": 6})
    expect(page.locator("#id_privacy")).to_be_checked()
