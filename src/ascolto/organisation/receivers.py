"""Reactions of the organisation app to sign-in."""

from __future__ import annotations

from typing import Any

from ascolto.organisation import sessions


def start_session_clocks(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """A new sign-in starts the session's absolute and idle clocks."""
    if request is not None and hasattr(request, "session"):
        sessions.mark_signed_in(request.session)
