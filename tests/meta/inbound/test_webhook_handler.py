"""The WSGI entry point serves `/webhooks/` through its lean handler (no page middleware) and
everything else through Django's own: the webhook still answers as the view says, the host is
still checked, and pages still get their sessions and CSRF cookies."""

from __future__ import annotations

import io
import sys
from typing import Any

import pytest

from ascolto.channels.adapters.meta.signature import sign
from ascolto.channels.models import WebhookDelivery
from ascolto.config import wsgi
from tests.meta.inbound.conftest import APP_SECRET, Meta, raw


def _call(path: str, *, method: str = "GET", body: bytes = b"", host: str = "testserver",
          headers: dict[str, str] | None = None) -> tuple[str, dict[str, str], bytes]:  # fmt: skip
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": host,
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
    }
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    started: list[Any] = []
    content = b"".join(wsgi.application(environ, lambda s, h: started.append((s, h))))
    status, header_list = started[0]
    return status, dict(header_list), content


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
