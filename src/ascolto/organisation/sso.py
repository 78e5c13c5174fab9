"""Single sign-on of staff with the city's directory over OpenID Connect (decision 0021).

mozilla-django-oidc runs the authorization-code flow (state, nonce, PKCE); `DirectoryBackend`
checks the ID token strictly (RS256 against the provider's JWKS, issuer, audience, expiry,
nonce) and maps the directory's claims onto the member of staff: user name, email and name;
the ROLE from the groups claim through `ASCOLTO_OIDC_ROLE_MAP`; the OFFICE from the office claim
through `ASCOLTO_OIDC_OFFICE_MAP` (or the value read as an `Office.code`). The directory is the
source of truth: role and office are written again at every sign-in, and a change is logged
(ids and role names only). A person in no mapped group is refused and no account is made.
Accounts made here have no usable password.

The second factor: `trusts_mfa` says whether the ID token's `amr`/`acr` show the directory
checked one itself; then the session is verified with the user's `DirectoryDevice`, the way the
console's own codes verify it (django-otp's session key); otherwise the console asks for its
own second factor, as after a password.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.urls import reverse

from ascolto.core.roles import Role
from ascolto.organisation.models import DirectoryDevice, Office, User

logger = logging.getLogger(__name__)

# Why a single sign-on was refused, kept on the request by the backend for the callback view.
REFUSAL = "ascolto_sso_refusal"
# The ID token's `amr` and `acr`, kept on the request for the second-factor decision.
ASSURANCE = "ascolto_sso_assurance"
DISCOVERY_SECONDS = 3600
# Seconds of clock difference tolerated between the provider and this server.
LEEWAY = 30


class Unavailable(Exception):
    """The provider's discovery document could not be read."""


@dataclass(frozen=True)
class Endpoints:
    issuer: str
    authorization: str
    token: str
    userinfo: str
    jwks: str
    end_session: str


def enabled() -> bool:
    return bool(getattr(settings, "ASCOLTO_OIDC_ENABLED", False))


def endpoints() -> Endpoints:
    """The provider's endpoints: each set one, else the discovery document's (cached an hour)."""
    issuer = str(settings.ASCOLTO_OIDC_ISSUER)
    found: dict[str, Any] = {}
    if issuer:
        key = f"ascolto:oidc:discovery:{issuer}"
        found = cache.get(key) or {}
        if not found:
            import requests  # here: a web worker loads it only for a discovery to fetch

            try:
                response = requests.get(
                    f"{issuer}/.well-known/openid-configuration", timeout=settings.OIDC_TIMEOUT
                )
                response.raise_for_status()
                found = response.json()
            except (requests.RequestException, ValueError) as exc:
                raise Unavailable(f"discovery failed: {type(exc).__name__}") from exc
            cache.set(key, found, DISCOVERY_SECONDS)

    def pick(setting: str, name: str) -> str:
        return str(getattr(settings, setting, "") or found.get(name) or "")

    return Endpoints(
        issuer=str(found.get("issuer") or issuer),
        authorization=pick("ASCOLTO_OIDC_AUTHORIZATION_ENDPOINT", "authorization_endpoint"),
        token=pick("ASCOLTO_OIDC_TOKEN_ENDPOINT", "token_endpoint"),
        userinfo=pick("ASCOLTO_OIDC_USERINFO_ENDPOINT", "userinfo_endpoint"),
        jwks=pick("ASCOLTO_OIDC_JWKS_ENDPOINT", "jwks_uri"),
        end_session=pick("ASCOLTO_OIDC_END_SESSION_ENDPOINT", "end_session_endpoint"),
    )


def _pairs(text: str, setting: str) -> list[tuple[str, str]]:
    pairs = []
    for item in text.split(","):
        if not item.strip():
            continue
        left, sep, right = item.partition("=")
        if not sep or not left.strip() or not right.strip():
            raise ImproperlyConfigured(f"{setting}: {item.strip()!r} is not name=value")
        pairs.append((left.strip(), right.strip()))
    return pairs


