"""Rate limits of the public endpoints (`core.ratelimit`): generous per address, so that a
carrier's NAT or the front desk's kiosk is not shut out, tighter per browser, chat or tracking
code; past a limit, 429 with an Italian page and `Retry-After`, and the window passes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client, override_settings
from django.urls import reverse

from ascolto.channels.models import PendingInbound
from ascolto.core.ratelimit import hit, parse_limit
from ascolto.tickets.models import Ticket
from ascolto.web.forms.scrivi import forget_taxonomy
from tests import factories, personas
from tests.web.test_scrivi import form

pytestmark = pytest.mark.django_db
START = datetime(2026, 4, 14, 10, 0, 5, tzinfo=ZoneInfo("Europe/Rome"))  # 5 s into an hour


@pytest.fixture(autouse=True)
def _clock() -> Iterator[time_machine.Traveller]:
    forget_taxonomy()
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def _browser(cookie: str, address: str = "198.51.100.7") -> Client:
    client = Client(REMOTE_ADDR=address)
    client.cookies["csrftoken"] = cookie * 32
    return client


def _post(client: Client, capture: Any, **changes: Any) -> Any:
    with capture(execute=True):
        return client.post(reverse("scrivi:home"), form(**changes))


def _code_of(received: Any) -> str:
    assert received.ticket_id is not None
    return str(Ticket.objects.get(pk=received.ticket_id).code)


def test_limits_read_like_twenty_an_hour() -> None:
    assert parse_limit("20/h") == (20, 3600)
    assert parse_limit("100/10m") == (100, 600)
    assert hit("t", "2/h", "x") is None and hit("t", "2/h", "x") is None
    wait = hit("t", "2/h", "x")
    assert wait == 3600 - 5  # what is left of the fixed window
    assert hit("t", "0/h", "x") is None  # turned off


@override_settings(ASCOLTO_SCRIVI_RATE_LIMIT="5/h", ASCOLTO_SCRIVI_BROWSER_RATE_LIMIT="2/h")
def test_a_kiosk_address_serves_many_browsers_but_one_browser_is_limited_sooner(
    scrivi: Any, django_capture_on_commit_callbacks: Any, _clock: time_machine.Traveller
) -> None:
    first = _browser("a")
    assert _post(first, django_capture_on_commit_callbacks).status_code == 303
    assert _post(first, django_capture_on_commit_callbacks).status_code == 303
    refused = _post(first, django_capture_on_commit_callbacks, description="Terza richiesta")
    assert refused.status_code == 429
    assert refused["Retry-After"] == str(3600 - 5)
    assert "Terza richiesta" in refused.content.decode()  # nothing typed is lost

    # The same address, other citizens at the kiosk: their own browsers go on...
    second, third = _browser("b"), _browser("c")
    assert _post(second, django_capture_on_commit_callbacks).status_code == 303
    assert _post(third, django_capture_on_commit_callbacks).status_code == 303
    # ...up to the address's generous limit (5, the refused one counted too).
    assert _post(_browser("d"), django_capture_on_commit_callbacks).status_code == 429
    assert (
        _post(_browser("e", "203.0.113.9"), django_capture_on_commit_callbacks).status_code == 303
    )
    assert PendingInbound.objects.count() == 5

    _clock.shift(timedelta(hours=1))  # the next window
    assert _post(first, django_capture_on_commit_callbacks).status_code == 303


@override_settings(
    ASCOLTO_STATUS_RATE_LIMIT="100/h",
    ASCOLTO_STATUS_CODE_RATE_LIMIT="3/h",
    ASCOLTO_STATUS_MISS_RATE_LIMIT="2/h",
)
def test_status_lookups_are_limited_per_code_and_misses_per_address(
    cast: personas.Cast, _clock: time_machine.Traveller
) -> None:
    code = _code_of(factories.submit_scrivi("Vorrei sapere come pagare la TARI."))
    other = _code_of(factories.submit_scrivi("Un'altra."))
    reader = Client(REMOTE_ADDR="198.51.100.20")
    for _ in range(3):
        assert reader.get(reverse("scrivi:status", args=[code])).status_code == 200
    page = reader.get(reverse("scrivi:status", args=[code]))
    assert page.status_code == 429
    assert page["Retry-After"] == str(3600 - 5)
    text = page.content.decode()
    assert "Troppe richieste in poco tempo" in text and "Riprova tra 60 minuti" in text
    assert "Stato della richiesta" not in text  # nothing of the case
    # Another code from the same address (a family following two requests) still opens.
    assert reader.get(reverse("scrivi:status", args=[other])).status_code == 200

    guesser = Client(REMOTE_ADDR="198.51.100.66")
    for guess in ("AAAA-BBBB-CCCC", "AAAA-BBBB-CCCD"):
        assert guesser.get(reverse("scrivi:status", args=[guess])).status_code == 404
    # Past its misses, the address waits even for a code that exists: guessing gains nothing.
    assert guesser.get(reverse("scrivi:status", args=[other])).status_code == 429
    assert guesser.get(reverse("scrivi:reply-file", args=[other, 1, 0])).status_code == 429
    assert (
        Client(REMOTE_ADDR="198.51.100.67").get(reverse("scrivi:status", args=[other])).status_code
        == 200
    )

    _clock.shift(timedelta(hours=1))
    assert guesser.get(reverse("scrivi:status", args=[other])).status_code == 200


@override_settings(ASCOLTO_ASSISTANT_RATE_LIMIT="100/h", ASCOLTO_ASSISTANT_SESSION_RATE_LIMIT="2/h")
def test_the_web_chat_limits_one_chat_sooner_than_its_address(cast: personas.Cast) -> None:
    chat = Client(REMOTE_ADDR="198.51.100.30")
    chat.cookies["ascolto_assistente"] = "t" * 40
    url = reverse("scrivi:assistant")
    assert chat.post(url, {"text": "ciao"}).status_code in (200, 400)
    assert chat.post(url, {"text": "ciao"}).status_code in (200, 400)
    refused = chat.post(url, {"text": "ciao"})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) == 3600 - 5
    assert "Troppi messaggi" in refused.content.decode()
    other = Client(REMOTE_ADDR="198.51.100.30")
    other.cookies["ascolto_assistente"] = "u" * 40
    assert other.post(url, {"text": "ciao"}).status_code != 429


@override_settings(ASCOLTO_WEBHOOK_RATE_LIMIT="2/m", ASCOLTO_ALERTS_RATE_LIMIT="2/m")
def test_webhooks_and_the_alerts_feed_answer_429_with_retry_after(cast: personas.Cast) -> None:
    caller = Client(REMOTE_ADDR="198.51.100.40")
    calls = "/api/v1/telephony/calls"
    for _ in range(2):
        assert caller.post(calls, b"{}", content_type="application/json").status_code == 401
    refused = caller.post(calls, b"{}", content_type="application/json")
    assert refused.status_code == 429
    assert refused["Retry-After"] == str(60 - 5)
    assert "Troppe richieste" in refused.json()["detail"]

    meta = reverse("meta-webhook", args=["whatsapp"])
    for _ in range(2):
        assert caller.post(meta, b"{}", content_type="application/json").status_code != 429
    assert caller.post(meta, b"{}", content_type="application/json").status_code == 429

    for _ in range(2):
        assert caller.get("/api/v1/alerts").status_code == 200
    feed = caller.get("/api/v1/alerts")
    assert feed.status_code == 429 and feed["Retry-After"] == str(60 - 5)
    banner = Client(REMOTE_ADDR="198.51.100.41")
    for _ in range(2):
        assert banner.get(reverse("avvisi:banner")).status_code == 200
    assert banner.get(reverse("avvisi:banner")).status_code == 429
