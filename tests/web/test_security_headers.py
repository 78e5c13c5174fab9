"""The security headers of every response: a Content-Security-Policy with no inline code or style
allowed and no framing (except the alert banner, by the configured sites), the other headers
(referrer, permissions, cross-origin, nosniff), `Cache-Control: no-store` on whatever shows
personal data, and HSTS in production (docs/security/web.md)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, override_settings

from ascolto.tickets.models import Ticket
from tests import factories, personas

pytestmark = pytest.mark.django_db


def directives(response: Any) -> dict[str, list[str]]:
    """The response's Content-Security-Policy, directive by directive."""
    policy = response.headers["Content-Security-Policy"]
    parsed: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


@pytest.fixture
def staff(cast: personas.Cast) -> Client:
    client = Client()
    client.force_login(cast.administrator)
    return client


def test_pages_allow_scripts_and_styles_from_the_site_only_and_no_framing(
    client: Client, staff: Client
) -> None:
    for response in (client.get("/scrivi/"), staff.get("/console/inbox/")):
        assert response.status_code == 200
        policy = directives(response)
        for directive in ("default-src", "style-src", "connect-src"):
            assert policy[directive] == ["'self'"], directive
        assert policy["font-src"] == ["'self'", "data:"]
        # The nonce is in the header only on a page that used it; never 'unsafe-inline'.
        assert policy["script-src"][0] == "'self'"
        assert all(s.startswith("'nonce-") for s in policy["script-src"][1:])
        assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
        assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]
        assert policy["img-src"] == ["'self'", "data:"]
        assert policy["object-src"] == ["'none'"]
        assert policy["base-uri"] == ["'self'"]
        assert policy["form-action"] == ["'self'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert response.headers["X-Frame-Options"] == "DENY"


def test_no_template_page_carries_inline_script_style_or_handler(
    client: Client, staff: Client
) -> None:
    """A quick net under the browser test (tests/browser/test_csp.py): the markup of a few pages
    rich in behaviour has no inline `<script>` with code, no `<style>`, no `style=` and no `on…=`
    attribute."""
    pages = [
        client.get("/scrivi/"),
        client.get("/scrivi/assistente/"),
        client.get("/avvisi/banner/"),
        staff.get("/console/inbox/"),
        staff.get("/console/reports/"),
        staff.get("/console/contactcenter/"),
    ]
    for response in pages:
        assert response.status_code == 200, response.wsgi_request.path
        html = response.content.decode()
        assert "<style" not in html, response.wsgi_request.path
        assert " style=" not in html, response.wsgi_request.path
        assert " onchange=" not in html and " onclick=" not in html
        assert " hx-on" not in html
        for chunk in html.split("<script")[1:]:
            opening = chunk.split(">", 1)[0]
            body = chunk.split(">", 1)[1].split("</script>", 1)[0]
            assert "src=" in opening or "application/json" in opening or not body.strip(), (
                response.wsgi_request.path,
                opening,
            )


def test_only_the_alert_banner_may_be_framed_and_by_the_configured_sites(
    client: Client, cast: personas.Cast
) -> None:
    banner = client.get("/avvisi/banner/")
    assert directives(banner)["frame-ancestors"] == ["*"]
    assert "X-Frame-Options" not in banner.headers
    assert banner.headers["Cross-Origin-Resource-Policy"] == "cross-origin"

    with override_settings(ASCOLTO_EMBED_ORIGINS=["https://www.comune.example.it"]):
        banner = client.get("/avvisi/banner/")
        assert directives(banner)["frame-ancestors"] == ["https://www.comune.example.it"]
        assert directives(client.get("/scrivi/"))["frame-ancestors"] == ["'none'"]


def test_every_response_has_the_referrer_permissions_and_cross_origin_headers(
    client: Client, staff: Client
) -> None:
    for response in (
        client.get("/scrivi/"),
        staff.get("/console/"),
        client.get("/api/v1/health"),
        client.get("/nessuna-pagina/"),
    ):
        headers = response.headers
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
        assert headers["Cross-Origin-Resource-Policy"] == "same-origin"
        permissions = headers["Permissions-Policy"]
        for feature in ("camera=()", "microphone=()", "geolocation=()"):
            assert feature in permissions


def test_the_public_alerts_feed_may_be_read_and_kept_by_other_sites(client: Client) -> None:
    feed = client.get("/api/v1/alerts")
    assert feed.status_code == 200
    assert feed.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert "public" in feed.headers["Cache-Control"]
    assert "no-store" not in feed.headers["Cache-Control"]
    banner = client.get("/avvisi/banner/")
    assert "public" in banner.headers["Cache-Control"]


def no_store(response: Any) -> bool:
    return "no-store" in response.headers.get("Cache-Control", "") and (
        "public" not in response.headers["Cache-Control"]
    )


def test_console_admin_api_and_a_requests_own_pages_are_never_stored(
    client: Client, staff: Client, cast: personas.Cast, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        received = factories.submit_scrivi(
            "Non ho ricevuto l'avviso TARI.", email=personas.MARIA_EMAIL
        )
    assert received.ticket_id is not None
    ticket = Ticket.objects.get(pk=received.ticket_id)
    private = {
        "console": staff.get("/console/inbox/"),
        "case": staff.get(f"/console/cases/{ticket.code}/"),
        "citizen": staff.get(f"/console/citizens/{ticket.citizen_id}/"),
        "export": staff.get("/console/reports/?formato=csv"),
        "admin": staff.get("/admin/"),
        "api": client.get("/api/v1/health"),
        "status": client.get(f"/scrivi/pratica/{ticket.code}/"),
        "confirmation": client.get("/scrivi/inviata/"),
        "chat": client.get("/scrivi/assistente/"),
        "signed out, sent to sign in": client.get("/console/inbox/"),
    }
    assert {name: no_store(r) for name, r in private.items()} == dict.fromkeys(private, True)
    public = {"form": client.get("/scrivi/"), "privacy": client.get("/scrivi/privacy/")}
    assert {name: no_store(r) for name, r in public.items()} == dict.fromkeys(public, False)


def test_production_over_https_sends_hsts(tmp_path: Path) -> None:
    """HSTS is written by Django's SecurityMiddleware from settings that production turns on
    (ASCOLTO_ENV=production; ASCOLTO_HSTS_SECONDS, ASCOLTO_HSTS_PRELOAD): checked on a request
    over HTTPS to the production settings, in a process of its own."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("ASCOLTO_")}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    environment.update(
        ASCOLTO_ENV="production",
        ASCOLTO_SECRET_KEY=secrets.token_urlsafe(64),
        ASCOLTO_VAR_DIR=str(tmp_path / "var"),
    )
    script = (
        "from django.test import Client;"
        "r = Client(HTTP_HOST='localhost').get('/api/v1/health', secure=True);"
        "print(r.headers.get('Strict-Transport-Security'))"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "ascolto", "shell", "-c", script],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "max-age=31536000; includeSubDomains; preload"
