"""A supervisor's first sign-in in a real browser: the password, the enrolment page (the
secret read off the page, as an app would from the QR code), the recovery codes shown once;
then a second sign-in with a recovery code. Every page of the way is axe-clean."""

from __future__ import annotations

import re
from base64 import b32decode

import pytest
from django_otp.oath import totp
from playwright.sync_api import Page, expect

from tests import personas
from tests.browser.conftest import serious_violations
from tests.signin import PASSWORD, with_password

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_supervisor_sets_up_the_app_at_first_sign_in_then_signs_in_with_a_recovery_code(
    page: Page, cast: personas.Cast
) -> None:
    with_password(cast.supervisor)

    page.goto("/console/overview/")
    page.get_by_label("Nome utente").fill("marco")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Accedi").click()

    expect(page.get_by_role("heading", name="Attiva la verifica in due passaggi")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("Codice QR"))).to_be_visible()
    assert page.get_by_role("navigation", name="Menu principale").count() == 0
    assert serious_violations(page) == []
    secret = page.locator("#otp-secret").inner_text().replace(" ", "")
    code = f"{totp(b32decode(secret)):06d}"
    page.get_by_label("Codice dell'app").fill(code)
    page.get_by_role("button", name="Attiva").click()

    expect(page.get_by_role("heading", name="Codici di recupero")).to_be_visible()
    assert serious_violations(page) == []
    codes = page.get_by_role("list", name="Codici di recupero").locator("code").all_inner_texts()
    assert len(codes) == 10
    page.get_by_role("link", name="Ho salvato i codici, continua").click()
    expect(page).to_have_url(re.compile(r"/console/overview/$"))

    page.get_by_role("button", name="Esci").click()
    page.goto("/console/overview/")
    page.get_by_label("Nome utente").fill("marco")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    expect(page.get_by_role("heading", name="Verifica in due passaggi")).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_label("Codice").fill(codes[0])
    page.get_by_role("button", name="Verifica").click()
    expect(page).to_have_url(re.compile(r"/console/overview/$"))
    expect(page.locator("header")).to_contain_text(cast.supervisor.get_full_name())
