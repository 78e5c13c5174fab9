"""Incident ids: the code a 500 page shows, written in the server's log line of that error.

The error page (`web.views.errors.server_error`) draws an id and keeps it on the request; Django
then logs the error on the `django.request` logger ("Internal Server Error: /path" with the
traceback), and `IncidentFilter`, installed on that logger by the settings, appends the id to the
line. An operator who is told the code finds the traceback with one search; the line carries the
path only, never the query string nor anything the citizen wrote.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

ATTRIBUTE = "ascolto_incident"


def new_incident(request: Any) -> str:
    """A new incident id (12 hex digits), remembered on `request` for the log line."""
    incident = secrets.token_hex(6)
    setattr(request, ATTRIBUTE, incident)
    return incident


def incident_of(request: Any) -> str | None:
    value = getattr(request, ATTRIBUTE, None)
    return value if isinstance(value, str) else None


class IncidentFilter(logging.Filter):
    """Appends "[incident <id>]" to a request's log record when its error page drew an id."""

    def filter(self, record: logging.LogRecord) -> bool:
        incident = incident_of(getattr(record, "request", None))
        if incident is None or getattr(record, "incident", None):
            return True
        record.incident = incident
        if isinstance(record.args, tuple):
            record.msg = f"{record.msg} [incident %s]"
            record.args = (*record.args, incident)
        elif not record.args:
            record.msg = f"{record.msg} [incident {incident}]"
        return True
