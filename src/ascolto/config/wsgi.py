"""WSGI entry point (gunicorn ascolto.config.wsgi).

Three ways through, from the cheapest:

- A POST to `/webhooks/meta/<channel>/` (Meta's signed deliveries, thousands a second at peak)
  that is plainly right — host allowed, HTTPS as required, known channel, size, signature,
  UTF-8 — is stored by `meta.views.accept_signed` and answered here, without building Django's
  request and response: the answer's headers are the ones the handler's middleware gives the
  view's "ok" (computed once, below), and the host is checked against ALLOWED_HOSTS as Django
  does. Anything else on that URL (a bad signature, an unknown channel, a redirect to HTTPS, a
  database error) goes on to the handler below with the body as read, and the view answers and
  logs it as ever. Measured in-process on the 2-core machine (PostgreSQL, 2,000-3,000 signed
  deliveries, the two paths run alternately under the same load, load average 10-21):
  0.15-0.36 ms of CPU per delivery here, against 0.84-1.12 ms through the handler below (whose
  own cost was 0.46 ms at rest). See docs/meta.md, "How fast".
- A POST to `/api/v1/cases` (a case sent by the portal or another system, hundreds a second at
  peak) with a bearer token, a JSON body and no cookie, that is plainly right — host allowed,
  HTTPS as required, a valid case, the token valid with its scope and within its rate — is
  accepted by `api.fast.accept` (the view's own work, `api.cases.open_case`, with the same
  idempotency keys) and answered here. Its headers are those Django's whole middleware gives
  the view's answer (`_pages_headers`: found once per worker, scheme and Accept-Language by
  passing an answer through that chain), with the per-request ones set as the middleware sets
  them (the request id, `Expires`); the request is counted in the Prometheus metrics as the
  middleware counts it. Anything else, and any refusal or error, goes on to Django's handler
  with the body as read, which answers it as ever. Measured: docs/decisions/0032.
- Other requests under `/webhooks/` are served by the same URLs and views through a lean
  handler: only the security and common middleware, none of what pages need (static files,
  sessions, languages, CSRF, authentication, messages, frame options), which a signed
  machine-to-machine request never uses.
- Everything else goes through Django's own handler.

The URL map and the views are loaded when a worker starts, not by its first request: that
import took 3 s of CPU under load (when the API imported the contact center's numerics), and the
requests arriving meanwhile on a freshly started worker waited for it: wrk, which corrects its
latencies for the requests a stalled connection did not send, reported that start as a p99 of
1-3 s (`benchmarks/webhooks.py`).
"""

from __future__ import annotations

import io
import os
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.core.signals import setting_changed
from django.core.wsgi import get_wsgi_application
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port, validate_host
from django.middleware.common import CommonMiddleware
from django.middleware.security import SecurityMiddleware
from django.urls import get_resolver
from django.utils.http import http_date
from django.utils.module_loading import import_string

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ascolto.config.settings")

WEBHOOKS = "/webhooks/"
META = "/webhooks/meta/"
SLUG = re.compile(r"[-a-zA-Z0-9_]+")  # the URL's <slug:code>


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
get_resolver().url_patterns  # noqa: B018 (imports every URL module and view now)

from ascolto.api import fast as api_fast  # noqa: E402
from ascolto.channels import queue  # noqa: E402
from ascolto.channels.adapters.meta.deliveries import MAX_BODY_BYTES  # noqa: E402
from ascolto.channels.adapters.meta.views import TEXT, accept_signed  # noqa: E402
from ascolto.core import logs  # noqa: E402


def _answer_headers(secure: bool) -> list[tuple[str, str]]:
    """The headers of the view's 200 "ok" after the lean handler's middleware (in its order:
    common, then security), as Django sends them over a secure connection or not."""
    request = HttpRequest()
    request.is_secure = lambda: secure  # type: ignore[method-assign]
    response: Any = HttpResponse("ok", content_type=TEXT)
    response = CommonMiddleware(lambda _: response).process_response(request, response)
    response = SecurityMiddleware(lambda _: response).process_response(request, response)
    return [*response.items()]


queue.prepare_scheduling()
OK = [b"ok"]
_headers: dict[bool, list[tuple[str, str]]] = {}  # secure → the answer's headers
_hosts: dict[str, bool] = {}  # Host header → allowed (as Django's `get_host` decides)


@receiver(setting_changed)
def _settings_changed(**_: object) -> None:
    """The tests change settings at run time: what was derived from them is derived again."""
    _headers.clear()
    _hosts.clear()
    _page_headers.clear()
    _metrics.clear()


