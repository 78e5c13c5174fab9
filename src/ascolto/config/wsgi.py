"""WSGI entry point (gunicorn ascolto.config.wsgi).

Requests under `/webhooks/` (Meta's signed deliveries, thousands a second at peak) are served by
the same URLs and views through a lean handler: only the security and common middleware, none
of what pages need (static files, sessions, languages, CSRF, authentication, messages, frame
options), which a signed machine-to-machine POST never uses. Measured in-process on the 2-core
machine (1,000 deliveries, PostgreSQL): 0.59 ms of CPU per delivery through the full stack,
0.46 ms through this one; `benchmarks/webhooks.py` measures the whole path over HTTP.
Everything else goes through Django's own handler.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application
from django.middleware.common import CommonMiddleware
from django.middleware.security import SecurityMiddleware

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ascolto.config.settings")

WEBHOOKS = "/webhooks/"


class WebhookHandler(WSGIHandler):
    """Django's WSGI handler with the middleware of machine-to-machine webhooks only: HTTPS
    redirect and security headers, then the host check and the common rules."""

    def load_middleware(self, is_async: bool = False) -> None:
        self._view_middleware: list[Any] = []
        self._template_response_middleware: list[Any] = []
        self._exception_middleware: list[Any] = []
        # Django's own `load_middleware` builds its chain this way, from settings.MIDDLEWARE.
        handler: Any = convert_exception_to_response(self._get_response)  # type: ignore[attr-defined]
        for middleware in (CommonMiddleware, SecurityMiddleware):  # innermost first
            handler = convert_exception_to_response(middleware(handler))
        self._middleware_chain = handler


pages = get_wsgi_application()
webhooks = WebhookHandler()


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("PATH_INFO", "").startswith(WEBHOOKS):
        return webhooks(environ, start_response)
    return pages(environ, start_response)
