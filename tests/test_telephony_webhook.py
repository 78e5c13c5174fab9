"""The telephony system's webhook: one finished call per request, signed with HMAC-SHA256 of
the timestamp and the raw body. A bad signature or a stale timestamp is refused with 401 and
stores nothing; a good one stores the call once, however many times it is delivered."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.test import Client

from ascolto.citizens.models import Identity
from ascolto.contactcenter.models import CallRecord
from ascolto.core.webhooks import sign
from tests import personas

URL = "/api/v1/telephony/calls"
SECRET = "s3cret-shared-with-the-exchange"  # noqa: S105 (a test secret)
CALL = {
    "call_id": "PBX-20260302-0001",
    "queue": "tributi",
    "arrived_at": "2026-03-02T09:00:00+01:00",
    "answered_at": "2026-03-02T09:00:45+01:00",
    "ended_at": "2026-03-02T09:05:00+01:00",
    "wait_seconds": 45,
    "talk_seconds": 255,
    "abandoned": False,
    "caller": "+393331234567",
    "ivr_path": "2>1",
    "agent": "",
}


@pytest.fixture(autouse=True)
def secret(settings: Any) -> None:
    settings.ASCOLTO_TELEPHONY_SECRET = SECRET


def post(body: bytes, *, secret: str = SECRET, timestamp: int | None = None) -> Any:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    return Client().post(
        URL,
        body,
        content_type="application/json",
        headers={"X-Ascolto-Timestamp": stamp, "X-Ascolto-Signature": sign(secret, stamp, body)},
    )


def test_a_signed_call_is_stored_once_however_often_delivered(cast: personas.Cast) -> None:
    body = json.dumps(CALL).encode()

    first = post(body)
    again = post(body)

    assert first.status_code == 201 and first.json() == {"call_id": CALL["call_id"], "stored": True}
    assert again.status_code == 200 and again.json()["stored"] is False
    record = CallRecord.objects.get()
    assert (record.queue, record.wait_seconds, record.talk_seconds) == ("tributi", 45, 255)
    assert record.caller == Identity.objects.get(kind="phone", value="+393331234567")


@pytest.mark.parametrize(
    "tamper",
    ["wrong secret", "body changed", "no signature", "stale", "from the future", "no secret set"],
)
def test_a_bad_signature_is_refused_and_stores_nothing(
    cast: personas.Cast, settings: Any, tamper: str
) -> None:
    body = json.dumps(CALL).encode()
    now = int(time.time())
    if tamper == "wrong secret":
        response = post(body, secret="another secret")
    elif tamper == "body changed":
        stamp = str(now)
        response = Client().post(
            URL,
            body.replace(b"tributi", b"anagrafe"),
            content_type="application/json",
            headers={
                "X-Ascolto-Timestamp": stamp,
                "X-Ascolto-Signature": sign(SECRET, stamp, body),
            },
        )
    elif tamper == "no signature":
        response = Client().post(URL, body, content_type="application/json")
    elif tamper == "stale":
        response = post(body, timestamp=now - 301)
    elif tamper == "from the future":
        response = post(body, timestamp=now + 301)
    else:
        settings.ASCOLTO_TELEPHONY_SECRET = ""
        response = post(body, secret="")

    assert response.status_code == 401
    assert not CallRecord.objects.exists()
    assert not Identity.objects.exists()


def test_a_bad_call_is_refused_with_its_reason(cast: personas.Cast) -> None:
    body = json.dumps(CALL | {"ended_at": "2026-03-02T08:00:00+01:00"}).encode()

    response = post(body)

    assert response.status_code == 400
    assert response.json()["field"] == "ended_at"
    assert not CallRecord.objects.exists()


def test_a_body_that_is_not_one_call_is_refused(cast: personas.Cast) -> None:
    assert post(b"[1, 2]").status_code == 400
    assert post(b"not json").status_code == 400
    assert not CallRecord.objects.exists()


def test_the_documented_example_signature_is_what_sign_computes() -> None:
    expected = "sha256=0a7975a3033acfb46c0b78af40653ec25534a571351f63ae335c038d969ecbfd"

    assert sign("s3cret", 1772438700, b'{"call_id": "X"}') == expected
