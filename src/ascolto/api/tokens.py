"""The external systems' tokens: issued by an administrator, kept as a SHA-256 digest, checked
on every request with their scope, expiry and revocation."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime
from functools import cache

from django.db import router
from django.utils import timezone
from django.utils.translation import gettext as _

from ascolto.api.models import ApiToken
from ascolto.core.errors import DomainError, InvalidInput
from ascolto.core.memo import Kept
from ascolto.organisation.models import Office, User

# What a token may be allowed to do. Extend here, and document in docs/api.md.
SCOPES: dict[str, str] = {
    "cases:read": "leggere le pratiche, i loro eventi e messaggi",
    "cases:write": "aprire pratiche e compiere le azioni del flusso di lavoro",
    "citizens:read": "leggere e cercare i cittadini",
    "calls:import": "importare i tabulati delle chiamate",
    "knowledge:read": "leggere gli articoli",
    "knowledge:write": "scrivere gli articoli",
    "reference:read": "leggere temi, uffici e servizi",
    "surveys:read": "leggere le risposte ai questionari",
    "reports:read": "leggere le cifre dei report",
    "open311": "inviare e leggere segnalazioni con Open311",
    "webhooks:manage": "gestire le sottoscrizioni ai webhook",
}
PREFIX = "asc_"


class TokenRefused(DomainError):
    """The token is unknown, revoked or expired (401), or lacks the scope asked (403)."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message, field="token")
        self.status = status


def digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def issue_token(
    name: str,
    scopes: Iterable[str],
    *,
    office: Office | None = None,
    expires_at: datetime | None = None,
    rate_per_minute: int = 600,
    created_by: User | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for the external system `name`; returns it and its plaintext, which is
    shown once and never stored."""
    scopes = sorted(set(scopes))
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise InvalidInput(
            _("Permessi sconosciuti: %(scopes)s.") % {"scopes": ", ".join(unknown)}, field="scopes"
        )
    if not name.strip():
        raise InvalidInput(_("Indicare il sistema a cui è dato il token."), field="name")
    plaintext = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        name=name.strip(),
        prefix=plaintext[:12],
        digest=digest(plaintext),
        scopes=scopes,
        office=office,
        expires_at=expires_at,
        rate_per_minute=rate_per_minute,
        created_by=created_by,
    )
    return token, plaintext


@cache
def _by_digest(alias: str) -> str:
    """The statement that finds a token by its digest (unique, indexed), compiled by the ORM
    once per process and database: compiling the query cost 1.2 ms of CPU on every request of
    every external system, the whole lookup through `raw()` 0.3 ms (benchmarks/api.py)."""
    query = ApiToken.objects.using(alias).filter(digest="").order_by().query
    sql, params = query.sql_with_params()
    if len(params) != 1:
        raise AssertionError(f"the token lookup has one parameter, not {params!r}")
    return str(sql)


# A token found is kept TOKEN_SECONDS per process, as the channels are (`core.memo`): a system
# sending hundreds of cases a second would otherwise cost a query each (0.3 ms of the web
# worker's CPU, and the database's). Revoking, saving or deleting a token in a process forgets
# them there at once (`forget_tokens`, on ApiToken's signals in api/apps.py, and in
# `revoke_token`); the other processes see it within TOKEN_SECONDS. An unknown digest is not
# kept: anyone may send any.
TOKEN_SECONDS = 10.0
_tokens: Kept[tuple[str, str], ApiToken | None] = Kept(TOKEN_SECONDS, keep_missing=False)


def _find(hashed: str) -> ApiToken | None:
    alias = router.db_for_read(ApiToken)
    return _tokens.get((alias, hashed), lambda: _read(alias, hashed))


def _read(alias: str, hashed: str) -> ApiToken | None:
    found = list(ApiToken.objects.using(alias).raw(_by_digest(alias), [hashed]))
    return found[0] if found else None


def forget_tokens(**_: object) -> None:
    """Read every token from the database again (a token was saved, revoked or deleted)."""
    _tokens.forget()


def authenticate(plaintext: str, scope: str | None = None) -> ApiToken:
    """The token whose plaintext this is, if it is valid and allows `scope`; otherwise
    `TokenRefused` with 401 (unknown, revoked, expired) or 403 (scope missing). One indexed
    query, or none when the token was read in the last TOKEN_SECONDS; its office, if any, is
    read when the office scope is applied."""
    token = _find(digest(plaintext or ""))
    now = timezone.now()
    if token is None or token.revoked_at is not None:
        raise TokenRefused(_("Token mancante, sconosciuto o revocato."), status=401)
    if token.expires_at is not None and token.expires_at <= now:
        raise TokenRefused(_("Il token è scaduto."), status=401)
    if scope is not None and scope not in token.scopes:
        raise TokenRefused(
            _("Il token non ha il permesso «%(scope)s».") % {"scope": scope}, status=403
        )
    # The last use, at most once a minute per token: no write on every request.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() >= 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def revoke_token(token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    forget_tokens()
