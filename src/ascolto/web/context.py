"""Template context shared by every page: the municipality's name and the user's reach."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from ascolto.core import access


def site(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "municipality": settings.ASCOLTO_MUNICIPALITY,
        "can_handle_cases": access.handles_cases(user),
        "can_supervise": access.supervises(user),
        "can_triage_social": access.triages_social(user),
        "can_analyse": access.analyses(user),
        "can_edit_content": access.edits_content(user),
        "can_edit_assistant": access.edits_assistant(user),
    }
