"""The console's guards that run before every view: the session's limits and the second factor.

`SessionLimitsMiddleware` ends a staff session past its absolute lifetime or after its idle
timeout (`organisation.sessions`). `SecondFactorMiddleware` keeps a signed-in user whose role
requires two factors (or who has one) out of the console, the admin and the API until the
second factor is verified in this session: to the code page if they have a device, else to
enrolment. Both act in `process_view`, where the URL's name is known.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse

from ascolto.organisation import sessions, twofactor

# Requests a page makes by itself while it is open: not the user's activity.
POLLS = frozenset({"inbox-live", "case-presence", "incoming-call"})
# Pages a signed-in user reaches before the second factor is verified.
OPEN = frozenset(
    {
        "login",
        "logout",
        "second-factor",
        "enrol",
        "enrol-done",
        "password-reset",
        "password-reset-sent",
        "password-reset-confirm",
        "password-reset-done",
        "sso-start",
        "sso-callback",
    }
)
GUARDED = ("/console/", "/admin/", "/api/")


class _Middleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)


def _url_name(request: HttpRequest) -> str:
    match = request.resolver_match
    return match.url_name or "" if match is not None else ""


class SessionLimitsMiddleware(_Middleware):
    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponseBase | None:
        session = request.session
        if SESSION_KEY not in session:
            return None
        reason = sessions.ended(session)
        if reason is not None:
            logout(request)  # flushes the session; request.user becomes anonymous
            request.session[sessions.ENDED] = reason
            return None
        if _url_name(request) not in POLLS:
            sessions.touch(session)
        return None


class SecondFactorMiddleware(_Middleware):
    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponseBase | None:
        if not request.path.startswith(GUARDED) or SESSION_KEY not in request.session:
            return None
        match = request.resolver_match
        if match is not None and match.namespace == "console" and match.url_name in OPEN:
            return None
        user: Any = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        pending = bool(request.session.get(sessions.SECOND_FACTOR_PENDING))
        if not (pending or twofactor.required_for(user)):
            return None
        if request.path.startswith("/api/"):
            return HttpResponseForbidden("second factor not verified")
        target = "console:second-factor" if twofactor.has_device(user) else "console:enrol"
        return _to(target, request.get_full_path())


def _to(name: str, next_url: str) -> HttpResponse:
    return redirect(f"{reverse(name)}?{urlencode({'next': next_url})}")
