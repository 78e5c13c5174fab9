"""Two factors for staff (issue 16, decision 0019): required by role, set up at the first
sign-in, asked after the password, recovery codes that work once, and an administrator's reset
of a lost phone, recorded."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ascolto.organisation import twofactor
from ascolto.organisation.models import SecondFactorReset, User
from tests import personas
from tests.signin import FAST_HASHERS, app_code, enrolled, sign_in, with_password

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 11, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock_and_hasher(settings: Any) -> Iterator[time_machine.Traveller]:
    settings.PASSWORD_HASHERS = FAST_HASHERS
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def _password_only(user: User) -> Client:
    client = Client()
    personas.password_only_login(client, user)
    return client


def _location(response: Any) -> str:
    assert response.status_code == 302, response.status_code
    return str(response["Location"])


@pytest.mark.parametrize("persona", ["supervisor", "analyst", "administrator"])
def test_roles_that_require_two_factors_are_sent_to_enrol_before_any_console_page(
    persona: str, cast: personas.Cast
) -> None:
    client = _password_only(getattr(cast, persona))
    for url in ["/console/inbox/", "/console/reports/", "/console/account/", "/admin/"]:
        assert _location(client.get(url)).startswith(reverse("console:enrol")), url
    # The API answers no unverified session either.
    assert client.get("/api/v1/health").status_code in (200, 403)


@pytest.mark.parametrize("persona", ["operator", "office_operator"])
def test_operators_need_a_second_factor_only_when_the_policy_requires_it(
    persona: str, cast: personas.Cast, settings: Any
) -> None:
    client = _password_only(getattr(cast, persona))
    assert client.get("/console/inbox/").status_code == 200

    settings.ASCOLTO_OTP_OPERATORS = "required"
    assert _location(client.get("/console/inbox/")).startswith(reverse("console:enrol"))


def test_a_supervisor_enrols_at_first_sign_in_and_sees_the_recovery_codes_once(
    cast: personas.Cast, _clock_and_hasher: time_machine.Traveller
) -> None:
    with_password(cast.supervisor)
    client = Client()
    to_enrol = _location(sign_in(client, "marco"))
    assert to_enrol.startswith(reverse("console:enrol"))

    page = client.get(to_enrol)
    content = page.content.decode()
    assert '<svg width="' in content  # the QR code, drawn on the server as one path
    assert '<path d="M' in content
    device = TOTPDevice.objects.get(user=cast.supervisor, confirmed=False)
    shown_secret = re.search(r'id="otp-secret"[^>]*>([A-Z2-7 ]+)<', content)
    assert shown_secret is not None
    assert shown_secret.group(1).replace(" ", "") in device.config_url

    wrong = "000000" if app_code(device) != "000000" else "111111"
    assert "Codice non valido" in client.post(to_enrol, {"code": wrong}).content.decode()
    assert client.get("/console/inbox/").status_code == 302
    _clock_and_hasher.shift(timedelta(seconds=2))  # django-otp slows down a retry after a miss

    done = _location(client.post(to_enrol, {"code": app_code(device)}))
    assert done.startswith(reverse("console:enrol-done"))
    codes_page = client.get(done).content.decode()
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", codes_page)
    assert len(codes) == twofactor.RECOVERY_CODES
    assert sorted(codes) == sorted(
        StaticToken.objects.filter(device__user=cast.supervisor).values_list("token", flat=True)
    )
    # Shown once: the page does not show them again.
    assert client.get(done).status_code == 302
    assert client.get("/console/overview/").status_code == 200


def test_sign_in_asks_for_the_app_code_after_the_password(
    cast: personas.Cast, _clock_and_hasher: time_machine.Traveller
) -> None:
    device, _ = enrolled(with_password(cast.supervisor))
    _clock_and_hasher.shift(timedelta(seconds=60))
    client = Client()
    to_code = _location(sign_in(client, "marco", next="/console/overview/"))
    assert to_code.startswith(reverse("console:second-factor"))
    # The password alone opens nothing, and cannot set up another phone instead of the code.
    assert _location(client.get("/console/overview/")).startswith(reverse("console:second-factor"))
    assert _location(client.get(reverse("console:enrol"))).startswith(
        reverse("console:second-factor")
    )

    refused = client.post(to_code, {"code": "12345"})
    assert "Codice non valido o già usato" in refused.content.decode()
    _clock_and_hasher.shift(timedelta(seconds=2))  # django-otp slows down a retry after a miss
    before = client.session.session_key
    assert _location(client.post(to_code, {"code": app_code(device)})) == "/console/overview/"
    assert client.session.session_key != before  # a new session id once the second factor is in
    assert client.get("/console/overview/").status_code == 200


def test_wrong_codes_in_a_row_make_the_next_try_wait_and_the_page_says_how_long(
    cast: personas.Cast, _clock_and_hasher: time_machine.Traveller
) -> None:
    device, _ = enrolled(with_password(cast.supervisor))
    _clock_and_hasher.shift(timedelta(seconds=60))
    client = Client()
    to_code = _location(sign_in(client, "marco"))
    for wait in (1, 2, 4, 8):  # django-otp doubles the wait after each wrong code
        wrong = "000000" if app_code(device) != "000000" else "111111"
        client.post(to_code, {"code": wrong})
        _clock_and_hasher.shift(timedelta(seconds=wait))
    wrong = "000000" if app_code(device) != "000000" else "111111"
    client.post(to_code, {"code": wrong})  # the fifth: 16 seconds now

    early = client.post(to_code, {"code": app_code(device)})
    assert early.status_code == 200
    assert "aspetta 16 secondi e riprova" in early.content.decode()
    _clock_and_hasher.shift(timedelta(seconds=17))
    assert _location(client.post(to_code, {"code": app_code(device)})) == reverse("console:home")


def test_a_recovery_code_signs_in_once(
    cast: personas.Cast, _clock_and_hasher: time_machine.Traveller
) -> None:
    _, codes = enrolled(with_password(cast.analyst))
    code = codes[3]

    client = Client()
    to_code = _location(sign_in(client, "paolo"))
    assert _location(client.post(to_code, {"code": code.upper()})) == reverse("console:home")
    assert client.get("/console/reports/").status_code == 200
    assert StaticToken.objects.filter(device__user=cast.analyst).count() == 9

    _clock_and_hasher.shift(timedelta(minutes=5))  # past django-otp's slow-down of a retry
    again = Client()
    to_code = _location(sign_in(again, "paolo"))
    refused = again.post(to_code, {"code": code})
    assert refused.status_code == 200
    assert "Codice non valido o già usato" in refused.content.decode()
    assert _location(again.get("/console/reports/")).startswith(reverse("console:second-factor"))


def test_an_operator_who_turns_two_factors_on_is_asked_for_the_code_afterwards(
    cast: personas.Cast, _clock_and_hasher: time_machine.Traveller
) -> None:
    with_password(cast.operator)
    client = Client()
    assert _location(sign_in(client, "giulia")) == reverse("console:home")
    account = client.get(reverse("console:account")).content.decode()
    assert "Attiva la verifica in due passaggi" in account

    enrol_url = reverse("console:enrol")
    client.get(enrol_url)
    device = TOTPDevice.objects.get(user=cast.operator)
    assert _location(client.post(enrol_url, {"code": app_code(device)})).startswith(
        reverse("console:enrol-done")
    )

    _clock_and_hasher.shift(timedelta(seconds=60))
    later = Client()
    assert _location(sign_in(later, "giulia")).startswith(reverse("console:second-factor"))
    assert _location(later.get("/console/inbox/")).startswith(reverse("console:second-factor"))


def test_an_administrators_reset_of_a_lost_phone_is_recorded_and_ends_the_sessions(
    cast: personas.Cast,
) -> None:
    enrolled(cast.supervisor)
    supervisor = Client()
    supervisor.force_login(cast.supervisor)
    assert supervisor.get("/console/overview/").status_code == 200

    admin = Client()
    admin.force_login(cast.administrator)
    changelist = reverse("admin:organisation_user_changelist")
    chosen = {"action": "reset_second_factor", ACTION_CHECKBOX_NAME: [str(cast.supervisor.pk)]}
    confirm = admin.post(changelist, chosen)
    assert "Azzerare la verifica in due passaggi?" in confirm.content.decode()
    assert TOTPDevice.objects.filter(user=cast.supervisor).exists()  # nothing yet
    admin.post(changelist, {**chosen, "confirm": "yes", "reason": "Telefono perso"})

    reset = SecondFactorReset.objects.get()
    assert (reset.user, reset.actor, reset.reason) == (
        cast.supervisor,
        cast.administrator,
        "Telefono perso",
    )
    assert reset.at == START
    assert not twofactor.has_device(cast.supervisor)
    # The supervisor's session ended: the next sign-in sets up a phone again.
    assert _location(supervisor.get("/console/overview/")).startswith(reverse("console:login"))
    # The record is kept as written.
    reset.reason = "altro"
    with pytest.raises(ValueError, match="never changed"):
        reset.save()
    with pytest.raises(ValueError, match="never deleted"):
        reset.delete()


def test_only_an_administrator_resets_a_second_factor(cast: personas.Cast) -> None:
    from ascolto.core.errors import DomainError
    from ascolto.organisation import actions

    enrolled(cast.operator)
    with pytest.raises(DomainError, match="Solo un amministratore"):
        actions.reset_second_factor(cast.operator, actor=cast.supervisor)
    assert twofactor.has_device(cast.operator)
    assert not SecondFactorReset.objects.exists()


def test_the_admin_has_no_sign_in_of_its_own_that_skips_the_second_factor(
    cast: personas.Cast,
) -> None:
    client = Client()
    login = client.get(reverse("admin:login"), {"next": "/admin/"})
    assert _location(login) == f"{reverse('console:login')}?next=%2Fadmin%2F"
    with_password(cast.administrator)
    enrolled(cast.administrator)
    assert _location(sign_in(client, "anna", next="/admin/")).startswith(
        reverse("console:second-factor")
    )
    assert _location(client.get("/admin/")).startswith(reverse("console:second-factor"))
