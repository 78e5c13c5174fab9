"""The API's errors as `application/problem+json` (RFC 9457), one stable type per kind of error.

Every refusal of `/api/v1/` answers a problem document:

    {"type": "https://ascolto.example/problems/invalid-transition",
     "title": "Invalid transition", "status": 409, "code": "invalid-transition",
     "detail": "Il caso non può passare da «Chiuso» a «Risolto»: …",   (for people, Italian)
     "field": "status", "instance": "/api/v1/cases/AB12CD34EF56/resolve"}

`type` is `BASE` + `code`; `code` is what a program branches on, stable across releases;
`detail` is the domain error's message in the request's language (Italian first); `field`
names the input at fault when known. Validation errors (a body or a parameter that does not fit
the schema) are 422 with `errors`, one entry per wrong field. The table of types is `TYPES`,
documented in docs/api.md; decision 0025 says why.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError as ModelValidationError
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError
from pydantic import Field

from ascolto.analytics.summaries import SummariesBusy
from ascolto.api.tokens import TokenRefused
from ascolto.channels.files import UnsafeFile
from ascolto.core import outages
from ascolto.core.appendonly import AppendOnlyError
from ascolto.core.errors import DomainError, InvalidInput, InvalidTransition, NotFound
from ascolto.core.incidents import new_incident
from ascolto.core.ratelimit import RateLimited
from ascolto.social.actions import ClaimedByOther

log = logging.getLogger(__name__)

BASE = "https://ascolto.example/problems/"
CONTENT_TYPE = "application/problem+json"


@dataclass(frozen=True)
class ProblemType:
    code: str
    title: str
    status: int


def _t(code: str, title: str, status: int) -> ProblemType:
    return ProblemType(code, title, status)


# The stable types: `code` never changes once published (docs/api.md lists them).
INVALID_INPUT = _t("invalid-input", "Invalid input", 400)
UNSAFE_FILE = _t("unsafe-file", "Unsafe file", 400)
DOMAIN_ERROR = _t("domain-error", "Refused", 400)
UNAUTHENTICATED = _t("unauthenticated", "Unauthenticated", 401)
FORBIDDEN = _t("forbidden", "Forbidden", 403)
CSRF_FAILED = _t("csrf-failed", "CSRF check failed", 403)
NOT_FOUND = _t("not-found", "Not found", 404)
METHOD_NOT_ALLOWED = _t("method-not-allowed", "Method not allowed", 405)
INVALID_TRANSITION = _t("invalid-transition", "Invalid transition", 409)
CONFLICT = _t("conflict", "Conflict", 409)
IDEMPOTENCY_IN_PROGRESS = _t("idempotency-in-progress", "Request in progress", 409)
IDEMPOTENCY_MISMATCH = _t("idempotency-key-reused", "Idempotency key reused", 422)
VALIDATION = _t("validation-error", "Validation error", 422)
RATE_LIMITED = _t("rate-limited", "Too many requests", 429)
INTERNAL = _t("internal-error", "Internal error", 500)
UNAVAILABLE = _t("unavailable", "Temporarily unavailable", 503)

TYPES: tuple[ProblemType, ...] = (
    INVALID_INPUT,
    UNSAFE_FILE,
    DOMAIN_ERROR,
    UNAUTHENTICATED,
    FORBIDDEN,
    CSRF_FAILED,
    NOT_FOUND,
    METHOD_NOT_ALLOWED,
    INVALID_TRANSITION,
    CONFLICT,
    IDEMPOTENCY_IN_PROGRESS,
    IDEMPOTENCY_MISMATCH,
    VALIDATION,
    RATE_LIMITED,
    INTERNAL,
    UNAVAILABLE,
)

# A domain error's type by its class, most specific first.
_BY_CLASS: tuple[tuple[type[DomainError], ProblemType], ...] = (
    (UnsafeFile, UNSAFE_FILE),
    (NotFound, NOT_FOUND),
    (InvalidTransition, INVALID_TRANSITION),
    (ClaimedByOther, CONFLICT),
    (AppendOnlyError, CONFLICT),
    (SummariesBusy, UNAVAILABLE),
    (InvalidInput, INVALID_INPUT),
)


class FieldError(Schema):
    field: str = Field(examples=["text"])
    detail: str = Field(examples=["Campo obbligatorio"])


class Problem(Schema):
    """An error (RFC 9457 problem details)."""

    type: str = Field(examples=[BASE + "invalid-input"])
    title: str = Field(examples=["Invalid input"])
    status: int = Field(examples=[400])
    code: str = Field(examples=["invalid-input"])
    detail: str = Field(examples=["Scrivi il testo della risposta."])
    field: str | None = Field(default=None, examples=["text"])
    instance: str = Field(examples=["/api/v1/cases/AB12CD34EF56/reply"])
    errors: list[FieldError] | None = None


def problem(
    request: HttpRequest,
    kind: ProblemType,
    detail: str,
    *,
    field: str | None = None,
    status: int | None = None,
    **extra: Any,
) -> HttpResponse:
    """A problem response of type `kind`."""
    body: dict[str, Any] = {
        "type": BASE + kind.code,
        "title": kind.title,
        "status": status or kind.status,
        "code": kind.code,
        "detail": detail,
        "instance": request.path,
    }
    if field is not None:
        body["field"] = field
    body.update(extra)
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False),
        status=status or kind.status,
        content_type=CONTENT_TYPE,
    )
    response["Cache-Control"] = "no-store"
    return response


def type_of(exc: DomainError) -> ProblemType:
    for cls, kind in _BY_CLASS:
        if isinstance(exc, cls):
            return kind
    return DOMAIN_ERROR


def _field_name(location: Any) -> str:
    parts = [str(p) for p in location if p not in ("body", "query", "path", "header", "payload")]
    return ".".join(parts) or "body"


def install(api: NinjaAPI) -> None:
    """Answer every error of `api` with a problem document."""

    def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        if isinstance(exc, TokenRefused):
            kind = UNAUTHENTICATED if exc.status == 401 else FORBIDDEN
            response = problem(request, kind, exc.message)
            if exc.status == 401:
                response["WWW-Authenticate"] = 'Bearer realm="ascolto"'
            return response
        return problem(request, type_of(exc), exc.message, field=exc.field)

    def on_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [
            {"field": _field_name(e.get("loc", ())), "detail": str(e.get("msg", ""))}
            for e in exc.errors
        ]
        first = errors[0]["field"] if errors else None
        return problem(
            request,
            VALIDATION,
            _("La richiesta non è valida: controlla i campi indicati."),
            field=first,
            errors=errors,
        )

    def on_model_validation(request: HttpRequest, exc: ModelValidationError) -> HttpResponse:
        # An action's `full_clean()` (an article's fields): the first field's first message.
        by_field = getattr(exc, "error_dict", None) or {None: exc.error_list}
        name, errors = next(iter(by_field.items()))
        messages = [m for e in errors for m in getattr(e, "messages", [str(e)])]
        return problem(request, INVALID_INPUT, messages[0] if messages else str(exc), field=name)

    def on_data_error(request: HttpRequest, exc: DataError) -> HttpResponse:
        # What the database refuses to store: a NUL character (PostgreSQL's text has none) or
        # a value out of a column's range. The action's transaction is rolled back whole.
        log.warning("API %s: the database refused a value (%s)", request.path, exc)
        return problem(
            request, VALIDATION, _("La richiesta contiene caratteri o valori non ammessi.")
        )

    def on_authentication(request: HttpRequest, exc: Exception) -> HttpResponse:
        response = problem(request, UNAUTHENTICATED, _("Token mancante, sconosciuto o revocato."))
        response["WWW-Authenticate"] = 'Bearer realm="ascolto"'
        return response

    def on_authorization(request: HttpRequest, exc: Exception) -> HttpResponse:
        return problem(request, FORBIDDEN, _("Non hai il permesso di farlo."))

    def on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        return problem(request, NOT_FOUND, _("Non trovato."))

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 403 and "CSRF" in str(exc):
            return problem(request, CSRF_FAILED, _("Verifica CSRF non riuscita."))
        if exc.status_code == 404:
            return on_not_found(request, exc)
        return problem(request, DOMAIN_ERROR, str(exc), status=exc.status_code)

    def on_rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
        response = problem(
            request,
            RATE_LIMITED,
            _("Troppe richieste: riprova tra %(n)d secondi.") % {"n": exc.seconds},
        )
        response["Retry-After"] = str(exc.seconds)
        return response

    def on_exception(request: HttpRequest, exc: Exception) -> HttpResponse:
        incident = new_incident(request)
        log.error("API error on %s [incident %s]", request.path, incident, exc_info=exc)
        if outages.unavailable(exc) is not None:
            response = problem(
                request,
                UNAVAILABLE,
                _("Servizio momentaneamente non disponibile: riprova tra %(n)d secondi.")
                % {"n": outages.RETRY_AFTER},
                incident=incident,
            )
            response["Retry-After"] = str(outages.RETRY_AFTER)
            return response
        return problem(
            request,
            INTERNAL,
            _("Errore interno: riferisci il codice %(incident)s.") % {"incident": incident},
            incident=incident,
        )

    handlers: list[tuple[type[Exception], Callable[..., HttpResponse]]] = [
        (Exception, on_exception),
        (DomainError, on_domain_error),
        (ValidationError, on_validation),
        (ModelValidationError, on_model_validation),
        (DataError, on_data_error),
        (AuthenticationError, on_authentication),
        (AuthorizationError, on_authorization),
        (Http404, on_not_found),
        (HttpError, on_http_error),
        (RateLimited, on_rate_limited),
    ]
    for cls, handler in handlers:
        api.add_exception_handler(cls, handler)


def not_allowed_as_problem(view: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a ninja path view so that its 405 answers a problem too (ninja answers it in plain
    text, before any exception handler)."""

    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            response = problem(
                request,
                METHOD_NOT_ALLOWED,
                _("Metodo non ammesso: usa %(allowed)s.") % {"allowed": allowed},
            )
            response["Allow"] = allowed
        return response

    for attribute in ("csrf_exempt", "__name__", "__doc__", "__module__"):
        if hasattr(view, attribute):
            setattr(wrapped, attribute, getattr(view, attribute))
    return wrapped
