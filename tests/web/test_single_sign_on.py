"""Single sign-on of staff with the city's directory (issue 16, decision 0021), against a real
OpenID Connect provider on the loopback (`organisation/oidc_sandbox.py`): the console's client
follows the whole authorization-code flow over HTTP (discovery, PKCE, an RS256 ID token checked
against the provider's JWKS, userinfo), maps groups and office to role and office, refuses who
has no role and every token that fails a check, and decides the second factor."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse

from ascolto.organisation import sso, twofactor
from ascolto.organisation.models import DirectoryDevice, User
from ascolto.organisation.oidc_sandbox import OIDCSandbox, default_user
from tests import personas
from tests.oidc import BUTTON, _oidc_server, oidc_provider

__all__ = ["_oidc_server", "oidc_provider"]  # fixtures

pytestmark = pytest.mark.django_db

START = datetime(2026, 5, 4, 8, 30, tzinfo=UTC)


@pytest.fixture
def provider(oidc_provider: OIDCSandbox) -> Iterator[OIDCSandbox]:
    """The local provider (`tests.oidc`), with the clock pinned and ticking: the provider's
    thread makes the token's iat and exp from the same clock."""
    with time_machine.travel(START, tick=True):
        yield oidc_provider


def _user(**changes: Any) -> dict[str, Any]:
    user = default_user()
    user.update(changes)
    return user


