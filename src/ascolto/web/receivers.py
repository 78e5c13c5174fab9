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


def connect_choice_lists() -> None:
    """The case page's choice lists kept in the process (`web.forms.case.choice_rows`) are
    forgotten when an office, a team, a user, a theme or a campaign is saved or deleted here
    (other processes see the change within the minute they keep them)."""
    from django.db.models.signals import post_delete, post_save

    from ascolto.organisation.models import Office, Team, User
    from ascolto.tickets.models import Campaign, Theme
    from ascolto.web.forms.case import forget_choice_rows

    for model in (Office, Team, User, Theme, Campaign):
        for signal in (post_save, post_delete):
            signal.connect(
                forget_choice_rows, sender=model, dispatch_uid=f"web.choices.{model.__name__}"
            )
