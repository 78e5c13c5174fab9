"""Fixtures of single sign-on: the local OpenID Connect provider (`organisation/oidc_sandbox.py`)
on a free loopback port, and the console's settings pointed at it. A test module imports both
fixtures (`from tests.oidc import _oidc_server, oidc_provider`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache

from ascolto.organisation.oidc_sandbox import OIDCSandbox

BUTTON = "Accedi con l'account del Comune"
ROLE_MAP = (
    "crm-amministratori=administrator,crm-supervisori=supervisor,crm-analisti=analyst,"
    "crm-uffici=office,crm-operatori=first_level"
)


@pytest.fixture(scope="session")
def _oidc_server() -> Iterator[OIDCSandbox]:
    server = OIDCSandbox().start()
    yield server
    server.stop()


@pytest.fixture
def oidc_provider(_oidc_server: OIDCSandbox, settings: Any) -> OIDCSandbox:
    """The local provider, well-behaved and signing in Elena Bruni (group crm-operatori, office
    contact-center, amr with mfa), with single sign-on on and pointed at it, as the settings
    block does from ASCOLTO_OIDC_* (the provider's origin allowed as a form target too)."""
    _oidc_server.reset()
    settings.ASCOLTO_OIDC_ENABLED = True
    settings.ASCOLTO_OIDC_ISSUER = _oidc_server.url
    settings.OIDC_RP_CLIENT_ID = _oidc_server.client_id
    settings.OIDC_RP_CLIENT_SECRET = _oidc_server.client_secret
    settings.ASCOLTO_OIDC_ROLE_MAP = ROLE_MAP
    settings.ASCOLTO_OIDC_OFFICE_CLAIM = "department"
    settings.ASCOLTO_OIDC_OFFICE_MAP = "TRIB-TARI=ufficio-tari"
    settings.ASCOLTO_OIDC_TRUSTED_AMR = ["mfa", "otp"]
    settings.ASCOLTO_OIDC_TRUSTED_ACR = []
    policy = settings.CONTENT_SECURITY_POLICY
    directives = {**policy["DIRECTIVES"]}
    directives["form-action"] = [*directives["form-action"], _oidc_server.url]
    settings.CONTENT_SECURITY_POLICY = {**policy, "DIRECTIVES": directives}
    cache.delete(f"ascolto:oidc:discovery:{_oidc_server.url}")
    return _oidc_server
