"""The token exchange and the ID token's checks of a single sign-on (decision 0021), for
`sso.DirectoryBackend`, which imports this module on the first single sign-on a process serves:
mozilla-django-oidc's backend, PyJWT (with cryptography) and requests weigh 10 MiB, which a web
worker that never serves a single sign-on does not carry (issue 19). Logs under
`ascolto.organisation.sso`, as the rest of single sign-on."""

from __future__ import annotations

from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest
from mozilla_django_oidc.auth import OIDCAuthenticationBackend  # type: ignore[import-untyped]

from ascolto.core.roles import Role
from ascolto.organisation.models import User
from ascolto.organisation.sso import (
    ASSURANCE,
    LEEWAY,
    REFUSAL,
    endpoints,
    logger,
    office_for,
    role_for,
    username_of,
)


class Directory(OIDCAuthenticationBackend):  # type: ignore[misc]
    """The token exchange of a single sign-on, for `sso.DirectoryBackend`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Not the library's __init__, which reads endpoints from settings: `authenticate`
        # takes them from `sso.endpoints()` (the discovery's, or the ones set).
        self.UserModel = get_user_model()
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.OIDC_RP_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = "RS256"
        self.OIDC_RP_IDP_SIGN_KEY = None
        self.issuer = ""

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> Any:
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
        if not username_of(claims):
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
        return self.UserModel.objects.filter(username=username_of(claims))

    def create_user(self, claims: dict[str, Any]) -> User:
        user: User = self.UserModel.objects.create_user(username_of(claims), password=None)
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
