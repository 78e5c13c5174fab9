"""Staff sessions: a new session id at sign-in, an idle timeout that a page's own polls do not
reset, an absolute lifetime, and "sign out everywhere" (organisation/sessions.py,
web/middleware.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from tests import personas
from tests.signin import FAST_HASHERS, sign_in, with_password

pytestmark = pytest.mark.django_db

START = datetime(2026, 4, 21, 7, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock(settings: Any) -> Iterator[time_machine.Traveller]:
    settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.ASCOLTO_SESSION_IDLE = 30 * 60
    settings.ASCOLTO_SESSION_MAX_AGE = 10 * 3600
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def _signed_out(response: Any) -> bool:
    location = str(response.get("Location", ""))
    return bool(response.status_code == 302) and location.startswith(reverse("console:login"))


def test_signing_in_gives_the_session_a_new_id(cast: personas.Cast) -> None:
    with_password(cast.operator)
    client = Client()
    session = client.session
    session["planted"] = "by someone else"
    session.save()
    planted = str(session.session_key)
    client.cookies[django_settings.SESSION_COOKIE_NAME] = planted

    assert sign_in(client, "giulia").status_code == 302
    assert client.session.session_key != planted
    assert not Session.objects.filter(session_key=planted).exists()
    assert client.get("/console/inbox/").status_code == 200


def test_a_session_ends_after_the_idle_timeout_and_the_sign_in_page_says_why(
    cast: personas.Cast, _clock: time_machine.Traveller
) -> None:
    client = Client()
    client.force_login(cast.operator)
    _clock.shift(timedelta(minutes=25))
    assert client.get("/console/inbox/").status_code == 200  # activity: the clock restarts
    _clock.shift(timedelta(minutes=25))
    assert client.get("/console/inbox/").status_code == 200
    _clock.shift(timedelta(minutes=31))
    assert _signed_out(client.get("/console/inbox/"))
    page = client.get(reverse("console:login")).content.decode()
    assert "chiusa dopo un periodo di inattività" in page


def test_a_pages_own_polls_do_not_keep_the_session_alive(
    cast: personas.Cast, _clock: time_machine.Traveller
) -> None:
    client = Client()
    client.force_login(cast.operator)
    for _ in range(5):
        _clock.shift(timedelta(minutes=5))
        assert client.get(reverse("console:inbox-live")).status_code == 200
    _clock.shift(timedelta(minutes=6))  # 31 minutes since the last thing the operator did
    assert _signed_out(client.get("/console/inbox/"))


def test_a_session_ends_at_its_absolute_lifetime_however_active(
    cast: personas.Cast, _clock: time_machine.Traveller
) -> None:
    client = Client()
    client.force_login(cast.supervisor)
    for _ in range(30):  # ten hours of work, a page every 20 minutes
        _clock.shift(timedelta(minutes=20))
        assert client.get("/console/overview/").status_code == 200
    _clock.shift(timedelta(minutes=1))
    assert _signed_out(client.get("/console/overview/"))
    assert "tempo massimo" in client.get(reverse("console:login")).content.decode()


def test_sign_out_everywhere_ends_the_other_sessions_and_keeps_this_one(
    cast: personas.Cast,
) -> None:
    office, phone = Client(), Client()
    office.force_login(cast.supervisor)
    phone.force_login(cast.supervisor)
    colleague = Client()
    colleague.force_login(cast.operator)

    answer = office.post(reverse("console:sign-out-everywhere"), follow=True)
    assert "Le altre sessioni sono state chiuse" in answer.content.decode()
    assert office.get("/console/overview/").status_code == 200
    assert _signed_out(phone.get("/console/overview/"))
    assert colleague.get("/console/inbox/").status_code == 200


def test_sign_out_everywhere_is_a_post_with_its_token(cast: personas.Cast) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.operator)
    assert client.get(reverse("console:sign-out-everywhere")).status_code == 405
    assert client.post(reverse("console:sign-out-everywhere")).status_code == 403
    cast.operator.refresh_from_db()
    assert cast.operator.session_generation == 0
