"""Open redirects: every `next` (or `back`) a page is sent with leads only to a path of this
site. Sign-in, sign-out, the language switch and the duplicates' decision are tried with
addresses of another site written the ways browsers read them (`//host`, `https://host`,
`/\\host`, `\\\\host`, `https:host`, `javascript:`); each lands on the page's own default
instead, while a path of the site is followed (so the tests can fail)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from ascolto.citizens.models import MergeSuggestion
from ascolto.organisation.models import User
from tests import factories, personas

pytestmark = pytest.mark.django_db

ELSEWHERE = [
    "//evil.example/",
    "https://evil.example/",
    "http://evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "https:evil.example",
    " //evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
]
PASSWORD = "una-password-lunga-e-sicura-2026"  # noqa: S105 (a test's password)


def same_site(response: Any) -> str:
    """The redirect's target, checked to be a path of this site."""
    assert response.status_code in {301, 302, 303}, response.status_code
    location = str(response.headers["Location"])
    parts = urlsplit(location)
    assert not parts.scheme and not parts.netloc, location
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location
    assert "evil.example" not in parts.path and "alert" not in parts.path, location
    return location


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def operator(cast: personas.Cast) -> User:
    cast.operator.set_password(PASSWORD)
    cast.operator.save(update_fields=["password"])
    return cast.operator


@pytest.mark.parametrize("target", ELSEWHERE)
def test_sign_in_goes_to_the_console_whatever_next_says(operator: User, target: str) -> None:
    response = Client().post(
        "/console/accedi/",
        {"username": operator.username, "password": PASSWORD, "next": target},
    )
    assert same_site(response) == "/console/"


def test_sign_in_follows_a_next_within_the_site(operator: User) -> None:
    response = Client().post(
        "/console/accedi/?next=/console/reports/",
        {"username": operator.username, "password": PASSWORD},
    )
    assert same_site(response) == "/console/reports/"


@pytest.mark.parametrize("target", ELSEWHERE)
def test_a_signed_in_user_sent_to_sign_in_stays_on_the_site(
    cast: personas.Cast, target: str
) -> None:
    response = signed_in(cast.operator).get("/console/accedi/", {"next": target})
    assert same_site(response) == "/console/"


@pytest.mark.parametrize("target", ELSEWHERE)
def test_sign_out_stays_on_the_site(cast: personas.Cast, target: str) -> None:
    response = signed_in(cast.operator).post("/console/esci/", {"next": target})
    assert same_site(response) == "/console/accedi/"


@pytest.mark.parametrize("target", ELSEWHERE)
def test_the_language_switch_stays_on_the_site(target: str) -> None:
    response = Client().post(
        "/i18n/setlang/",
        {"language": "en", "next": target},
        HTTP_REFERER="https://evil.example/from",
    )
    assert same_site(response) == "/"


def test_the_language_switch_goes_back_to_the_page_it_was_chosen_on() -> None:
    response = Client().post("/i18n/setlang/", {"language": "en", "next": "/scrivi/privacy/"})
    assert same_site(response) == "/scrivi/privacy/"


@pytest.mark.parametrize("target", ELSEWHERE)
def test_deciding_a_duplicate_stays_on_the_site(cast: personas.Cast, target: str) -> None:
    factories.submit_scrivi("Come pago la TARI?", email=personas.MARIA_EMAIL, phone="+393331234567")
    factories.submit_scrivi("Passo carrabile", email="luca@example.it", phone="+393331234567")
    suggestion = MergeSuggestion.objects.get()
    response = signed_in(cast.operator).post(
        f"/console/citizens/duplicates/{suggestion.pk}/dismiss/", {"next": target}
    )
    assert same_site(response) == "/console/citizens/duplicates/"


def test_deciding_a_duplicate_goes_back_to_the_page_it_was_decided_on(
    cast: personas.Cast,
) -> None:
    factories.submit_scrivi("Come pago la TARI?", email=personas.MARIA_EMAIL, phone="+393331234567")
    factories.submit_scrivi("Passo carrabile", email="luca@example.it", phone="+393331234567")
    suggestion = MergeSuggestion.objects.get()
    response = signed_in(cast.operator).post(
        f"/console/citizens/duplicates/{suggestion.pk}/dismiss/", {"next": "/console/inbox/"}
    )
    assert same_site(response) == "/console/inbox/"


@pytest.mark.parametrize("target", ELSEWHERE)
def test_a_bulk_change_returns_to_the_inbox(cast: personas.Cast, target: str) -> None:
    response = signed_in(cast.operator).post(
        "/console/inbox/bulk/", {"back": target, "action": "assign"}
    )
    # `back` is the inbox's own query (its filters), never a place: the path stays the inbox.
    assert urlsplit(same_site(response)).path == "/console/inbox/"
