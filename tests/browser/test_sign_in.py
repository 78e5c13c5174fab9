"""Staff sign in through the real form; a wrong password says so; pages need a session."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests import personas

pytestmark = pytest.mark.django_db(transaction=True)


def test_operator_signs_in_with_the_form_and_out_again(page: Page, cast: personas.Cast) -> None:
    cast.operator.set_password("una-password-lunga-2026")
    cast.operator.save(update_fields=["password"])

    page.goto("/console/")
    expect(page).to_have_url(re.compile(r"/console/accedi/"))
    page.get_by_label("Nome utente").fill(cast.operator.username)
    page.get_by_label("Password").fill("sbagliata")
    page.get_by_role("button", name="Accedi").click()
    expect(page.get_by_role("alert")).to_contain_text("non corretti")

    page.get_by_label("Password").fill("una-password-lunga-2026")
    page.get_by_role("button", name="Accedi").click()
    expect(page.locator("header")).to_contain_text(cast.operator.get_full_name())
    expect(page).to_have_url(re.compile(r"/console/inbox/"))

    page.get_by_role("button", name="Esci").click()
    page.goto("/console/inbox/")
    expect(page).to_have_url(re.compile(r"/console/accedi/"))
