"""Single sign-on in Chromium: the sign-in page's button, the local provider (a real OpenID
Connect server on the loopback), back in the console signed in; then signing out here and at the
provider. The page is accessible (axe) and the Content-Security-Policy holds throughout (the
page fixture fails on a violation: the sign-out's redirect to the provider is a form target)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from ascolto.organisation.oidc_sandbox import OIDCSandbox
from tests import personas
from tests.browser.conftest import serious_violations
from tests.oidc import BUTTON, _oidc_server, oidc_provider

__all__ = ["_oidc_server", "oidc_provider"]  # fixtures

pytestmark = pytest.mark.django_db(transaction=True)


def test_staff_sign_in_with_the_citys_account_and_out_at_the_provider(
    page: Page, cast: personas.Cast, oidc_provider: OIDCSandbox
) -> None:
    page.goto("/console/")
    expect(page).to_have_url(re.compile(r"/console/accedi/"))
    assert serious_violations(page) == []
    page.get_by_role("link", name=BUTTON).click()

    expect(page).to_have_url(re.compile(r"/console/inbox/"))
    expect(page.locator("header")).to_contain_text("Elena Bruni")
    expect(page.locator("header")).to_contain_text(cast.contact_center.name)

    page.get_by_role("button", name="Esci").click()
    expect(page).to_have_url(re.compile(r"/console/accedi/"))
    assert len(oidc_provider.logouts) == 1
    page.goto("/console/inbox/")
    expect(page).to_have_url(re.compile(r"/console/accedi/"))
