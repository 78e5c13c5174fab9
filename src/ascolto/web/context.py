"""Template context shared by every page: the municipality's name and the user's reach."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from ascolto.core import access
from ascolto.core.roles import Role
from ascolto.organisation import sessions, twofactor
from ascolto.web.receivers import ACCESS_LOG_READER


def site(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "municipality": settings.ASCOLTO_MUNICIPALITY,
        "can_handle_cases": access.handles_cases(user),
        "can_supervise": access.supervises(user),
        "can_triage_social": access.triages_social(user),
        "can_analyse": access.analyses(user),
        "can_read_charters": access.reads_charters(user),
        "can_build_surveys": access.builds_surveys(user),
        "can_edit_content": access.edits_content(user),
        "can_edit_assistant": access.edits_assistant(user),
        # Administrators by role, and the DPO's permission as noted in the session at sign-in
        # (web/receivers.py): the menu costs no query; the page checks the permission itself.
        "can_read_access_log": access.reads_access_log(user, granted=False)
        or bool(hasattr(request, "session") and request.session.get(ACCESS_LOG_READER, False)),
        "signed_in_as": SimpleLazyObject(lambda: _signed_in_as(user)),
        # Signed in, but the second factor is still to be given (or set up): the console's
        # menu and search stay hidden, as its pages are closed (web.middleware).
        "console_locked": SimpleLazyObject(lambda: _locked(request, user)),
    }


def _locked(request: HttpRequest, user: Any) -> bool:
    if user is None or not user.is_authenticated:
        return False
    verified = getattr(user, "is_verified", None)
    if callable(verified) and verified():
        return False
    return bool(request.session.get(sessions.SECOND_FACTOR_PENDING)) or twofactor.required_for(user)


def _signed_in_as(user: Any) -> str:
    """ "Name · role · office" of the signed-in user, as the console's header shows it (twice:
    made once; `get_role_display` translates every role's label on each call)."""
    if user is None or not user.is_authenticated:
        return ""
    parts = [str(user), str(Role(user.role).label) if user.role in Role.values else user.role]
    if user.office_id:
        parts.append(user.office.name)
    return " · ".join(parts)