def sso_sign_in(client: Client, provider: OIDCSandbox, next_url: str = "") -> Any:
    """The browser's journey: the console's button, the provider (real HTTP: it approves and
    redirects back with a code), the console's callback. Returns the callback's response."""
    start_url = reverse("console:sso-start") + (f"?next={quote(next_url)}" if next_url else "")
    start = client.get(start_url)
    assert start.status_code == 302, start.status_code
    assert start["Location"].startswith(f"{provider.url}/authorize?")
    at_provider = requests.get(start["Location"], allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302, at_provider.text
    back = urlsplit(at_provider.headers["Location"])
    assert back.path == reverse("console:sso-callback")
    return client.get(f"{back.path}?{back.query}")


def _signed_in(client: Client) -> bool:
    return SESSION_KEY in client.session


def _login_page_text(client: Client) -> str:
    page = client.get(reverse("console:login"))
    assert page.status_code == 200
    return page.content.decode()


def test_a_member_of_staff_signs_in_with_the_directory_and_gets_role_and_office(
    cast: personas.Cast, provider: OIDCSandbox
) -> None:
    client = Client()
    response = sso_sign_in(client, provider, next_url="/console/inbox/")
    assert response.status_code == 302
    assert response["Location"] == "/console/inbox/"
    user = User.objects.get(username="elena.bruni")
    assert user.role == User.Role.FIRST_LEVEL
    assert user.office == cast.contact_center
    assert (user.email, user.first_name, user.last_name) == (
        "elena.bruni@comune.example.it",
        "Elena",
        "Bruni",
    )
    assert not user.has_usable_password()
    assert client.get("/console/inbox/").status_code == 200
    # The client sent the PKCE verifier and its secret; the provider checked both.
    (token_request,) = provider.token_requests
    assert len(token_request["code_verifier"]) >= 43


def test_the_directory_is_the_source_of_truth_role_and_office_change_at_the_next_sign_in(
    cast: personas.Cast, provider: OIDCSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    sso_sign_in(Client(), provider)
    provider.reset(_user(groups=["dipendenti", "crm-uffici"], department="TRIB-TARI"))
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="ascolto.organisation.sso"):
        response = sso_sign_in(Client(), provider)
    assert response.status_code == 302
    user = User.objects.get(username="elena.bruni")
    assert user.role == User.Role.OFFICE
    assert user.office == cast.tari
    assert User.objects.filter(username="elena.bruni").count() == 1
    # The change is logged, by id and codes: no name, no email.
    changes = [r.getMessage() for r in caplog.records if "role" in r.getMessage()]
    assert changes == [
        f"single sign-on: user {user.pk} role first_level -> office, "
        "office contact-center -> ufficio-tari"
    ]
    logged = caplog.text
    assert "Elena" not in logged and "elena.bruni" not in logged


def test_a_person_in_no_mapped_group_is_refused_and_no_account_is_made(
    cast: personas.Cast, provider: OIDCSandbox
) -> None:
    provider.reset(_user(groups=["dipendenti", "biblioteche"]))
    client = Client()
    response = sso_sign_in(client, provider)
    assert response.status_code == 302
    assert response["Location"] == reverse("console:login")
    assert not _signed_in(client)
    assert not User.objects.filter(username="elena.bruni").exists()
    assert "non ha un ruolo in ascolto" in _login_page_text(client)
    # Shown once.
    assert "non ha un ruolo in ascolto" not in _login_page_text(client)


def test_an_office_operator_whose_office_is_unknown_is_refused(
    cast: personas.Cast, provider: OIDCSandbox
) -> None:
    provider.reset(_user(groups=["crm-uffici"], department="ufficio-inesistente"))
    client = Client()
    sso_sign_in(client, provider)
    assert not _signed_in(client)
    assert not User.objects.filter(username="elena.bruni").exists()
    assert "nessun ufficio" in _login_page_text(client)


@pytest.mark.parametrize(
    "fault", ["bad-signature", "wrong-nonce", "wrong-audience", "wrong-issuer", "expired"]
)
def test_an_id_token_that_fails_a_check_is_refused(
    fault: str, cast: personas.Cast, provider: OIDCSandbox
) -> None:
    provider.fault = fault
    client = Client()
    response = sso_sign_in(client, provider)
    assert response.status_code == 302
    assert response["Location"] == reverse("console:login")
    assert not _signed_in(client)
    assert not User.objects.filter(username="elena.bruni").exists()
    assert "Accesso con l&#x27;account del Comune non riuscito" in _login_page_text(client)


def test_a_callback_replayed_with_a_spent_state_makes_no_second_exchange(
    cast: personas.Cast, provider: OIDCSandbox
) -> None:
    client = Client()
    start = client.get(reverse("console:sso-start"))
    at_provider = requests.get(start["Location"], allow_redirects=False, timeout=10)
    back = urlsplit(at_provider.headers["Location"])
    callback = f"{back.path}?{back.query}"
    assert client.get(callback).status_code == 302
    assert _signed_in(client)
    # The same address again, in the same session and in another: the state is spent (or was
    # never this session's), so no code goes to the provider and nobody is signed in.
    assert client.get(callback)["Location"] == reverse("console:login")
    other = Client()
    assert other.get(callback)["Location"] == reverse("console:login")
    assert not _signed_in(other)
    assert len(provider.token_requests) == 1


def test_the_session_gets_a_new_id_at_single_sign_on(
    cast: personas.Cast, provider: OIDCSandbox
) -> None:
    client = Client()
    start = client.get(reverse("console:sso-start"))
    before = client.session.session_key
    at_provider = requests.get(start["Location"], allow_redirects=False, timeout=10)
    back = urlsplit(at_provider.headers["Location"])
    client.get(f"{back.path}?{back.query}")
    assert _signed_in(client)
    assert client.session.session_key != before


def test_the_directorys_second_factor_stands_for_the_consoles(
    cast: personas.Cast, provider: OIDCSandbox
) -> None:
    # A supervisor needs two factors; the directory's token says it checked one (amr: mfa).
    provider.reset(_user(groups=["crm-supervisori"]))
    client = Client()
    response = sso_sign_in(client, provider, next_url="/console/inbox/")
    assert response["Location"] == "/console/inbox/"
    assert client.get("/console/inbox/").status_code == 200
    user = User.objects.get(username="elena.bruni")
    assert DirectoryDevice.objects.filter(user=user, confirmed=True).count() == 1
    # The directory is no device of the user's own: no code is asked after a password.
    assert not twofactor.has_device(user)


def test_without_the_directorys_second_factor_the_console_asks_for_its_own(
    cast: personas.Cast, provider: OIDCSandbox
) -> None:
    provider.reset(_user(groups=["crm-supervisori"], amr=["pwd"]))
    client = Client()
    response = sso_sign_in(client, provider, next_url="/console/inbox/")
    assert response["Location"].startswith(reverse("console:enrol"))
    assert _signed_in(client)
    page = client.get("/console/inbox/")
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("console:enrol"))


def test_a_trusted_acr_stands_for_a_second_factor(
    cast: personas.Cast, provider: OIDCSandbox, settings: Any
) -> None:
    settings.ASCOLTO_OIDC_TRUSTED_ACR = ["https://idp.comune.example.it/loa/substantial"]
    provider.reset(
        _user(
            groups=["crm-analisti"],
            amr=["pwd"],
            acr="https://idp.comune.example.it/loa/substantial",
        )
    )
    client = Client()
    sso_sign_in(client, provider, next_url="/console/reports/")
    assert client.get("/console/reports/").status_code == 200


