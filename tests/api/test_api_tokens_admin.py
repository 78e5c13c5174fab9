"""Administrators manage the tokens: created in the admin (shown once, kept as a digest),
listed with their scopes and last use, revoked; or issued by the command."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from ascolto.api.models import ApiToken
from ascolto.api.tokens import authenticate, digest
from tests import personas

pytestmark = pytest.mark.django_db


def test_an_administrator_creates_a_token_shown_once(cast: personas.Cast) -> None:
    admin = Client()
    admin.force_login(cast.administrator)
    response = admin.post(
        "/admin/api/apitoken/add/",
        {
            "name": "Azienda rifiuti",
            "scopes": ["cases:read", "cases:write"],
            "office": cast.tari.pk,
            "rate_per_minute": 120,
            "expires_at_0": "",
            "expires_at_1": "",
        },
    )
    assert response.status_code == 200, response.content[:2000]
    assert "no-store" in response["Cache-Control"]
    plaintext = re.search(r'id="issued-token">([^<]+)<', response.content.decode())
    assert plaintext is not None
    token = ApiToken.objects.get(name="Azienda rifiuti")
    assert token.digest == digest(plaintext.group(1))
    assert token.scopes == ["cases:read", "cases:write"]
    assert token.office == cast.tari and token.created_by == cast.administrator
    assert authenticate(plaintext.group(1), "cases:read").pk == token.pk
    listing = admin.get("/admin/api/apitoken/").content.decode()
    assert token.prefix in listing and plaintext.group(1) not in listing
    page = admin.get(f"/admin/api/apitoken/{token.pk}/change/").content.decode()
    assert plaintext.group(1) not in page


def test_an_administrator_revokes_a_token(cast: personas.Cast) -> None:
    out = StringIO()
    call_command("create_api_token", "--name", "Portale", "--scope", "cases:read", stdout=out)
    plaintext = out.getvalue().strip()
    token = authenticate(plaintext, "cases:read")
    admin = Client()
    admin.force_login(cast.administrator)
    admin.post(
        "/admin/api/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    response = Client().get("/api/v1/cases", headers={"Authorization": f"Bearer {plaintext}"})
    assert response.status_code == 401


def test_the_command_issues_a_scoped_token_for_an_office(cast: personas.Cast) -> None:
    out = StringIO()
    call_command(
        "create_api_token",
        "--name",
        "TARI",
        "--scope",
        "cases:read",
        "--office",
        "ufficio-tari",
        "--expires",
        "2099-12-31",
        stdout=out,
        stderr=StringIO(),
    )
    token = ApiToken.objects.get(name="TARI")
    assert token.office is not None and token.office.code == cast.tari.code
    assert token.expires_at is not None and token.expires_at.year == 2099
    assert token.digest == digest(out.getvalue().strip())
