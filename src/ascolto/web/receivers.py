"""What the web app does when something happens elsewhere (connected in `apps.py`)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from ascolto.core import access

# The session's note that its user reads the access log (the DPO): the console's menu shows the
# link from it, so no page reads the user's permissions (two queries) to draw the menu. The
# page itself checks the permission on every request (`core.access.reads_access_log`).
ACCESS_LOG_READER = "ascolto_reads_access_log"


def remember_access_log_reader(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """At sign-in: note in the session whether the user reads the access log."""
    if request is not None and hasattr(request, "session"):
        request.session[ACCESS_LOG_READER] = access.reads_access_log(user)
