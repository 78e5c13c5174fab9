"""Password reset by email, through a real SMTP server (aiosmtpd): Django's one-time tokens,
the console's pages, the Italian email; the answer never says whether an address is known, the
link works once and expires, and requests are limited per client address."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tests import personas
from tests.email.servers import Recorder
from tests.signin import FAST_HASHERS, sign_in, with_password

pytestmark = pytest.mark.django_db

START = datetime(2026, 5, 6, 15, 0, tzinfo=UTC)
NEW_PASSWORD = "il tram delle sette e un quarto"  # noqa: S105


@pytest.fixture(autouse=True)
def _mail(settings: Any, smtp_server: tuple[Recorder, int]) -> Iterator[time_machine.Traveller]:
    settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_server[1]
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.ASCOLTO_PUBLIC_URL = "https://ascolto.comune.example.it"
    settings.PASSWORD_RESET_TIMEOUT = 3600
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def _ask(email: str, address: str) -> Any:
    return Client().post(reverse("console:password-reset"), {"email": email}, REMOTE_ADDR=address)


def _link(recorder: Recorder) -> str:
    body = recorder.received[-1].get_body(preferencelist=("plain",))
    assert body is not None
    found = re.search(r"https://ascolto\.comune\.example\.it(/console/\S+/)", body.get_content())
    assert found is not None
    return found.group(1)


def test_a_reset_link_by_email_sets_a_new_password_once(
    cast: personas.Cast, smtp_server: tuple[Recorder, int]
) -> None:
    recorder = smtp_server[0]
    with_password(cast.operator)
    signed_in = Client()
    assert sign_in(signed_in, "giulia").status_code == 302

    answer = _ask("GIULIA@comune.example.it", "192.0.2.10")
    assert answer["Location"] == reverse("console:password-reset-sent")
    mail = recorder.received[-1]
    assert mail["To"] == "giulia@comune.example.it"
    assert "Nuova password per la console" in mail["Subject"]
    text = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert 'l\'account "giulia"' in text
    assert "vale una volta sola e per 1 ora" in text

    client = Client()
    form_url = client.get(_link(recorder))["Location"]  # Django hides the token from the page
    assert client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})[
        "Location"
    ] == reverse("console:password-reset-done")
    cast.operator.refresh_from_db()
    assert cast.operator.check_password(NEW_PASSWORD)
    # The sessions opened with the old password are over; the new one signs in.
    assert signed_in.get("/console/inbox/").status_code == 302
    assert sign_in(Client(), "giulia", NEW_PASSWORD).status_code == 302

    again = Client().get(_link(recorder), follow=True)
    assert "Questo link non vale più" in again.content.decode()


def test_the_answer_is_the_same_whether_the_address_is_known_or_not(
    cast: personas.Cast, smtp_server: tuple[Recorder, int]
) -> None:
    with_password(cast.operator)
    known = _ask("giulia@comune.example.it", "192.0.2.20")
    unknown = _ask("nessuno@comune.example.it", "192.0.2.21")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert [m["To"] for m in smtp_server[0].received] == ["giulia@comune.example.it"]


def test_a_reset_link_expires(
    cast: personas.Cast, smtp_server: tuple[Recorder, int], _mail: time_machine.Traveller
) -> None:
    with_password(cast.operator)
    _ask("giulia@comune.example.it", "192.0.2.30")
    _mail.shift(timedelta(hours=1, seconds=1))
    page = Client().get(_link(smtp_server[0]), follow=True)
    assert "Questo link non vale più" in page.content.decode()


def test_reset_requests_are_limited_per_client_address(
    cast: personas.Cast, smtp_server: tuple[Recorder, int], settings: Any
) -> None:
    settings.ASCOLTO_PASSWORD_RESET_RATE_LIMIT = "2/h"
    with_password(cast.operator)
    assert _ask("giulia@comune.example.it", "192.0.2.40").status_code == 302
    assert _ask("giulia@comune.example.it", "192.0.2.40").status_code == 302
    refused = _ask("giulia@comune.example.it", "192.0.2.40")
    assert refused.status_code == 429
    assert "troppe richieste di nuova password" in refused.content.decode()
    assert len(smtp_server[0].received) == 2
    assert _ask("giulia@comune.example.it", "192.0.2.41").status_code == 302
