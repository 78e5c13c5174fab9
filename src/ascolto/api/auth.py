"""Who calls the API, and what they may do: an external system's token or the console's session.

Every operation names the scope it needs (`api.tokens.SCOPES`) and is guarded by `scoped(scope)`:

- `Authorization: Bearer asc_…`: the token of an external system (`api.tokens.authenticate`:
  unknown, revoked or expired → 401, scope missing → 403), counted against its
  `rate_per_minute` (429 with `Retry-After` past it);
- the console's own calls: the signed-in member of staff's session, with Django's CSRF check on
  unsafe methods; a role grants the scopes of what it does in the console (`SESSION_SCOPES`).

Either way the operation gets a `Caller`, whose `visible` narrows a queryset as the console does
(`core.access`): a token with an office sees that office's subtree, one without sees every
office; a member of staff sees what their role sees.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer, SessionAuth
from ninja.security.base import AuthBase

from ascolto.api.models import ApiToken
from ascolto.api.tokens import TokenRefused, authenticate
from ascolto.audit.readers import Reader, reader_of
from ascolto.core import access
from ascolto.core.ratelimit import RateLimited, hit
from ascolto.core.roles import Role
from ascolto.organisation.models import Office, User
from ascolto.tickets import events

_CASE_WORK = frozenset(
    {"cases:read", "cases:write", "citizens:read", "reference:read", "knowledge:read"}
)
_ANALYSIS = frozenset({"reports:read", "surveys:read", "reference:read", "knowledge:read"})


def session_scopes(user: Any) -> frozenset[str]:
    """The scopes a member of staff's session holds: what their role does in the console."""
    scopes: set[str] = set()
    if access.handles_cases(user):
        scopes |= _CASE_WORK
    if access.analyses(user):
        scopes |= _ANALYSIS
    if access.edits_content(user):
        scopes.add("knowledge:write")
    if access.supervises(user):
        scopes.add("calls:import")
    return frozenset(scopes)


class TokenUser:
    """A token seen by `core.access` as a member of staff: a first-level operator (every
    office) without an office, an office operator of its office with one. It reads; it is never
    an actor of a case's events (those record no user, and name the token's system)."""

    is_authenticated = True
    is_active = True
    pk = None
    id = None

    def __init__(self, token: ApiToken) -> None:
        self.token = token
        self.office: Office | None = token.office
        self.office_id = token.office_id
        self.role = Role.OFFICE if token.office_id else Role.FIRST_LEVEL
        self.username = f"api:{token.name}"[:150]

    def __str__(self) -> str:
        return self.username


@dataclass(frozen=True)
class Caller:
    """Who made the request: a token (`token`) or a member of staff (`user`)."""

    scopes: frozenset[str]
    token: ApiToken | None = None
    user: User | None = None

    @property
    def viewer(self) -> Any:
        """What `core.access` reads for this caller."""
        return self.user if self.user is not None else TokenUser(self.token)  # type: ignore[arg-type]

    @property
    def actor(self) -> User | None:
        """The user the case's events record: the member of staff; none for a token, whose
        system the events name instead (`acting`)."""
        return self.user

    def acting(self) -> AbstractContextManager[None]:
        """Around the actions a token asks for: their events name the token's system."""
        if self.token is None:
            return nullcontext()
        return events.acting_system(self.token.name)

    def visible(self, queryset: QuerySet[Any], office_field: str = "office") -> QuerySet[Any]:
        return access.visible(queryset, self.viewer, office_field)

    def visible_listed(
        self, queryset: QuerySet[Any], office_field: str = "office"
    ) -> QuerySet[Any]:
        """`visible`, the office subtree as a list of ids (`core.access.visible_listed`)."""
        return access.visible_listed(queryset, self.viewer, office_field)

    def visible_citizens(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return access.visible_citizens(queryset, self.viewer)

    def may(self, scope: str) -> bool:
        return scope in self.scopes

    def reader(self, request: HttpRequest) -> Reader:
        """The reader the access log records: the member of staff, or the token's system."""
        if self.user is not None:
            return reader_of(request)
        token = self.token
        if token is None:
            raise TypeError("a caller is a token or a user")
        base = reader_of(request)
        return Reader(
            user_id=None,
            username=f"api:{token.name} ({token.prefix})",
            ip=base.ip,
            agent=base.agent,
        )


def caller(request: HttpRequest) -> Caller:
    """The caller of an authenticated operation."""
    auth = getattr(request, "auth", None)
    if not isinstance(auth, Caller):
        raise TypeError("operation without scoped() authentication")
    return auth


# The WSGI entry point's fast path (`api.fast`) counts a request against its token's limit before
# it hands the request to the handler: (token pk, seconds to wait or None) in the environ, so
# the request is counted once.
RATE_COUNTED = "ascolto.api.rate_counted"


def token_rate(token: ApiToken) -> int | None:
    """Count one more request of `token`: the seconds to wait once past its limit, else None."""
    return hit("api-token", f"{token.rate_per_minute}/m", f"t{token.pk}")


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>` of an external system, with the operation's scope."""

    def __init__(self, scope: str) -> None:
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> Caller:
        found = authenticate(token, self.scope)
        counted = request.META.get(RATE_COUNTED)
        wait = counted[1] if counted and counted[0] == found.pk else token_rate(found)
        if wait is not None:
            raise RateLimited(wait)
        return Caller(scopes=frozenset(found.scopes), token=found)


class StaffSession(SessionAuth):
    """The console's session (with Django's CSRF check on unsafe methods)."""

    def __init__(self, scope: str) -> None:
        super().__init__(csrf=True)
        self.scope = scope

    def authenticate(self, request: HttpRequest, key: str | None) -> Caller | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        scopes = session_scopes(user)
        if self.scope not in scopes:
            raise TokenRefused(
                _("Il tuo ruolo non permette «%(scope)s».") % {"scope": self.scope}, status=403
            )
        return Caller(scopes=scopes, user=user)


def scoped(scope: str) -> list[AuthBase]:
    """The authentication of an operation that needs `scope`."""
    return [BearerToken(scope), StaffSession(scope)]
