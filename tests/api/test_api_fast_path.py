"""`POST /api/v1/cases` through the WSGI entry point's fast path (`api.fast`): a plainly right
request is accepted and answered as Django's handler would answer it, headers included; anything
else is answered by the handler, counted once against the token's rate, with nothing written
twice. In committed transactions: Django's handler, called as gunicorn calls it, closes a
connection it finds inside a test's transaction (its `request_started` signal)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import time_machine
from django.core.handlers.wsgi import WSGIHandler
from prometheus_client import REGISTRY

from ascolto.api import fast
from ascolto.api.models import IdempotencyKey
from ascolto.channels.models import PendingInbound
from ascolto.core.ratelimit import hit
from tests import personas
from tests.api.conftest import api_for
from tests.wsgi_calls import call

PATH = "/api/v1/cases"
CASE = {"text": "Il lampione di via Roma 12 è spento.", "sender": {"email": "anna@example.it"}}
# Different on every answer, by design: the rest must be the handler's.
PER_ANSWER = {"X-Request-ID", "Expires", "Location"}


@pytest.fixture
def taken(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """One entry per request the fast path saw: True when it answered it."""
    seen: list[bool] = []
    real = fast.accept

    def spy(*args: Any) -> Any:
        answer = real(*args)
        seen.append(answer is not None)
        return answer

    monkeypatch.setattr(fast, "accept", spy)
    return seen


def _post(token: str, body: Any = CASE, *, app: Any = None, **headers: str) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return call(
        PATH, method="POST", body=raw, app=app,
        headers={"Authorization": f"Bearer {token}", **headers},
    )  # fmt: skip


@pytest.mark.parametrize(("secure", "language"), [(False, ""), (True, "en-GB,en;q=0.8")])
@pytest.mark.django_db(transaction=True)
def test_a_plain_case_is_answered_as_the_handler_answers_it(
    cast: personas.Cast, settings: Any, taken: list[bool], secure: bool, language: str
) -> None:
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 3600
    portal = api_for(["cases:write"])
    headers = {"X-Forwarded-Proto": "https" if secure else "http", "Accept-Language": language}
    status, answered, body = _post(portal.plaintext, **headers)
    assert taken == [True]
    slow_status, slow_headers, slow_body = _post(
        portal.plaintext, {**CASE, "text": "Un altro."}, app=WSGIHandler(), **headers
    )  # built now, so that its middleware reads the settings as the test set them
    assert taken == [True]  # the handler alone
    assert status == slow_status == "202 Accepted"
    assert {k: v for k, v in answered.items() if k not in PER_ANSWER} == {
        k: v for k, v in slow_headers.items() if k not in PER_ANSWER
    }
    assert set(answered) == set(slow_headers)
    assert ("Strict-Transport-Security" in answered) is secure
    assert answered["Content-Language"] == ("en" if language else "it")
    code = json.loads(body)["code"]
    assert json.loads(body) == {"code": code, "status": "queued", "url": f"{PATH}/{code}"}
    assert answered["Location"] == f"{PATH}/{code}"
    assert set(json.loads(slow_body)) == {"code", "status", "url"}
    assert PendingInbound.objects.get(code=code).payload["raw"] == {"system": "Portale"}
    assert PendingInbound.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_proxy_request_id_is_kept_and_the_metrics_count_the_answer(
    cast: personas.Cast, taken: list[bool]
) -> None:
    portal = api_for(["cases:write"])
    labels = {"status": "202", "view": "api-v1:create_case", "method": "POST"}
    name = "django_http_responses_total_by_status_view_method_total"
    before = REGISTRY.get_sample_value(name, labels) or 0.0
    _status, headers, _ = _post(portal.plaintext, **{"X-Request-ID": "proxy-1234abcd"})
    assert taken == [True]
    assert headers["X-Request-ID"] == "proxy-1234abcd"
    assert REGISTRY.get_sample_value(name, labels) == before + 1


@pytest.mark.django_db(transaction=True)
def test_a_retry_with_its_key_is_replayed_and_stored_once(
    cast: personas.Cast, taken: list[bool]
) -> None:
    portal = api_for(["cases:write"])
    first = _post(portal.plaintext, **{"Idempotency-Key": "k-1"})
    again = _post(portal.plaintext, **{"Idempotency-Key": "k-1"})
    assert taken == [True, True]
    assert first[0] == again[0] == "202 Accepted"
    assert again[2] == first[2] and again[1]["Idempotent-Replayed"] == "true"
    assert PendingInbound.objects.count() == 1
    # The same external id under another key: the first case's code, 200.
    one = _post(portal.plaintext, {**CASE, "external_id": "p-1"})
    two = _post(portal.plaintext, {**CASE, "external_id": "p-1"}, **{"Idempotency-Key": "k-2"})
    assert (one[0], two[0]) == ("202 Accepted", "200 OK")
    assert json.loads(two[2])["code"] == json.loads(one[2])["code"]
    assert PendingInbound.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "headers", "scopes", "status", "code"),
    [
        (b"{not json", {}, ["cases:write"], 400, None),
        ({"text": "Senza recapito.", "sender": {}}, {}, ["cases:write"], 400, "invalid-input"),
        ({"text": "", "sender": {"email": "a@b.it"}}, {}, ["cases:write"], 422, None),
        (CASE, {}, ["cases:read"], 403, None),
        (CASE, {"Idempotency-Key": "x" * 201}, ["cases:write"], 422, None),
        (CASE, {"Cookie": "sessionid=x"}, ["cases:write"], 202, None),
    ],
    ids=["not-json", "no-contact", "empty-text", "no-scope", "long-key", "with-cookie"],
)
@pytest.mark.django_db(transaction=True)
def test_what_the_fast_path_leaves_the_handler_answers(
    cast: personas.Cast,
    taken: list[bool],
    body: Any,
    headers: dict[str, str],
    scopes: list[str],
    status: int,
    code: str | None,
) -> None:
    system = api_for(scopes)
    answer, _headers, content = _post(system.plaintext, body, **headers)
    assert taken in ([], [False])  # not answered there
    assert answer.startswith(str(status)), content
    if status == 202:  # answered by the handler, stored once
        assert PendingInbound.objects.count() == 1
        return
    assert _headers["Content-Type"] == "application/problem+json"
    if code:
        assert json.loads(content)["code"] == code
    assert not PendingInbound.objects.exists()
    assert not IdempotencyKey.objects.exists()  # a refused request's key is released


@pytest.mark.django_db(transaction=True)
def test_an_unknown_token_is_refused_by_the_handler(cast: personas.Cast, taken: list[bool]) -> None:
    answer, _headers, _ = _post("asc_nobody")
    assert answer.startswith("401") and taken == [False]
    assert not PendingInbound.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_past_its_rate_the_token_gets_429_counted_once(
    cast: personas.Cast, taken: list[bool]
) -> None:
    slow = api_for(["cases:write"], rate_per_minute=2)
    with time_machine.travel("2026-03-02 10:00:05 +0000", tick=False):
        statuses = [_post(slow.plaintext, {**CASE, "text": f"N. {i}"})[0][:3] for i in range(3)]
        assert statuses == ["202", "202", "429"]
        assert taken == [True, True, False]
        # Counted once each: three counts in the window, not four (the handler did not count
        # the third request again); read as a limit of 4 would, without counting.
        who = f"t{slow.token.pk}"
        assert hit("api-token", "4/m", who, count=False) is None
        assert hit("api-token", "3/m", who, count=False) is not None
    assert PendingInbound.objects.count() == 2
