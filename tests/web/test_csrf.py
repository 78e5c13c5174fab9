"""CSRF on every state change: each route of the URL conf, read from the resolver (the console,
the citizen pages, the admin, the language switch, sign-in and sign-out), refuses a POST, PUT,
PATCH or DELETE without a CSRF token from a signed-in administrator's browser (403) — except the
endpoints that by design are called by other systems with a signature or a token, never with a
browser's cookies, each listed below with its reason. A route added later is checked with no
change here; one exempted from CSRF without being listed fails."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from tests import personas

pytestmark = pytest.mark.django_db

# Routes without CSRF, and why: no browser session authenticates them.
EXEMPT = {
    "webhooks/meta/<slug:code>/": "Meta's webhook: each delivery signed (X-Hub-Signature-256, "
    "HMAC-SHA256 of the body with the app secret), refused without it (docs/meta.md). Its fast "
    "path in config/wsgi.py serves the same deliveries before Django, with the same check.",
    "api/v1/telephony/calls": "the telephony system's webhook: HMAC-SHA256 of timestamp and "
    "body (core/webhooks.py), refused without it",
    "api/v1/telephony/call-started": "the telephony system's screen-pop webhook: the same HMAC",
    "api/v1/health": "read-only liveness probe (GET), no session, nothing to change",
    "api/v1/alerts": "the public alerts feed (GET), no session, nothing to change",
    **{
        route: "the REST API: a bearer token (no cookie, nothing for a forged request to "
        "borrow), or the console's session, whose CSRF token the API checks itself on every "
        "unsafe method (api/auth.py StaffSession; tests/api/test_api_authentication.py)"
        for route in [
            "api/v1/cases",
            "api/v1/cases/<code>",
            "api/v1/cases/<code>/events",
            "api/v1/cases/<code>/messages",
            "api/v1/cases/<code>/messages/<message_id>/attachments/<index>",
            *[
                f"api/v1/cases/<code>/{action}"
                for action in (
                    "reply",
                    "note",
                    "assign",
                    "escalate",
                    "send-back",
                    "wait",
                    "resolve",
                    "close",
                    "reopen",
                    "cancel",
                )
            ],
            "api/v1/citizens",
            "api/v1/citizens/<citizen_id>",
            "api/v1/themes",
            "api/v1/offices",
            "api/v1/services",
            "api/v1/calls",
            "api/v1/articles",
            "api/v1/articles/<slug>",
            "api/v1/survey-answers",
            "api/v1/survey-answers/<response_id>",
            "api/v1/reports/monthly",
        ]
    },
    "scrivi/valutazione/portale/": "the page rating embedded on the city portal: called "
    "cross-origin from the portal's origins only (CORS), with no cookie read or set, so no "
    "visitor's authority to forge (docs/surveys-invitations.md)",
    r"open311/^v2/requests\.(?P<fmt>xml|json)$": "Open311's requests: a POST creates one only "
    "with an api_key (a token of the open311 scope), never with a session (docs/open311.md)",
}
METHODS = ["post", "put", "patch", "delete"]


def routes() -> Iterator[tuple[str, URLPattern]]:
    """Every route of the URL conf, as its full pattern, with its URL pattern."""

    def walk(patterns: list[Any], prefix: str) -> Iterator[tuple[str, URLPattern]]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern), pattern

    yield from walk(get_resolver().url_patterns, "")


def example_url(route: str) -> str:
    """A URL the route matches: each parameter filled with a plausible value (an existing object
    is not needed: CSRF is checked before the view runs)."""
    # The admin's regular expressions: an alternative's first word, or a value.
    url = re.sub(r"\(\?P<\w+>(\w+)\|[^)]*\)", r"\1", route)
    url = re.sub(r"\(\?P<\w+>[^)]*\)", "esempio", url)
    url = re.sub(r"<int:\w+>", "1", url)
    url = re.sub(r"<(?:str|slug|path):\w+>|<\w+>", "esempio", url)
    return "/" + url.replace("^", "").replace("$", "").replace("\\.", ".")


def test_every_route_refuses_a_state_change_without_a_csrf_token(cast: personas.Cast) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.administrator)
    client.get("/console/inbox/")  # the browser has its CSRF cookie, as after a form
    found = list(routes())
    assert len(found) > 150  # the console, the citizen pages, the admin, the API
    accepted: dict[str, dict[str, int]] = {}
    checked = 0
    for route, pattern in found:
        if route in EXEMPT:
            continue
        url = example_url(route)
        match = resolve(url)
        assert match.func == pattern.callback, (route, url, match.route)
        for method in METHODS:
            status = getattr(client, method)(url).status_code
            if status != 403:
                accepted.setdefault(route, {})[method] = status
        checked += 1
    assert accepted == {}, "routes that did not ask for a CSRF token"
    # Every exempt route exists (a route may be listed twice, e.g. ninja's per-method paths).
    assert set(EXEMPT) <= {route for route, _pattern in found}
    assert checked == len([route for route, _pattern in found if route not in EXEMPT])


def test_only_the_listed_endpoints_are_exempt_from_csrf() -> None:
    exempt = {route for route, pattern in routes() if getattr(pattern.callback, "csrf_exempt", 0)}
    assert exempt == set(EXEMPT)


def test_a_state_change_with_the_token_is_not_refused(cast: personas.Cast) -> None:
    """The check above is not vacuous: the same client, with the token, gets past CSRF."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.administrator)
    client.get("/console/inbox/")
    token = client.cookies["csrftoken"].value
    response = client.post("/i18n/setlang/", {"language": "en", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    refused = client.post("/i18n/setlang/", {"language": "en"})
    assert refused.status_code == 403
