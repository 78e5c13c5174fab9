"""Sign-in throttling (django-axes, organisation/throttle.py): wrong passwords are counted per
account and address and per account, never per address alone, so a colleague behind the same
office NAT still signs in; the page says how long to wait; the lock lifts after the cool-off and
a successful sign-in clears the count."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from tests import personas
from tests.signin import FAST_HASHERS, sign_in, with_password

pytestmark = pytest.mark.django_db

START = datetime(2026, 9, 2, 8, 30, tzinfo=UTC)
OFFICE_NAT = "10.20.30.40"


@pytest.fixture(autouse=True)
def _limits(settings: Any) -> Iterator[time_machine.Traveller]:
    settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.ASCOLTO_SIGNIN_LIMIT = 3
    settings.ASCOLTO_SIGNIN_ACCOUNT_LIMIT = 6
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def _attempt(username: str, password: str, address: str) -> Any:
    return sign_in(Client(), username, password, REMOTE_ADDR=address)


def _locked(response: Any) -> bool:
    return bool(response.status_code == 429)


def test_wrong_passwords_lock_one_account_at_one_address_and_no_colleague_behind_it(
    cast: personas.Cast, _limits: time_machine.Traveller
) -> None:
    with_password(cast.operator)
    with_password(cast.office_operator)
    for _ in range(2):
        refused = _attempt("giulia", "sbagliata", OFFICE_NAT)
        assert refused.status_code == 200
        assert "non corretti" in refused.content.decode()
    third = _attempt("giulia", "sbagliata", OFFICE_NAT)
    assert _locked(third)
    page = third.content.decode()
    assert "Troppi tentativi di accesso" in page
    assert "Riprova tra 15 minuti" in page

    # Even the right password waits now, from that address, and the wait is not prolonged by
    # the attempts made meanwhile...
    _limits.shift(timedelta(minutes=5))
    waiting = _attempt("giulia", "una frase lunga per la console", OFFICE_NAT)
    assert _locked(waiting)
    assert "Riprova tra 10 minuti" in waiting.content.decode()
    # ...but a colleague behind the same address signs in, and so does Giulia from elsewhere.
    assert _attempt("lucia", "una frase lunga per la console", OFFICE_NAT).status_code == 302
    assert _attempt("giulia", "una frase lunga per la console", "10.99.0.1").status_code == 302


def test_wrong_passwords_for_one_account_from_many_addresses_lock_the_account(
    cast: personas.Cast,
) -> None:
    with_password(cast.operator)
    for n in range(6):  # two per address, under the limit of one address
        _attempt("giulia", "sbagliata", f"192.0.2.{n // 2}")
    assert _locked(_attempt("giulia", "una frase lunga per la console", "198.51.100.7"))
    # Other accounts are untouched.
    with_password(cast.supervisor)
    assert _attempt("marco", "una frase lunga per la console", "192.0.2.0").status_code == 302


def test_the_lock_lifts_after_the_cool_off_and_a_sign_in_clears_the_count(
    cast: personas.Cast, _limits: time_machine.Traveller
) -> None:
    with_password(cast.operator)
    for _ in range(3):
        _attempt("giulia", "sbagliata", OFFICE_NAT)
    assert _locked(_attempt("giulia", "una frase lunga per la console", OFFICE_NAT))

    _limits.shift(timedelta(minutes=16))
    assert _attempt("giulia", "una frase lunga per la console", OFFICE_NAT).status_code == 302
    assert not AccessAttempt.objects.filter(username="giulia").exists()
    # A fresh count: two more mistakes do not lock.
    for _ in range(2):
        assert not _locked(_attempt("giulia", "sbagliata", OFFICE_NAT))


def test_a_username_that_does_not_exist_is_answered_like_one_that_does(
    cast: personas.Cast,
) -> None:
    with_password(cast.operator)
    known = [_attempt("giulia", "sbagliata", OFFICE_NAT).status_code for _ in range(3)]
    unknown = [_attempt("nessuno", "sbagliata", OFFICE_NAT).status_code for _ in range(3)]
    assert known == unknown == [200, 200, 429]
    locked_page = _attempt("nessuno", "x", OFFICE_NAT).content.decode()
    assert reverse("console:password-reset") in locked_page
