"""Open311 GeoReport v2 over HTTP (plain Django views: the spec's XML and JSON, not ninja's).

Every endpoint answers in the format its extension names, errors included (the spec's array of
`{code, description}`), is rate limited per client address (`ASCOLTO_OPEN311_RATE_LIMIT`), and
checks `jurisdiction_id` against `ASCOLTO_OPEN311_JURISDICTION` when that is set (one city per
endpoint: an absent id is accepted). Creating a request needs an `api_key`: an `api.tokens`
token with the `open311` scope, counted against its own rate per minute. See docs/open311.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from ascolto.api.tokens import TokenRefused, authenticate
from ascolto.core.errors import DomainError, NotFound
from ascolto.core.ratelimit import Rule, hit, limited, setting
from ascolto.open311 import actions, queries, services
from ascolto.open311.formats import error, respond

OPEN311_LIMIT = Rule("ASCOLTO_OPEN311_RATE_LIMIT", "600/m")
MAX_SPAN = timedelta(days=90)  # the spec's longest span of dates, and the default one
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]{1,64})\](\[\])?$")

View = Callable[..., HttpResponse]


class Refused(Exception):
    """An answer other than 200, in the spec's error format."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def endpoint(*methods: str) -> Callable[[View], View]:
    """The checks every endpoint shares: method, rate limit, jurisdiction; and its errors in
    its format (a `DomainError` is a 400, a `NotFound` a 404)."""

    def wrap(view: View) -> View:
        @wraps(view)
        def run(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                response = error(fmt, 405, _("Metodo non consentito."))
                response["Allow"] = ", ".join(methods)
                return response
            wait = limited(request, "open311", [OPEN311_LIMIT])
            if wait is not None:
                return _too_many(fmt, wait)
            try:
                _check_jurisdiction(request)
                return view(request, *args, fmt=fmt, **kwargs)
            except Refused as exc:
                return error(fmt, exc.status, exc.description)
            except NotFound as exc:
                return error(fmt, 404, exc.message)
            except DomainError as exc:
                return error(fmt, 400, exc.message)

        # Only creating a request is a POST, authenticated by its `api_key` (no session, no
        # cookie): it is exempt from CSRF; every other endpoint refuses a cross-site POST.
        return csrf_exempt(run) if "POST" in methods else run

    return wrap


def _too_many(fmt: str, wait: int) -> HttpResponse:
    response = error(fmt, 429, _("Troppe richieste: riprova tra %(n)d secondi.") % {"n": wait})
    response["Retry-After"] = str(wait)
    return response


def _param(request: HttpRequest, name: str) -> str:
    source = request.POST if request.method == "POST" else request.GET
    return str(source.get(name, "")).strip()


def _check_jurisdiction(request: HttpRequest) -> None:
    expected = setting("ASCOLTO_OPEN311_JURISDICTION", "")
    given = _param(request, "jurisdiction_id")
    if expected and given and given != expected:
        raise Refused(404, _("jurisdiction_id sconosciuto: «%(id)s».") % {"id": given[:100]})


def _when(text: str, name: str) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        moment = None
    if moment is None or timezone.is_naive(moment):
        raise Refused(
            400,
            _("%(name)s va scritta nel formato W3C con il fuso orario (2026-01-31T00:00:00Z).")
            % {"name": name},
        )
    return moment


def _span(request: HttpRequest) -> tuple[datetime, datetime]:
    """`start_date` and `end_date` as the spec reads them: the last 90 days when neither is
    given, 90 days on either side of the one given, at most 90 days between them."""
    start = _when(_param(request, "start_date"), "start_date")
    end = _when(_param(request, "end_date"), "end_date")
    if start is None and end is None:
        end = timezone.now()
    if start is None:
        assert end is not None  # noqa: S101
        start = end - MAX_SPAN
    if end is None:
        end = min(start + MAX_SPAN, timezone.now())
    if end < start:
        raise Refused(400, _("end_date viene prima di start_date."))
    if end - start > MAX_SPAN:
        raise Refused(400, _("Tra start_date ed end_date ci sono al massimo 90 giorni."))
    return start, end


def _words(request: HttpRequest, name: str) -> list[str]:
    return [w.strip() for w in _param(request, name).split(",") if w.strip()]


# --- Discovery and services -------------------------------------------------------------


@endpoint("GET", "HEAD")
def discovery(request: HttpRequest, *, fmt: str) -> HttpResponse:
    """Service discovery (`/open311/discovery.{xml,json}`): where the v2 endpoint is, and in
    which formats it answers."""
    changeset = setting("ASCOLTO_OPEN311_CHANGESET", "2026-12-07T00:00:00Z")
    return respond(
        fmt,
        "discovery",
        {
            "changeset": changeset,
            "contact": setting("ASCOLTO_OPEN311_CONTACT", settings.ASCOLTO_MUNICIPALITY),
            "key_service": setting(
                "ASCOLTO_OPEN311_KEY_SERVICE",
                _("Le chiavi sono date dagli amministratori del Comune."),
            ),
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": request.build_absolute_uri("/open311/v2"),
                    "changeset": changeset,
                    "type": "production" if settings.PRODUCTION else "test",
                    "formats": ["text/xml", "application/json"],
                }
            ],
        },
    )


