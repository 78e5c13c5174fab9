"""The Content-Security-Policy holds in real Chromium: every console page (the list the axe test
reads from the URL conf), every citizen page, the embeddable banner and the API's docs load with
no `securitypolicyviolation` (no refused inline script, style attribute, `<style>` or resource
from another site) and still work: HTMX swaps, the charts draw, the confirmation dialog opens,
the web chat answers, the banner runs its script, Swagger UI renders from local files.

The `page` fixture (tests/browser/conftest.py) fails any browser test on a violation, so the
other browser tests (the chat, modals, the inbox's polls, the case workspace) are watched too;
here each page is visited once, with what it loads by itself in place."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from ascolto.demo.knowledge import seed_articles
from ascolto.knowledge.models import Article
from tests import personas
from tests.alerts.helpers import make_alert
from tests.assistant.conftest import build_menu
from tests.browser.conftest import tick_privacy, watch_csp
from tests.browser.test_console_axe import PAGES, _world

pytestmark = pytest.mark.django_db(transaction=True)


def settle(page: Page) -> None:
    """What the page loads by itself (HTMX on load, the charts) is in place."""
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


def test_every_console_page_loads_and_works_within_the_policy(
    page: Page, sign_in: Any, cast: personas.Cast
) -> None:
    world = _world(cast)
    cast.administrator.extension = "201"
    cast.administrator.save(update_fields=["extension"])
    seen = watch_csp(page)
    headers: dict[str, str] = {}
    for name, url in PAGES.items():
        if name == "home":
            sign_in(cast.administrator)
        response = page.goto(url(world))
        assert response is not None and response.status == 200, (name, url(world))
        headers[name] = response.headers.get("content-security-policy", "")
        settle(page)
        assert seen == [], (name, seen)
    assert all("default-src 'self'" in policy for policy in headers.values()), headers

    # The charts draw on the canvas (Chart.js styles through the CSSOM, which is allowed).
    page.goto("/console/reports/themes/")
    settle(page)
    assert page.locator("canvas.report-chart").count() > 0
    assert page.evaluate(
        "() => [...document.querySelectorAll('canvas.report-chart')]"
        ".every(c => window.Chart && window.Chart.getChart(c))"
    )
    # The confirmation dialog (Bootstrap Italia's modal) opens and closes.
    page.goto(PAGES["case"](world))
    settle(page)
    page.locator("#action-note > summary").click()
    page.get_by_label("Nota interna (visibile solo agli operatori)").fill("Richiamare lunedì.")
    page.get_by_role("button", name="Aggiungi la nota").click()
    dialog = page.get_by_role("dialog", name="Aggiungere la nota interna al caso?")
    expect(dialog).to_be_visible()
    expect(page.locator("#confirm-dialog-ok")).to_be_focused()  # faded in
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    # The language menu sends its form when a language is chosen (an on* attribute before).
    page.goto("/console/inbox/")
    page.locator("#language-select").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator("#language-select").select_option("it")
    expect(page.locator("html")).to_have_attribute("lang", "it")
    assert seen == []


def test_every_citizen_page_loads_and_works_within_the_policy(
    page: Page, cast: personas.Cast
) -> None:
    seed_articles()
    build_menu(cast.administrator)
    make_alert(timezone.now() - timedelta(hours=1))
    article = Article.objects.filter(audience=Article.Audience.PUBLIC).first()
    assert article is not None
    seen = watch_csp(page)

    # The form, with its HTMX (services of the chosen area, suggested articles), sent.
    page.goto("/scrivi/")
    page.get_by_label("Richiesta di informazioni o verifica").check(force=True)
    page.locator("#id_area").select_option("tributi")
    page.locator("#id_service").select_option("tari")
    page.locator("#id_description").press_sequentially("Come posso pagare la tassa rifiuti?")
    expect(page.locator("#suggestions")).to_contain_text("TARI")
    page.locator("#id_first_name").fill("Maria")
    page.locator("#id_last_name").fill("Rossi")
    page.locator("#id_email").fill(personas.MARIA_EMAIL)
    tick_privacy(page)
    page.get_by_role("button", name="Invia la richiesta").click()
    expect(page.get_by_role("heading", name="Richiesta inviata")).to_be_visible()
    code = page.locator("#tracking-code").inner_text()
    assert seen == [], seen

    for url in (
        f"/scrivi/pratica/{code}/",
        "/scrivi/pratica/",
        f"/scrivi/articoli/{article.slug}/",
        "/scrivi/privacy/",
        "/trasparenza/",
        f"/trasparenza/reclami/{timezone.localdate().year}/",
        "/console/accedi/",
        "/scrivi/pratica/NESSUNO-0000/",
    ):
        page.goto(url)
        settle(page)
        assert seen == [], (url, seen)

    # The web chat answers (its form is reset by ascolto.js, no hx-on attribute).
    page.goto("/scrivi/assistente/")
    box = page.get_by_label("La tua domanda, una lettera del menu, oppure «menu»")
    box.fill("ciao")
    page.get_by_role("button", name="Invia", exact=True).click()
    expect(page.get_by_role("log")).to_contain_text("assistente virtuale del Comune")
    expect(box).to_have_value("")
    assert seen == [], seen


def test_the_banner_framed_by_another_page_runs_and_the_api_docs_render_from_local_files(
    page: Page, cast: personas.Cast, live_server: Any
) -> None:
    make_alert(timezone.now() - timedelta(hours=1))
    seen = watch_csp(page)
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url)
            if not request.url.startswith((live_server.url, "data:", "about:"))
            else None
        ),
    )

    # The banner in an iframe (frame-ancestors allows it, unlike every other page): its script
    # runs and tells the parent page its height.
    page.goto("/avvisi/banner/")
    expect(page.locator("#alerts .alert")).to_have_count(1)
    frame_host = page.evaluate(
        """src => new Promise(resolve => {
            window.addEventListener("message", e => resolve(e.data.ascoltoAlertsHeight));
            const frame = document.createElement("iframe");
            frame.src = src;
            document.body.appendChild(frame);
        })""",
        f"{live_server.url}/avvisi/banner/",
    )
    assert isinstance(frame_host, int | float) and frame_host > 0

    page.goto("/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("ascolto API")
    assert outside == [], outside
    assert seen == [], seen