def role_map() -> list[tuple[str, str]]:
    """(directory group, role) in the order of `ASCOLTO_OIDC_ROLE_MAP`."""
    pairs = _pairs(settings.ASCOLTO_OIDC_ROLE_MAP, "ASCOLTO_OIDC_ROLE_MAP")
    for _, role in pairs:
        if role not in Role.values:
            raise ImproperlyConfigured(
                f"ASCOLTO_OIDC_ROLE_MAP: {role!r} is no role (one of {', '.join(Role.values)})"
            )
    return pairs


def claim_values(claims: dict[str, Any], name: str) -> list[str]:
    """The values of claim `name` (a dotted path reaches into nested claims) as strings."""
    value: Any = claims
    for part in name.split(".") if name else []:
        value = value.get(part) if isinstance(value, dict) else None
    if value is None or name == "":
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]


def role_for(claims: dict[str, Any]) -> str | None:
    groups = set(claim_values(claims, settings.ASCOLTO_OIDC_GROUPS_CLAIM))
    for group, role in role_map():
        if group in groups:
            return role
    return None


def office_for(claims: dict[str, Any]) -> Office | None:
    mapping = dict(_pairs(settings.ASCOLTO_OIDC_OFFICE_MAP, "ASCOLTO_OIDC_OFFICE_MAP"))
    for value in claim_values(claims, settings.ASCOLTO_OIDC_OFFICE_CLAIM):
        office = Office.objects.filter(code=mapping.get(value, value)).first()
        if office is not None:
            return office
    return None


def trusts_mfa(assurance: dict[str, Any]) -> bool:
    """Whether the ID token shows the directory checked a second factor itself."""
    amr = set(claim_values(assurance, "amr"))
    acr = claim_values(assurance, "acr")
    trusted_acr = set(settings.ASCOLTO_OIDC_TRUSTED_ACR)
    return bool(amr & set(settings.ASCOLTO_OIDC_TRUSTED_AMR)) or bool(acr and acr[0] in trusted_acr)


def directory_device(user: User) -> DirectoryDevice:
    device: DirectoryDevice
    device, _ = DirectoryDevice.objects.get_or_create(
        user=user, defaults={"name": "elenco del Comune", "confirmed": True}
    )
    return device


def end_session_url(request: HttpRequest) -> str | None:
    """The provider's sign-out address for this session (RP-initiated logout), or None when
    single sign-on is off, the provider has none, or the session did not come from it."""
    id_token = request.session.get("oidc_id_token")
    if not enabled() or not id_token:
        return None
    try:
        endpoint = endpoints().end_session
    except Unavailable:
        return None
    if not endpoint:
        return None
    query = urlencode(
        {
            "id_token_hint": id_token,
            "client_id": settings.OIDC_RP_CLIENT_ID,
            "post_logout_redirect_uri": request.build_absolute_uri(reverse("console:login")),
        }
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


class DirectoryBackend(BaseBackend):
    """Signs in the member of staff the directory vouches for (the OIDC callback only).

    Django asks every backend at every password sign-in, and this one answers None there at
    once: the token exchange and its checks (`sso_directory.Directory`, with
    mozilla-django-oidc's backend, PyJWT, cryptography and requests: 10 MiB) are imported by
    the first single sign-on a process serves, not by every web worker (issue 19)."""

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> Any:
        # Only the callback view passes a nonce: a password form with ?code=&state= in its
        # address must not start a token exchange.
        if request is None or not enabled() or "nonce" not in kwargs:
            return None
        from ascolto.organisation.sso_directory import Directory

        return Directory().authenticate(request, **kwargs)

    def get_user(self, user_id: Any) -> Any:
        """The user of a session this backend signed in (as mozilla-django-oidc's does)."""
        model = get_user_model()
        try:
            return model.objects.get(pk=user_id)
        except model.DoesNotExist:
            return None


def username_of(claims: dict[str, Any]) -> str:
    values = claim_values(claims, settings.ASCOLTO_OIDC_USERNAME_CLAIM)
    return values[0][:150] if values else ""
