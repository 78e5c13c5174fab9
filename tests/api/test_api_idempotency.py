"""Idempotency keys: a creating POST retried with its key creates nothing twice and gets the
first answer; the key reused for another body is refused; concurrent requests with one key
create once (on PostgreSQL, with real concurrent connections)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone

from ascolto.api import idempotency
from ascolto.api.models import IdempotencyKey
from ascolto.channels.models import PendingInbound
from tests import personas
from tests.api.conftest import Api, api_for

BODY = {
    "text": "La strada davanti alla scuola è piena di buche.",
    "kind": "disservice",
    "sender": {"email": "anna@example.it"},
}


@pytest.mark.django_db
def test_a_retry_with_the_key_returns_the_first_answer_and_creates_nothing(
    portal: Api,
) -> None:
    first = portal.post("/cases", BODY, HTTP_IDEMPOTENCY_KEY="k-1")
    again = portal.post("/cases", BODY, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert PendingInbound.objects.count() == 1
    # Without the key, the same body is a new request (the API cannot tell a retry otherwise).
    assert portal.post("/cases", BODY).json()["code"] != first.json()["code"]
    assert PendingInbound.objects.count() == 2


@pytest.mark.django_db
def test_the_key_with_another_body_is_refused(portal: Api) -> None:
    portal.post("/cases", BODY, HTTP_IDEMPOTENCY_KEY="k-2")
    other = portal.post("/cases", {**BODY, "text": "Altro."}, HTTP_IDEMPOTENCY_KEY="k-2")
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency-key-reused"
    assert PendingInbound.objects.count() == 1


@pytest.mark.django_db
def test_keys_belong_to_their_token(cast: personas.Cast) -> None:
    one, two = api_for(["cases:write"]), api_for(["cases:write"])
    a = one.post("/cases", BODY, HTTP_IDEMPOTENCY_KEY="same")
    b = two.post("/cases", BODY, HTTP_IDEMPOTENCY_KEY="same")
    assert a.json()["code"] != b.json()["code"]


@pytest.mark.django_db
def test_a_refused_or_failed_request_releases_its_key(
    portal: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = {**BODY, "sender": {}}
    assert portal.post("/cases", bad, HTTP_IDEMPOTENCY_KEY="k-3").status_code == 400
    assert not IdempotencyKey.objects.filter(key="k-3").exists()
    # Corrected, the request goes with the same key.
    assert portal.post("/cases", BODY, HTTP_IDEMPOTENCY_KEY="k-3").status_code == 202

    def down(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("queue down")

    monkeypatch.setattr("ascolto.api.cases.submit", down)
    assert portal.post("/cases", BODY, HTTP_IDEMPOTENCY_KEY="k-4").status_code == 500
    assert not IdempotencyKey.objects.filter(key="k-4").exists()
    monkeypatch.undo()
    assert portal.post("/cases", BODY, HTTP_IDEMPOTENCY_KEY="k-4").status_code == 202


@pytest.mark.django_db
def test_old_keys_are_pruned(portal: Api) -> None:
    portal.post("/cases", BODY, HTTP_IDEMPOTENCY_KEY="old")
    assert idempotency.prune(timezone.now()) == 0
    assert idempotency.prune(timezone.now() + idempotency.KEEP + timedelta(seconds=1)) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_create_once(
    cast: personas.Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent connections: PostgreSQL (SQLite's test database is one file lock)")
    portal = api_for(["cases:write"])
    from ascolto.api import cases

    real = cases.submit  # type: ignore[attr-defined]

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.3)  # the first request holds its key while the others arrive
        return real(*args, **kwargs)

    monkeypatch.setattr(cases, "submit", slow)
    start = threading.Barrier(6)
    statuses: list[int] = []

    def send() -> None:
        client = Client()
        start.wait()
        try:
            response = client.post(
                "/api/v1/cases",
                BODY,
                content_type="application/json",
                headers={"Authorization": f"Bearer {portal.plaintext}", "Idempotency-Key": "race"},
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses).count(202) == 1, statuses
    assert set(statuses) <= {202, 409}
    assert PendingInbound.objects.count() == 1
    replay = portal.post("/cases", BODY, HTTP_IDEMPOTENCY_KEY="race")
    assert replay.status_code == 202 and replay["Idempotent-Replayed"] == "true"


@pytest.mark.django_db
def test_a_key_left_by_a_request_that_never_finished_is_taken_by_the_retry(portal: Api) -> None:
    with time_machine.travel("2026-05-04 10:00:00 +0000", tick=False):
        assert portal.post("/cases", BODY, HTTP_IDEMPOTENCY_KEY="killed").status_code == 202
    # As if its worker had been killed after taking the key, before accepting the case.
    IdempotencyKey.objects.filter(key="killed").update(status=None, body=None)
    PendingInbound.objects.all().delete()
    # The worker was killed a minute ago: the request may still be running, for all we know.
    with time_machine.travel("2026-05-04 10:01:00 +0000", tick=False):
        busy = portal.post("/cases", BODY, HTTP_IDEMPOTENCY_KEY="killed")
        assert busy.status_code == 409 and busy["Retry-After"] == "1"
    # Past ABANDONED it is not: the retry is served, once.
    with time_machine.travel("2026-05-04 10:02:01 +0000", tick=False):
        retried = portal.post("/cases", BODY, HTTP_IDEMPOTENCY_KEY="killed")
        assert retried.status_code == 202
        again = portal.post("/cases", BODY, HTTP_IDEMPOTENCY_KEY="killed")
        assert again.json() == retried.json() and again["Idempotent-Replayed"] == "true"
    assert PendingInbound.objects.count() == 1
