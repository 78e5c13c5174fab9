"""The WSGI entry point serves `/webhooks/` through its lean handler (no page middleware) and
everything else through Django's own: the webhook still answers as the view says, the host is
still checked, and pages still get their sessions and CSRF cookies."""

from __future__ import annotations

from typing import Any

import pytest

from ascolto.channels.adapters.meta.signature import sign
from ascolto.channels.models import WebhookDelivery
from ascolto.config import wsgi
from tests.meta.inbound.conftest import APP_SECRET, Meta, raw
from tests.wsgi_calls import call


def _call(path: str, *, method: str = "GET", body: bytes = b"", host: str = "testserver",
          headers: dict[str, str] | None = None,
          app: Any = None) -> tuple[str, dict[str, str], bytes]:  # fmt: skip
    return call(path, method=method, body=body, host=host, headers=headers, app=app)


@pytest.mark.django_db(transaction=True)
def test_a_delivery_goes_through_the_lean_handler_and_is_stored(meta: Meta) -> None:
    body = raw("whatsapp_text")
    status, headers, content = _call(
        "/webhooks/meta/whatsapp/",
        method="POST",
        body=body,
        headers={"X-Hub-Signature-256": sign(APP_SECRET, body)},
    )
    assert status.startswith("200"), content
    assert WebhookDelivery.objects.filter(channel="whatsapp", body=body.decode()).count() == 1
    assert "Set-Cookie" not in headers  # no session, no CSRF cookie, no language cookie
    assert "Accept-Language" not in headers.get("Vary", "")


@pytest.mark.django_db(transaction=True)
def test_the_lean_handler_refuses_a_bad_signature_and_an_unknown_host(meta: Meta) -> None:
    body = raw("whatsapp_text")
    status, _, _ = _call(
        "/webhooks/meta/whatsapp/", method="POST", body=body,
        headers={"X-Hub-Signature-256": sign("another secret", body)},
    )  # fmt: skip
    assert status.startswith("401")
    status, _, _ = _call(
        "/webhooks/meta/whatsapp/", method="POST", body=body, host="evil.example",
        headers={"X-Hub-Signature-256": sign(APP_SECRET, body)},
    )  # fmt: skip
    assert status.startswith("400")
    assert WebhookDelivery.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_pages_keep_the_full_middleware(meta: Meta) -> None:
    status, headers, _ = _call("/scrivi/")
    assert status.startswith("200")
    assert "csrftoken" in headers.get("Set-Cookie", "")
    assert "Accept-Language" in headers.get("Vary", "")


def _signed(body: bytes, **extra: str) -> dict[str, str]:
    return {"X-Hub-Signature-256": sign(APP_SECRET, body), **extra}


def _through_the_handler(path: str, body: bytes, headers: dict[str, str]) -> Any:
    """The same request served by the lean Django handler (what the fast path stands for),
    built now, so that its middleware reads the settings as the test set them."""
    return _call(path, method="POST", body=body, headers=headers, app=wsgi.WebhookHandler())


@pytest.mark.parametrize("secure", [False, True])
@pytest.mark.django_db(transaction=True)
def test_the_fast_path_answers_as_the_view_and_its_middleware_would(
    meta: Meta, settings: Any, secure: bool
) -> None:
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 3600
    body = raw("whatsapp_text")
    headers = _signed(body, **({"X-Forwarded-Proto": "https"} if secure else {}))
    stored = []
    real = wsgi.accept_signed

    def spy(*args: Any) -> bool:
        stored.append(real(*args))
        return stored[-1]

    wsgi.accept_signed = spy  # type: ignore[assignment]
    try:
        fast = _call("/webhooks/meta/whatsapp/", method="POST", body=body, headers=headers)
    finally:
        wsgi.accept_signed = real  # type: ignore[assignment]
    assert stored == [True]  # it did take the fast path
    slow = _through_the_handler("/webhooks/meta/whatsapp/", body, headers)
    assert fast == slow
    assert fast[0] == "200 OK"
    assert ("Strict-Transport-Security" in fast[1]) is secure
    assert WebhookDelivery.objects.filter(body=body.decode()).count() == 2  # one each


@pytest.mark.parametrize(
    ("path", "body", "headers", "status"),
    [
        ("/webhooks/meta/whatsapp/", b'{"object": "x"}', {"X-Hub-Signature-256": "sha256=00"}, 401),
        ("/webhooks/meta/whatsapp/", b'{"object": "x"}', {}, 401),
        ("/webhooks/meta/nessuno/", b'{"object": "x"}', None, 404),
        ("/webhooks/meta/whatsapp/", b'{"o": "\xff"}', None, 400),
        ("/webhooks/meta/whatsapp/", b'{"o": "\x00"}', None, 400),
        ("/webhooks/meta/whatsapp/", b"x" * (1024 * 1024 + 1), None, 413),
    ],
)
@pytest.mark.django_db(transaction=True)
def test_what_the_fast_path_does_not_take_the_view_answers(
    meta: Meta, path: str, body: bytes, headers: dict[str, str] | None, status: int
) -> None:
    answer = _call(
        path, method="POST", body=body, headers=_signed(body) if headers is None else headers
    )
    assert answer[0].startswith(str(status))
    assert answer == _through_the_handler(path, body, _signed(body) if headers is None else headers)
    assert not WebhookDelivery.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_plain_http_delivery_is_redirected_when_https_is_required(
    meta: Meta, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.SECURE_SSL_REDIRECT = True
    monkeypatch.setattr(wsgi, "webhooks", wsgi.WebhookHandler())  # its middleware reads it
    body = raw("whatsapp_text")
    status, headers, _ = _call(
        "/webhooks/meta/whatsapp/", method="POST", body=body, headers=_signed(body)
    )
    assert status.startswith("301")
    assert headers["Location"] == "https://testserver/webhooks/meta/whatsapp/"
    assert not WebhookDelivery.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_lost_under_the_fast_path_is_replaced_and_the_delivery_stored(
    meta: Meta,
) -> None:
    from django.db import connection

    first = raw("whatsapp_text")
    assert _call("/webhooks/meta/whatsapp/", method="POST", body=first, headers=_signed(first))[
        0
    ].startswith("200")
    with connection.cursor() as cursor:  # the database restarted: this session is gone
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    import psycopg

    dsn = f"postgres://{connection.settings_dict['USER']}@127.0.0.1:5432/postgres"
    with psycopg.connect(dsn, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    second = first.replace(b"Buongiorno", b"Buonasera")
    assert second != first
    status, _, _ = _call(
        "/webhooks/meta/whatsapp/", method="POST", body=second, headers=_signed(second)
    )
    assert status.startswith("200")
    assert WebhookDelivery.objects.filter(body=second.decode()).count() == 1
