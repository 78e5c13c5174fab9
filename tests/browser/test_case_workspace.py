"""The case page as an operator's workspace, in Chromium at 1366×768 and 390×844: the citizen's
first message above the fold, the composer's `#` search inserting a template with its
placeholders filled, the keyboard flow (reply, resolve) without the mouse, the confirmation in a
Bootstrap Italia modal (any native dialog fails the test), an empty reply refused before any
dialog, and the warning when a colleague is on the same case."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Browser, Dialog, Page, expect

from ascolto.channels.models import Message
from ascolto.knowledge.models import Article
from ascolto.tickets.models import CasePresence, Ticket
from tests import factories, personas
from tests.alerts.helpers import make_alert
from tests.browser.conftest import leave, serious_violations, watch_csp

pytestmark = pytest.mark.django_db(transaction=True)

WIDE = {"width": 1366, "height": 768}
LONG_ALERT = (
    "Nei giorni dello sciopero metropolitana, tram e autobus possono fermarsi dalle 8.45 alle 15 "
    "e dopo le 18. Gli uffici comunali restano aperti."
)
PHONE = {"width": 390, "height": 844}
FIRST = "Buongiorno, non ho ricevuto l'avviso di pagamento TARI per il 2026."


def _scrivi_case() -> Ticket:
    received = factories.submit_scrivi(
        FIRST, email=personas.MARIA_EMAIL, fiscal_code=personas.MARIA_FISCAL_CODE
    )
    assert received.ticket_id is not None
    return Ticket.objects.get(pk=received.ticket_id)


def _article() -> Article:
    return Article.objects.create(
        slug="avviso-tari-rispedito",
        title="Avviso TARI rispedito",
        summary="Risposta tipo: l'avviso di pagamento è stato inviato di nuovo.",
        body="{saluto},\nabbiamo rispedito l'avviso (pratica {codice}). Per {ufficio}, {nome}?",
        keywords="tari, avviso",
        audience=Article.Audience.INTERNAL,
    )


def _tab(browser: Browser, live_server: Any, user: Any, viewport: dict[str, int]) -> Page:
    """A signed-in tab of its own context; any native dialog (confirm, alert) fails the test."""
    context = browser.new_context(base_url=live_server.url, locale="it-IT", viewport=viewport)
    context.set_default_timeout(10_000)
    client = Client()
    client.force_login(user)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    tab = context.new_page()

    def native(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    dialogs: list[str] = []
    tab.on("dialog", native)
    tab.native_dialogs = dialogs  # type: ignore[attr-defined]
    tab.csp_violations = watch_csp(tab)  # type: ignore[attr-defined]
    return tab


@pytest.fixture
def tabs(browser: Browser) -> Iterator[list[Page]]:
    opened: list[Page] = []
    yield opened
    for tab in opened:
        leave(tab)
        dialogs = tab.native_dialogs  # type: ignore[attr-defined]
        violations = tab.csp_violations  # type: ignore[attr-defined]
        tab.context.close()
        assert dialogs == [], f"a native dialog was opened: {dialogs}"
        assert violations == [], f"Content-Security-Policy violations: {violations}"


@pytest.mark.parametrize("alerts", [False, True], ids=["", "with-two-alerts"])
@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1366x768", "390x844"])
def test_the_first_message_is_visible_without_scrolling(
    browser: Browser,
    live_server: Any,
    cast: personas.Cast,
    tabs: list[Page],
    viewport: Any,
    alerts: bool,
) -> None:
    ticket = _scrivi_case()
    if alerts:
        # As in the demo city: two alerts on current topics atop every console page, each one
        # line until opened; the message and the composer still fit a laptop's window.
        started = timezone.now() - timedelta(hours=1)
        make_alert(started, hours=4, title="Sciopero dei mezzi pubblici", text=LONG_ALERT)
        make_alert(started, hours=4, title="TARI: la rata scade a fine mese", text=LONG_ALERT)
    tab = _tab(browser, live_server, cast.operator, viewport)
    tabs.append(tab)
    tab.goto(f"/console/cases/{ticket.code}/")

    first = tab.locator("#thread article").first
    expect(first).to_contain_text("non ho ricevuto l'avviso")
    box = first.bounding_box()
    assert box is not None
    assert tab.evaluate("window.scrollY") == 0
    assert box["y"] + box["height"] <= viewport["height"], box  # the whole message, unscrolled
    composer = tab.locator("#composer").bounding_box()
    citizen = tab.locator("#citizen-panel").bounding_box()
    assert composer is not None and citizen is not None
    if viewport is WIDE:
        # Three areas: the citizen beside the thread, the composer under it, in view.
        assert citizen["x"] > box["x"] + box["width"]
        assert composer["y"] + composer["height"] <= viewport["height"] + 1
        assert box["y"] + box["height"] <= composer["y"]  # not under the sticky composer
    else:
        # One column: the citizen's data come after the thread and the composer.
        assert citizen["y"] > composer["y"]
        assert abs(citizen["x"] - box["x"]) < 40
    assert serious_violations(tab) == []


def test_reply_with_a_template_and_resolve_with_the_keyboard_only(
    browser: Browser, live_server: Any, cast: personas.Cast, tabs: list[Page]
) -> None:
    ticket = _scrivi_case()
    _article()
    tab = _tab(browser, live_server, cast.operator, WIDE)
    tabs.append(tab)
    tab.goto(f"/console/cases/{ticket.code}/")

    tab.keyboard.press("r")
    reply = tab.get_by_label("Risposta al cittadino")
    expect(reply).to_be_focused()
    tab.keyboard.type("#")
    search = tab.get_by_role("combobox", name="Cerca modelli e articoli")
    expect(search).to_be_focused()
    tab.keyboard.type("rispedito")
    expect(tab.locator("#snippet-list").get_by_role("option").first).to_contain_text(
        "Avviso TARI rispedito"
    )
    assert serious_violations(tab) == []
    tab.keyboard.press("Enter")
    expect(reply).to_be_focused()
    expected = f"Gentile Sig.ra Rossi,\nabbiamo rispedito l'avviso (pratica {ticket.code})."
    assert reply.input_value().startswith(expected)
    assert "#" not in reply.input_value()
    tab.keyboard.type(" Cordiali saluti.")

    tab.keyboard.press("Control+Enter")
    dialog = tab.get_by_role("dialog", name="Inviare la risposta al cittadino?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Gentile Sig.ra Rossi")
    expect(tab.locator("#confirm-dialog-ok")).to_be_focused()
    assert serious_violations(tab) == []
    tab.keyboard.press("Enter")

    expect(tab.get_by_role("status").first).to_contain_text("Risposta inviata al cittadino.")
    sent = Message.objects.get(direction=Message.Direction.OUTBOUND, author=cast.operator)
    assert sent.text.replace("\r\n", "\n").startswith(expected)
    assert sent.text.endswith("Cordiali saluti.")

    tab.wait_for_load_state("load")  # the page after the reply, with its script
    tab.keyboard.press("s")
    resolution = tab.get_by_label("Risoluzione")
    expect(resolution).to_be_focused()
    tab.keyboard.type("Avviso rispedito, pagamento verificato.")
    tab.keyboard.press("Control+Enter")
    expect(
        tab.get_by_role("dialog", name="Risolvere il caso con questa risoluzione?")
    ).to_be_visible()
    expect(tab.locator("#confirm-dialog-ok")).to_be_focused()
    tab.keyboard.press("Enter")
    expect(tab.get_by_role("status").first).to_contain_text("Caso risolto.")
    expect(tab.locator("#case-status")).to_have_text("Risolto")


def test_an_empty_reply_is_refused_before_any_dialog(
    browser: Browser, live_server: Any, cast: personas.Cast, tabs: list[Page]
) -> None:
    ticket = _scrivi_case()
    tab = _tab(browser, live_server, cast.operator, WIDE)
    tabs.append(tab)
    posts: list[str] = []
    tab.on(
        "request",
        lambda r: posts.append(r.url) if r.method == "POST" and "/reply/" in r.url else None,
    )
    tab.goto(f"/console/cases/{ticket.code}/")

    reply = tab.get_by_label("Risposta al cittadino")
    reply.fill("   ")
    tab.get_by_role("button", name="Invia la risposta").click()
    expect(tab.locator("#id_replyform_text-error")).to_have_text(
        "Questo campo è obbligatorio: scrivi il testo."
    )
    expect(reply).to_be_focused()
    expect(tab.locator("#confirm-dialog")).to_be_hidden()
    assert posts == []
    assert not Message.objects.filter(author=cast.operator).exists()


def test_the_modal_can_be_dismissed_and_nothing_is_done(
    browser: Browser, live_server: Any, cast: personas.Cast, tabs: list[Page]
) -> None:
    ticket = _scrivi_case()
    tab = _tab(browser, live_server, cast.operator, PHONE)
    tabs.append(tab)
    tab.goto(f"/console/cases/{ticket.code}/")
    tab.locator("#action-note > summary").click()
    tab.get_by_label("Nota interna (visibile solo agli operatori)").fill("Richiamare lunedì.")
    tab.get_by_role("button", name="Aggiungi la nota").click()
    dialog = tab.get_by_role("dialog", name="Aggiungere la nota interna al caso?")
    expect(dialog).to_be_visible()
    expect(tab.locator("#confirm-dialog-ok")).to_be_focused()  # shown: faded in, not half-way
    assert serious_violations(tab) == []
    tab.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert not Message.objects.filter(direction=Message.Direction.NOTE).exists()

    tab.get_by_role("button", name="Aggiungi la nota").click()
    tab.get_by_role("button", name="Conferma").click()
    expect(tab.locator("#thread")).to_contain_text("Richiamare lunedì.")


def test_a_colleague_on_the_same_case_is_shown(
    browser: Browser, live_server: Any, cast: personas.Cast, tabs: list[Page]
) -> None:
    ticket = _scrivi_case()
    giulia = _tab(browser, live_server, cast.operator, WIDE)
    marco = _tab(browser, live_server, cast.supervisor, PHONE)
    tabs.extend([giulia, marco])
    giulia.goto(f"/console/cases/{ticket.code}/")
    expect(giulia.locator("#collision")).to_have_count(0)

    marco.goto(f"/console/cases/{ticket.code}/")
    expect(marco.locator("#collision")).to_have_text("Giulia V. sta guardando questo caso")
    expect(giulia.locator("#collision")).to_have_text("Marco N. sta guardando questo caso")

    marco.get_by_label("Risposta al cittadino").fill("Le scrivo per")
    expect(giulia.locator("#collision")).to_have_text("Marco N. sta scrivendo una risposta")
    assert serious_violations(giulia) == []

    # Marco goes back to the inbox: the page's goodbye drops him from Giulia's warning at her
    # next poll (every 4 s), well before his row would have aged out (PRESENCE_SECONDS).
    marco.goto("/console/inbox/")
    expect(giulia.locator("#collision")).to_have_count(0, timeout=8_000)
    assert not CasePresence.objects.filter(ticket=ticket, user=cast.supervisor).exists()
    # Back on the case, he is shown again.
    marco.goto(f"/console/cases/{ticket.code}/")
    expect(giulia.locator("#collision")).to_have_text("Marco N. sta guardando questo caso")
