"""Attaching a file to a reply in the case page's composer, in Chromium at 1366×768: the file
chosen, the confirmation modal naming it, the reply sent with it, the file listed in the thread
and downloaded from there; axe finds nothing serious on the composer with its file field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from ascolto.channels.models import Message
from tests import personas
from tests.browser.conftest import serious_violations
from tests.browser.test_case_workspace import WIDE, _scrivi_case, _tab, tabs  # noqa: F401
from tests.web.test_reply_attachments import PDF

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_operator_attaches_a_file_to_a_reply(
    browser: Browser,
    live_server: Any,
    cast: personas.Cast,
    tabs: list[Page],  # noqa: F811
    settings: Any,
    tmp_path: Path,
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    ticket = _scrivi_case()
    tab = _tab(browser, live_server, cast.operator, WIDE)
    tabs.append(tab)
    tab.goto(f"/console/cases/{ticket.code}/")

    files = tab.get_by_label("Allegati (facoltativi)")
    expect(files).to_be_visible()
    assert serious_violations(tab) == []
    tab.get_by_label("Risposta al cittadino").fill("Le inviamo il modulo da compilare.")
    files.set_input_files(
        [{"name": "modulo-tari.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    tab.get_by_role("button", name="Invia la risposta").click()

    dialog = tab.get_by_role("dialog", name="Inviare la risposta al cittadino?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Allegati: modulo-tari.pdf")
    tab.locator("#confirm-dialog-ok").click()

    expect(tab.get_by_role("status").first).to_contain_text("Risposta inviata al cittadino.")
    sent = Message.objects.get(direction=Message.Direction.OUTBOUND, author=cast.operator)
    assert [(a["name"], a["content_type"], a["size"]) for a in sent.attachments] == [
        ("modulo-tari.pdf", "application/pdf", len(PDF))
    ]
    link = tab.locator(f"#message-{sent.pk}").get_by_role("link", name="modulo-tari.pdf")
    expect(link).to_be_visible()
    with tab.expect_download() as download:
        link.click()
    assert Path(download.value.path()).read_bytes() == PDF
