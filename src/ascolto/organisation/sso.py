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

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.http import HttpRequest
from django.urls import reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend  # type: ignore[import-untyped]

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


class DirectoryBackend(OIDCAuthenticationBackend):  # type: ignore[misc]
    """Signs in the member of staff the directory vouches for (the OIDC callback only)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Not the library's __init__ while single sign-on is off: Django instantiates every
        # backend for every password sign-in, and the provider's settings are empty then.
        self.UserModel = get_user_model()
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = "RS256"
        self.OIDC_RP_IDP_SIGN_KEY = None
        self.issuer = ""

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> Any:
        # Only the callback view passes a nonce: a password form with ?code=&state= in its
        # address must not start a token exchange.
        if request is None or not enabled() or "nonce" not in kwargs:
            return None
        found = endpoints()
        self.OIDC_OP_TOKEN_ENDPOINT = found.token
        self.OIDC_OP_USER_ENDPOINT = found.userinfo
        self.OIDC_OP_JWKS_ENDPOINT = found.jwks
        self.issuer = found.issuer
        return super().authenticate(request, **kwargs)

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        """The ID token's claims, once its RS256 signature (the provider's JWKS), issuer,
        audience (this client), expiry and nonce all hold; SuspiciousOperation otherwise. The
        library's own check skips the audience and the issuer."""
        key = self.retrieve_matching_jwk(token)
        try:
            payload: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=self.issuer or None,
                leeway=LEEWAY,
                options={"require": ["iss", "aud", "exp", "iat", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise SuspiciousOperation(f"ID token refused: {type(exc).__name__}") from exc
        if payload.get("nonce") != kwargs.get("nonce"):
            raise SuspiciousOperation("ID token refused: nonce")
        assurance = {"amr": payload.get("amr", []), "acr": payload.get("acr", "")}
        setattr(self.request, ASSURANCE, assurance)
        return payload

    def get_userinfo(self, access_token: str, id_token: str, payload: dict[str, Any]) -> Any:
        """The ID token's claims completed by the userinfo endpoint's, when there is one."""
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT:
            response = requests.get(
                self.OIDC_OP_USER_ENDPOINT,
                headers={"Authorization": f"Bearer {access_token}"},
                timeout=settings.OIDC_TIMEOUT,
            )
            response.raise_for_status()
            info = response.json()
            if info.get("sub", payload.get("sub")) != payload.get("sub"):
                raise SuspiciousOperation("userinfo is about another subject")
            claims.update(info)
        return claims

    def _refuse(self, reason: str) -> bool:
        setattr(self.request, REFUSAL, reason)
        logger.warning("single sign-on refused: %s", reason)
        return False

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        if not _username(claims):
            return self._refuse("no-username")
        role = role_for(claims)
        if role is None:
            return self._refuse("no-role")
        if role == Role.OFFICE and office_for(claims) is None:
            return self._refuse("no-office")
        return True

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        """The member of staff with the directory's user name (never matched by email: an
        address the directory gives must not take over a local account)."""
        return self.UserModel.objects.filter(username=_username(claims))

    def create_user(self, claims: dict[str, Any]) -> User:
        user: User = self.UserModel.objects.create_user(_username(claims), password=None)
        logger.info("single sign-on: account %s made from the directory", user.pk)
        return self._apply(user, claims, made=True)

    def update_user(self, user: User, claims: dict[str, Any]) -> User:
        return self._apply(user, claims, made=False)

    def _apply(self, user: User, claims: dict[str, Any], *, made: bool) -> User:
        """Write the directory's name, email, role and office on `user` (the directory is the
        source of truth); a change of role or office is logged with ids and codes only."""
        role = role_for(claims) or user.role
        # Without an office claim configured, offices stay as the administrators set them.
        office = office_for(claims) if settings.ASCOLTO_OIDC_OFFICE_CLAIM else user.office
        changed = user.role != role or user.office_id != (office.pk if office else None)
        if changed and not made:
            logger.info(
                "single sign-on: user %s role %s -> %s, office %s -> %s",
                user.pk,
                user.role,
                role,
                user.office.code if user.office_id and user.office else None,
                office.code if office else None,
            )
        user.role = role
        user.office = office
        user.email = str(claims.get("email") or user.email)[:254]
        user.first_name = str(claims.get("given_name") or user.first_name)[:150]
        user.last_name = str(claims.get("family_name") or user.last_name)[:150]
        user.save(update_fields=["role", "office", "email", "first_name", "last_name"])
        return user


def _username(claims: dict[str, Any]) -> str:
    values = claim_values(claims, settings.ASCOLTO_OIDC_USERNAME_CLAIM)
    return values[0][:150] if values else ""
