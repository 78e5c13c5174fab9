"""Log lines an operator can follow across a request: each request gets an id, kept for the
request's log records (`request_id`), answered in `X-Request-ID`, and taken from the proxy's
`X-Request-ID` when it sends a well-formed one, so the proxy's access log and ours line up.

With `ASCOLTO_LOG_FORMAT=json` (the default in production) every record is one JSON object
(python-json-logger): time, level, logger, message, request id, incident id. What goes into a
message is the callers' care: ids and paths, never a citizen's data (docs/privacy.md).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
_WELL_FORMED = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_current: ContextVar[str] = ContextVar("ascolto_request_id", default="-")


def current_request_id() -> str:
    return _current.get()


def request_id(offered: str) -> str:
    """The id of a request: the proxy's `X-Request-ID` when well formed, else a new one."""
    return offered if _WELL_FORMED.match(offered) else uuid.uuid4().hex


@contextmanager
def logging_as(request_id: str) -> Iterator[None]:
    """Within: log records carry `request_id` (for the WSGI entry point's fast paths, which
    run without this module's middleware)."""
    token = _current.set(request_id)
    try:
        yield
    finally:
        _current.reset(token)


class RequestIdMiddleware:
    """Give the request its id (the proxy's, if well formed, or a new one) for its log records
    and its answer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request_id(request.headers.get(HEADER, ""))
        request.request_id = given  # type: ignore[attr-defined]
        with logging_as(given):
            response = self.get_response(request)
        response[HEADER] = given
        return response


class RequestIdFilter(logging.Filter):
    """Put the current request's id on every record (`-` outside a request). Django logs a
    request's answer (`django.request`) after the middleware has returned, with the request on
    the record: its id is read from there."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            on_request = getattr(getattr(record, "request", None), "request_id", None)
            record.request_id = on_request or current_request_id()
        return True
