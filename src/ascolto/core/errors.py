"""Errors raised by action functions.

Every error carries a message a person can act on: what was wrong and, where it helps, what was
expected. Messages are Italian source strings marked for translation (`gettext`), like every
other string a person reads. Views and the API turn them into form errors or 400 responses;
nothing is half-written when one is raised, because actions raise before their first write or
inside their transaction.
"""

from __future__ import annotations

from django.utils.translation import gettext as _


class DomainError(Exception):
    """An action was asked to do something the domain does not allow."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    """The input is malformed: an empty text, a malformed phone number, an invalid fiscal code."""


class NotFound(DomainError):
    """A referenced object (channel, ticket, office) does not exist or is not active."""


class InvalidTransition(DomainError):
    """A case cannot move from its current state to the requested one."""

    def __init__(
        self, current: str, requested: str, reason: str = "", *, message: str = ""
    ) -> None:
        """`message` is the sentence shown to people (the tickets app builds it in Italian with
        the statuses' names); without it, one naming both codes."""
        if not message:
            message = _("Il caso non può passare da «%(current)s» a «%(requested)s»") % {
                "current": current,
                "requested": requested,
            }
            message += f": {reason}" if reason else "."
        super().__init__(message, field="status")
        self.current = current
        self.requested = requested