def _host_allowed(environ: dict[str, Any]) -> bool:
    if settings.USE_X_FORWARDED_HOST or "HTTP_HOST" not in environ:
        return False  # the handler reads the host the long way
    host = environ["HTTP_HOST"]
    allowed = _hosts.get(host)
    if allowed is None:
        hosts = settings.ALLOWED_HOSTS
        if settings.DEBUG and not hosts:
            hosts = [".localhost", "127.0.0.1", "[::1]"]
        domain, _port = split_domain_port(host)
        allowed = bool(domain) and validate_host(domain, hosts)
        if len(_hosts) > 100:  # anyone may send any Host: keep it small
            _hosts.clear()
        _hosts[host] = allowed
    return allowed


def _secure(environ: dict[str, Any]) -> bool:
    """`HttpRequest.is_secure()` of this request."""
    if settings.SECURE_PROXY_SSL_HEADER:
        header, secure_value = settings.SECURE_PROXY_SSL_HEADER
        value = environ.get(header)
        if value is not None:
            return bool(value.split(",", 1)[0].strip() == secure_value)
    return bool(environ.get("wsgi.url_scheme") == "https")


def _meta_delivery(
    environ: dict[str, Any], start_response: Callable[..., Any]
) -> Iterable[bytes] | None:
    """Meta's delivery stored and answered, or None for the handler to serve the request (its
    body, once read here, is handed on)."""
    path = environ.get("PATH_INFO", "")
    code = path[len(META) : -1]
    if not path.endswith("/") or not SLUG.fullmatch(code):
        return None
    read = _plain_post(environ, MAX_BODY_BYTES)
    if read is None:
        return None
    secure, body = read
    if accept_signed(code, body, environ.get("HTTP_X_HUB_SIGNATURE_256")):
        headers = _headers.get(secure)
        if headers is None:
            headers = _headers[secure] = _answer_headers(secure)
        start_response("200 OK", headers)
        return OK
    return None


def _plain_post(environ: dict[str, Any], most: int) -> tuple[bool, bytes] | None:
    """For a fast path: whether the request is secure and its body, when it is a POST that
    Django's handler would let through to the view (host allowed, no user agent refused, no
    redirect to www or HTTPS) with a body of at most `most` bytes; else None. The body read is
    put back in the environ, for the handler if it serves the request after all."""
    if (
        environ.get("REQUEST_METHOD") != "POST"
        or not _host_allowed(environ)
        or settings.DISALLOWED_USER_AGENTS
        or settings.PREPEND_WWW
    ):
        return None
    secure = _secure(environ)
    if settings.SECURE_SSL_REDIRECT and not secure:
        return None
    length = environ.get("CONTENT_LENGTH") or ""
    if not length.isdigit() or int(length) > most:
        return None
    body = environ["wsgi.input"].read(int(length))
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return secure, body


# --- The API's case creation -------------------------------------------------------------------

API_MAX_BODY = 64 * 1024  # a case's fields (CaseIn) fit well within; larger: the handler's
# Headers the fast path sets per request, as the middleware would (the rest is the same for
# every answer of a worker, scheme and Accept-Language).
_PER_REQUEST = frozenset({"content-type", "content-length", "location", logs.HEADER.lower()})
_page_headers: dict[tuple[bool, str], list[tuple[str, str]]] = {}
_metrics: list[Any] = []  # [(before, after, resolver_match)] when the metrics middleware is on


class _AnswerProbe(WSGIHandler):
    """Django's handler with the middleware of `settings.MIDDLEWARE`, the view middleware
    included, around a stand-in for the view that answers a 202: what the middleware adds to an
    answer of the API (`BaseHandler._get_response`, the view's call left out). Without the
    metrics' middleware, which adds no header and would count the probe as a request."""

    def load_middleware(self, is_async: bool = False) -> None:
        # `BaseHandler.load_middleware`'s chain, for synchronous middleware, less the metrics'.
        self._view_middleware: list[Any] = []
        self._template_response_middleware: list[Any] = []
        self._exception_middleware: list[Any] = []
        handler: Any = convert_exception_to_response(self._get_response)
        for path in reversed(settings.MIDDLEWARE):
            if path.startswith("django_prometheus."):
                continue
            middleware = import_string(path)(handler)
            if hasattr(middleware, "process_view"):
                self._view_middleware.insert(0, middleware.process_view)
            if hasattr(middleware, "process_exception"):
                self._exception_middleware.append(middleware.process_exception)
            handler = convert_exception_to_response(middleware)
        self._middleware_chain = handler

    def _get_response(self, request: HttpRequest) -> HttpResponse:
        match = get_resolver().resolve(request.path_info)
        request.resolver_match = match
        for process_view in self._view_middleware:
            if process_view(request, match.func, match.args, match.kwargs) is not None:
                raise AssertionError("the middleware answered the API's request itself")
        response = HttpResponse(b"{}", status=202, content_type="application/json")
        response["Location"] = api_fast.PATH
        return response