def test_a_user_with_an_app_still_gives_its_code_when_the_directory_checked_none(
    cast: personas.Cast, provider: OIDCSandbox
) -> None:
    provider.reset(_user(preferred_username="marco", groups=["crm-supervisori"], amr=["pwd"]))
    personas.verify_second_factor(Client(), cast.supervisor)  # gives Marco a confirmed app
    client = Client()
    response = sso_sign_in(client, provider)
    assert response["Location"].startswith(reverse("console:second-factor"))
    assert client.get("/console/inbox/")["Location"].startswith(reverse("console:second-factor"))


def test_signing_out_ends_the_session_here_and_at_the_provider(
    cast: personas.Cast, provider: OIDCSandbox
) -> None:
    client = Client()
    sso_sign_in(client, provider)
    id_token = client.session["oidc_id_token"]
    response = client.post(reverse("console:logout"))
    assert not _signed_in(client)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{provider.url}/logout?")
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["id_token_hint"] == [id_token]
    at_provider = requests.get(response["Location"], allow_redirects=False, timeout=10)
    assert at_provider.headers["Location"] == "http://testserver" + reverse("console:login")
    assert provider.logouts[0]["id_token_hint"] == id_token


def test_a_password_session_signs_out_here_only(cast: personas.Cast, provider: OIDCSandbox) -> None:
    client = Client()
    client.force_login(cast.operator)
    response = client.post(reverse("console:logout"))
    assert response["Location"] == reverse("console:login")
    assert provider.logouts == []


def test_refused_single_sign_ons_count_as_no_password_guess(
    cast: personas.Cast, provider: OIDCSandbox, settings: Any
) -> None:
    provider.reset(_user(groups=["nessuno"]))
    for _ in range(settings.ASCOLTO_SIGNIN_ACCOUNT_LIMIT + 1):
        sso_sign_in(Client(), provider)
    assert AccessAttempt.objects.count() == 0
    provider.reset()
    client = Client()
    sso_sign_in(client, provider)
    assert _signed_in(client)


def test_a_provider_that_refuses_the_person_gives_a_clear_message(
    cast: personas.Cast, provider: OIDCSandbox
) -> None:
    provider.user = None
    client = Client()
    sso_sign_in(client, provider)
    assert not _signed_in(client)
    assert "annullato o negato" in _login_page_text(client)


def test_with_single_sign_on_off_there_is_no_button_and_its_addresses_are_not_found(
    cast: personas.Cast, settings: Any
) -> None:
    settings.ASCOLTO_OIDC_ENABLED = False
    client = Client()
    assert BUTTON not in _login_page_text(client)
    assert client.get(reverse("console:sso-start")).status_code == 404
    assert client.get(reverse("console:sso-callback") + "?code=x&state=y").status_code == 404


def test_with_single_sign_on_on_the_sign_in_page_offers_the_button(
    cast: personas.Cast, provider: OIDCSandbox
) -> None:
    text = _login_page_text(Client())
    assert BUTTON in text
    assert reverse("console:sso-start") in text


def test_a_provider_that_does_not_answer_gives_a_clear_message(
    cast: personas.Cast, provider: OIDCSandbox, settings: Any
) -> None:
    settings.ASCOLTO_OIDC_ISSUER = "http://127.0.0.1:9"  # the discard port: nobody listens
    client = Client()
    response = client.get(reverse("console:sso-start"))
    assert response["Location"] == reverse("console:login")
    assert "non risponde" in _login_page_text(client)


def test_a_token_request_the_provider_refuses_signs_nobody_in(
    cast: personas.Cast, provider: OIDCSandbox, settings: Any
) -> None:
    settings.OIDC_RP_CLIENT_SECRET = "not-the-secret"  # noqa: S105
    client = Client()
    response = sso_sign_in(client, provider)
    assert response["Location"] == reverse("console:login")
    assert not _signed_in(client)
    assert "non riuscito" in _login_page_text(client)


def test_a_password_form_posted_with_a_code_in_its_address_starts_no_token_exchange(
    cast: personas.Cast, provider: OIDCSandbox
) -> None:
    response = Client().post(
        reverse("console:login") + "?code=stolen&state=any",
        {"username": "giulia", "password": "sbagliata"},
    )
    assert response.status_code == 200
    assert provider.token_requests == []


def test_a_role_map_naming_no_role_is_a_configuration_error(settings: Any) -> None:
    settings.ASCOLTO_OIDC_ROLE_MAP = "crm-capi=boss"
    with pytest.raises(ImproperlyConfigured, match="'boss' is no role"):
        sso.role_map()
