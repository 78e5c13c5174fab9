"""Who may see what: the console's rules of access, in one place (decision 0005).

- First-level operators, supervisors and administrators handle cases of every office.
- Office operators see the cases of their office and of every office below it; an office
  operator with no office sees none.
- Analysts read aggregated figures only: no case, no citizen.
- The social triage queue (comments on the city's Facebook page and Instagram account) is
  worked by the roles that handle cases of every office: first-level operators, supervisors,
  administrators (`triages_social`).
- A citizen is seen by whoever sees one of their cases: every citizen for the roles that handle
  cases of every office; for an office operator, only the citizens with a case in their scope
  (`visible_citizens`). Looking a caller up by phone or fiscal code finds no one else.
- The alerts on current topics are edited by supervisors and administrators (`edits_content`);
  every signed-in member of staff reads the current ones at the top of the console.
- The admin (`/admin/`) is for administrators only (decision 0008): `administers`.
- A citizen's data-protection requests (the access archive, erasure, legal holds: GDPR arts.
  15-17) are answered by administrators: `answers_privacy_requests`, the one check every such
  page, download and command uses. A data-protection officer's role, when one is added, joins
  `PRIVACY_OFFICERS` here.
- The virtual assistant's menus (what the bot says to every citizen on WhatsApp and the web
  chat) are edited, tried in the simulator and published by the same editorial team
  (`edits_assistant`). Operators and analysts do not change what the city says.

- The access log of personal data (who saw whose data, `audit.AccessRecord`) is read by
  administrators and by whoever is granted the permission `audit.view_accessrecord` (the
  DPO, the privacy officer: given in the admin, on the user's page): `reads_access_log`.

The functions take a queryset and the name of the field that holds the office, so this module
stays below the apps it protects. A case outside a user's scope answers 404 (not 403): its
existence is not disclosed either.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from ascolto.core.roles import Role

M = TypeVar("M", bound=Model)
View = Callable[..., HttpResponseBase]

# What each role may do; the roles themselves are `core.roles.Role` (`organisation.User.Role`).
CASE_HANDLERS = frozenset({Role.FIRST_LEVEL, Role.OFFICE, Role.SUPERVISOR, Role.ADMINISTRATOR})
ALL_OFFICES = frozenset({Role.FIRST_LEVEL, Role.SUPERVISOR, Role.ADMINISTRATOR})
SUPERVISION = frozenset({Role.SUPERVISOR, Role.ADMINISTRATOR})
ANALYSIS = frozenset({Role.ANALYST, Role.SUPERVISOR, Role.ADMINISTRATOR})
# The social triage queue: comments belong to no office yet, so the roles that handle cases of
# every office triage them (decision 0015).
SOCIAL_TRIAGE = ALL_OFFICES
# The city's editorial team: the content citizens read on every channel (the alerts on current
# topics), edited in the console by supervisors and administrators.
EDITORIAL = SUPERVISION
# The assistant's menus are content citizens read too: the same editorial team edits and
# publishes them (a name of its own, so a city can give the menus to other hands).
ASSISTANT_EDITORS = EDITORIAL
# Who answers a citizen's data-protection requests: export of all their data, erasure, legal
# holds. Every citizen's whole file, whatever the office: administrators only (a DPO role, when
# one exists, is added here and nowhere else).
PRIVACY_OFFICERS = frozenset({Role.ADMINISTRATOR})
# The surveys, the service charters and the survey plan: built and defined by the analysts
# (customer intelligence) and by administrators; every member of staff reads the charters
# (aggregates, no personal data); supervisors read the survey results with the reports.
LISTENING_EDITORS = frozenset({Role.ANALYST, Role.ADMINISTRATOR})
STAFF = frozenset(Role.values)


def _role(user: Any) -> str:
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return ""
    return str(getattr(user, "role", ""))


def handles_cases(user: Any) -> bool:
    """Whether `user` works on cases at all (opens the inbox, reads case pages)."""
    return _role(user) in CASE_HANDLERS


def sees_every_office(user: Any) -> bool:
    return _role(user) in ALL_OFFICES


def triages_social(user: Any) -> bool:
    """Whether `user` works the social triage queue (Facebook and Instagram comments)."""
    return _role(user) in SOCIAL_TRIAGE


def edits_assistant(user: Any) -> bool:
    """Whether `user` edits, previews and publishes the virtual assistant's menus."""
    return _role(user) in ASSISTANT_EDITORS


def answers_privacy_requests(user: Any) -> bool:
    """Whether `user` exports a citizen's whole data, erases it and sets legal holds (GDPR)."""
    return _role(user) in PRIVACY_OFFICERS


def supervises(user: Any) -> bool:
    return _role(user) in SUPERVISION


def edits_content(user: Any) -> bool:
    """Whether `user` edits what citizens read on every channel (the alerts on current topics)."""
    return _role(user) in EDITORIAL


def analyses(user: Any) -> bool:
    return _role(user) in ANALYSIS


def reads_charters(user: Any) -> bool:
    """Whether `user` reads the service charters' console pages (any member of staff)."""
    return _role(user) in STAFF