def _pages_headers(environ: dict[str, Any], secure: bool) -> list[tuple[str, str]]:
    """The headers the middleware adds to the API's answer to a request like `environ` (same
    scheme and Accept-Language), less the per-request ones (`Expires` is kept: the caller
    sets it to its own time, as `add_never_cache_headers` does)."""
    language = environ.get("HTTP_ACCEPT_LANGUAGE", "")[:200]
    key = (secure, language)
    found = _page_headers.get(key)
    if found is None:
        probe: dict[str, Any] = {
            name: environ[name]
            for name in ("SERVER_NAME", "SERVER_PORT", "HTTP_HOST", "wsgi.url_scheme")
            if name in environ
        }
        probe.update(
            REQUEST_METHOD="POST",
            PATH_INFO=api_fast.PATH,
            HTTP_ACCEPT_LANGUAGE=language,
            REMOTE_ADDR="127.0.0.1",
            **{"wsgi.input": io.BytesIO(), "wsgi.errors": environ.get("wsgi.errors")},
        )
        if settings.SECURE_PROXY_SSL_HEADER:
            header, value = settings.SECURE_PROXY_SSL_HEADER
            probe[header] = value if secure else "http"
        answer: list[Any] = []
        handler: Any = _AnswerProbe()
        b"".join(handler(probe, lambda status, headers, *_: answer.append(headers)))
        found = [(k, v) for k, v in answer[0] if k.lower() not in _PER_REQUEST]
        if len(_page_headers) > 20:  # anyone may send any Accept-Language: keep it small
            _page_headers.clear()
        _page_headers[key] = found
    return found


def _count(request: HttpRequest, response: HttpResponse, started: float) -> None:
    """The request counted as django-prometheus's two middleware count it."""
    if not _metrics:
        middleware = settings.MIDDLEWARE
        if "django_prometheus.middleware.PrometheusAfterMiddleware" not in middleware:
            _metrics.append(None)
        else:
            from django_prometheus.middleware import (  # type: ignore[import-untyped]
                PrometheusAfterMiddleware,
                PrometheusBeforeMiddleware,
            )

            match = get_resolver().resolve(api_fast.PATH)
            _metrics.append(
                (PrometheusBeforeMiddleware(_none), PrometheusAfterMiddleware(_none), match)
            )
    if _metrics[0] is None:
        return
    before, after, match = _metrics[0]
    before.process_request(request)
    after.process_request(request)
    request.prometheus_before_middleware_event = started  # type: ignore[attr-defined]
    request.prometheus_after_middleware_event = started  # type: ignore[attr-defined]
    request.resolver_match = match
    after.process_view(request, match.func, match.args, match.kwargs)
    after.process_response(request, response)
    before.process_response(request, response)


def _none(_request: HttpRequest) -> None:
    return None


def _api_case(
    environ: dict[str, Any], start_response: Callable[..., Any]
) -> Iterable[bytes] | None:
    """The API's case creation accepted and answered, or None for the handler to serve the
    request (its body, once read here, is handed on)."""
    started = time.perf_counter()
    if (
        "HTTP_COOKIE" in environ
        or not environ.get("HTTP_AUTHORIZATION", "").startswith(api_fast.BEARER)
        or not environ.get("CONTENT_TYPE", "").startswith("application/json")
    ):
        return None
    read = _plain_post(environ, API_MAX_BODY)
    if read is None:
        return None
    secure, body = read
    request = WSGIRequest(environ)
    request._body = body  # the environ's stream stays unread, for the handler
    given = logs.request_id(environ.get("HTTP_X_REQUEST_ID", ""))
    with logs.logging_as(given):
        response = api_fast.accept(request)
    if response is None:
        return None
    for name, value in _pages_headers(environ, secure):
        if name == "Expires":
            response[name] = http_date()
        elif name not in response:
            response[name] = value
    response[logs.HEADER] = given
    response["Content-Length"] = str(len(response.content))
    _count(request, response, started)
    status = f"{response.status_code} {response.reason_phrase}"
    start_response(status, [*response.items()])
    return [response.content]


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")
    if path == api_fast.PATH:
        answered = _api_case(environ, start_response)
        if answered is not None:
            return answered
        return pages(environ, start_response)
    if path.startswith(WEBHOOKS):
        if path.startswith(META):
            answered = _meta_delivery(environ, start_response)
            if answered is not None:
                return answered
        return webhooks(environ, start_response)
    return pages(environ, start_response)