@endpoint("GET", "HEAD")
def service_list(request: HttpRequest, *, fmt: str) -> HttpResponse:
    return respond(fmt, "services", [services.as_service(t) for t in services.public_services()])


@endpoint("GET", "HEAD")
def service_definition(request: HttpRequest, code: str, *, fmt: str) -> HttpResponse:
    theme = services.find(code)
    if theme is None:
        raise Refused(404, _("service_code sconosciuto: «%(code)s».") % {"code": code[:64]})
    return respond(fmt, "service_definition", services.definition(theme))


# --- Requests ---------------------------------------------------------------------------


@endpoint("GET", "HEAD", "POST")
def service_requests(request: HttpRequest, *, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, fmt)
    ids_text = _words(request, "service_request_id")
    if ids_text:
        if not all(i.isdigit() and len(i) <= 18 for i in ids_text) or len(ids_text) > 1000:
            raise Refused(400, _("service_request_id è un elenco di numeri separati da virgole."))
        found = queries.service_requests(ids=[int(i) for i in ids_text])
        return respond(fmt, "service_requests", found)
    statuses = _words(request, "status")
    if any(s not in ("open", "closed") for s in statuses):
        raise Refused(400, _("status vale open o closed (o entrambi, separati da virgola)."))
    start, end = _span(request)
    found = queries.service_requests(
        service_codes=_words(request, "service_code") or None,
        statuses=statuses or None,
        start=start,
        end=end,
    )
    return respond(fmt, "service_requests", found)


@endpoint("GET", "HEAD")
def service_request(request: HttpRequest, request_id: str, *, fmt: str) -> HttpResponse:
    ok = request_id.isdigit() and len(request_id) <= 18  # within a bigint
    found = queries.service_request(int(request_id)) if ok else None
    if found is None:
        raise Refused(404, _("service_request_id sconosciuto: «%(id)s».") % {"id": request_id[:40]})
    return respond(fmt, "service_requests", [found])


@endpoint("GET", "HEAD")
def token(request: HttpRequest, token: str, *, fmt: str) -> HttpResponse:
    known, pk = (
        queries.token_request(token[:64]) if re.fullmatch(r"[0-9a-f]{32}", token) else (False, None)
    )
    if not known:
        raise Refused(404, _("Token sconosciuto."))
    return respond(
        fmt,
        "service_requests",
        [{"service_request_id": str(pk) if pk is not None else None, "token": token}],
    )


@endpoint("GET", "HEAD")
def request_updates(request: HttpRequest, *, fmt: str) -> HttpResponse:
    """The FixMyStreet extension: what changed in the requests between two times."""
    start, end = _span(request)
    return respond(fmt, "service_request_updates", queries.updates(start, end))


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    try:
        key = authenticate(_param(request, "api_key"), "open311")
    except TokenRefused as exc:
        raise Refused(403, exc.message) from exc
    wait = hit("open311:token", f"{key.rate_per_minute}/m", f"token:{key.pk}")
    if wait is not None:
        return _too_many(fmt, wait)
    code = _param(request, "service_code")
    if not code:
        raise Refused(400, _("Manca service_code."))
    theme = services.find(code)
    if theme is None:
        raise Refused(404, _("service_code sconosciuto: «%(code)s».") % {"code": code[:64]})
    answers: dict[str, list[str]] = {}
    for name, values in request.POST.lists():
        match = _ATTRIBUTE.match(name)
        if match:
            answers.setdefault(match.group(1), []).extend(values)
    report = actions.Report(
        service_code=code,
        lat=_param(request, "lat"),
        long=_param(request, "long"),
        address_string=_param(request, "address_string"),
        address_id=_param(request, "address_id"),
        email=_param(request, "email"),
        phone=_param(request, "phone"),
        first_name=_param(request, "first_name"),
        last_name=_param(request, "last_name"),
        description=str(request.POST.get("description", "")),
        media_url=_param(request, "media_url"),
        answers=answers,
    )
    submitted = actions.submit_request(report, theme, token=key)
    item: dict[str, Any] = (
        {"service_request_id": submitted.service_request_id}
        if submitted.service_request_id is not None
        else {"token": submitted.token}
    )
    item["service_notice"] = None
    item["account_id"] = _param(request, "account_id")[:100] or None
    return respond(fmt, "service_requests", [item])
