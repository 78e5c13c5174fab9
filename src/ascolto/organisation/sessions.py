"""The limits of a staff session: an absolute lifetime from sign-in and an idle timeout.

Both are kept in the session itself (two timestamps), so they hold with any session engine.
The last activity is written at most once a minute: a page's polls (the inbox's live update,
the case's presence, the screen-pop) are not activity and never write it.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings

SIGNED_IN_AT = "ascolto_signed_in_at"
SEEN_AT = "ascolto_seen_at"
# Why the last session ended, shown once on the sign-in page: "idle" or "expired".
ENDED = "ascolto_session_ended"
# Set at the password step when the user has a second factor, cleared when it is verified: the
# console is closed to the session meanwhile, whatever the user's role.
SECOND_FACTOR_PENDING = "ascolto_second_factor_pending"
# How stale the last activity may be before a request writes it again (seconds).
TOUCH_EVERY = 60


def now() -> int:
    return int(time.time())


def mark_signed_in(session: Any) -> None:
    """Start the clocks of a session that has just signed in."""
    at = now()
    session[SIGNED_IN_AT] = at
    session[SEEN_AT] = at


def ended(session: Any) -> str | None:
    """ "expired" past the absolute lifetime, "idle" past the idle timeout, else None. A session
    made before these clocks existed starts them now."""
    at = now()
    signed_in = session.get(SIGNED_IN_AT)
    if not isinstance(signed_in, int):
        mark_signed_in(session)
        return None
    if at - signed_in > int(settings.ASCOLTO_SESSION_MAX_AGE):
        return "expired"
    seen = session.get(SEEN_AT)
    if isinstance(seen, int) and at - seen > int(settings.ASCOLTO_SESSION_IDLE):
        return "idle"
    return None


def touch(session: Any) -> None:
    """Note the user's activity (written at most once a minute)."""
    at = now()
    seen = session.get(SEEN_AT)
    if not isinstance(seen, int) or at - seen >= TOUCH_EVERY:
        session[SEEN_AT] = at