def edits_listening_plans(user: Any) -> bool:
    """Whether `user` defines service charters, their indicators and the survey plan."""
    return _role(user) in LISTENING_EDITORS


def builds_surveys(user: Any) -> bool:
    """Whether `user` builds, previews, publishes and closes surveys (console "Questionari")."""
    return _role(user) in LISTENING_EDITORS


def visible(queryset: QuerySet[M], user: Any, office_field: str = "office") -> QuerySet[M]:
    """`queryset` narrowed to the rows `user` may see; `office_field` names the office FK."""
    role = _role(user)
    if role in ALL_OFFICES:
        return queryset
    if role == Role.OFFICE and getattr(user, "office_id", None):
        prefix = user.office.path
        return queryset.filter(**{f"{office_field}__path__startswith": prefix})
    return queryset.none()


def visible_listed(queryset: QuerySet[M], user: Any, office_field: str = "office") -> QuerySet[M]:
    """`visible`, with an office's subtree written as the list of its offices' ids (one small
    query first) rather than as a join on their paths: the same rows. For the lists whose other
    filters PostgreSQL serves by another index: with the join it read the whole office's range
    of its index for `GET /api/v1/cases?updated_since=…` (135 ms for the last hour of a 175,000-
    case subtree on a 213,000-case city), with the list 3 ms (decision 0032)."""
    role = _role(user)
    if role == Role.OFFICE and getattr(user, "office_id", None):
        office = user.office
        subtree = type(office)._default_manager.filter(path__startswith=office.path)
        ids = list(subtree.values_list("pk", flat=True))
        return queryset.filter(**{f"{office_field}_id__in": ids})
    return visible(queryset, user, office_field)


def get_visible_or_404(
    queryset: QuerySet[M], user: Any, office_field: str = "office", **lookup: Any
) -> M:
    """The one row of `queryset` matching `lookup` that `user` may see, else 404."""
    row = visible(queryset, user, office_field).filter(**lookup).first()
    if row is None:
        raise Http404("not found")
    return row


def visible_citizens(
    queryset: QuerySet[M],
    user: Any,
    cases: tuple[str, ...] = ("tickets", "identities__tickets"),
) -> QuerySet[M]:
    """`queryset` of citizens narrowed to those `user` may see.

    `cases` names the paths from a citizen to their cases: the cases filed under the citizen,
    and those opened from one of their handles (an email, a number) before the handle was known
    to be theirs. An office operator sees a citizen only through a case of their scope: their
    name, fiscal code and contacts are personal data the office has no reason to read otherwise.
    """
    role = _role(user)
    if role in ALL_OFFICES:
        return queryset
    if role == Role.OFFICE and getattr(user, "office_id", None):
        prefix = user.office.path
        within = Q()
        for path in cases:
            within |= Q(**{f"{path}__office__path__startswith": prefix})
        # A subquery, not a join: a citizen with many cases is listed once.
        ids = queryset.model._default_manager.filter(within).values("pk")
        return queryset.filter(pk__in=ids)
    return queryset.none()


def may_see_citizen(user: Any, citizen: Any) -> bool:
    """Whether `user` may see `citizen` (their name, fiscal code, contacts and history)."""
    if citizen is None:
        return False
    model = type(citizen)
    return visible_citizens(model._default_manager.filter(pk=citizen.pk), user).exists()


def administers(user: Any) -> bool:
    """Whether `user` may use the admin site: an active administrator with staff status, or a
    superuser. Other roles work in the console, whose rules of scope the admin does not apply
    (decision 0008)."""
    if not getattr(user, "is_active", False) or not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_superuser", False):
        return True
    return _role(user) == Role.ADMINISTRATOR and bool(getattr(user, "is_staff", False))


# The permission that makes a user the city's DPO in the console (defined by audit.AccessRecord).
ACCESS_LOG_PERMISSION = "audit.view_accessrecord"


def reads_access_log(user: Any, *, granted: bool = True) -> bool:
    """Whether `user` reads the access log of personal data: an active administrator (by
    role), a superuser, or a user granted `audit.view_accessrecord` (the DPO). With
    `granted=False` the permissions are not read (no query): the role and superuser only."""
    if not getattr(user, "is_active", False) or not getattr(user, "is_authenticated", False):
        return False
    if _role(user) == Role.ADMINISTRATOR or getattr(user, "is_superuser", False):
        return True
    return granted and bool(user.has_perm(ACCESS_LOG_PERMISSION))


def may_see_office(user: Any, office: Any) -> bool:
    """Whether a case held by `office` (None: not yet routed) is in `user`'s scope."""
    role = _role(user)
    if role in ALL_OFFICES:
        return True
    if role == Role.OFFICE and getattr(user, "office_id", None) and office is not None:
        return bool(office.path.startswith(user.office.path))
    return False


def require(check: Callable[[Any], bool]) -> Callable[[View], View]:
    """Decorate a view: sign-in required, then `check(user)` or 403."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not check(request.user):
                raise PermissionDenied("your role does not give access to this page")
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator
