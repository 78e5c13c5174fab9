"""The REST API under /api/v1/ (django-ninja): authentication, errors, and each app's routers.

See docs/decisions/0003-api-framework.md. Each app contributes a router from its `api.py`.
"""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema

from ascolto.contactcenter.api import router as telephony
from ascolto.core.errors import DomainError, NotFound
from ascolto.core.ratelimit import RateLimited
from ascolto.knowledge.api import router as alerts

api = NinjaAPI(title="ascolto API", version="1", urls_namespace="api-v1")
api.add_router("/telephony", telephony)
api.add_router("/alerts", alerts)


class Health(Schema):
    status: str
    database: str


@api.get("/health", response=Health, auth=None, tags=["system"])
def health(request: HttpRequest) -> dict[str, str]:
    """Liveness and database reachability, for load balancers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"status": "ok", "database": connection.vendor}


@api.exception_handler(RateLimited)
def rate_limited(request: HttpRequest, exc: RateLimited) -> object:
    response = api.create_response(
        request,
        {"detail": _("Troppe richieste: riprova tra %(n)d secondi.") % {"n": exc.seconds}},
        status=429,
    )
    response["Retry-After"] = str(exc.seconds)
    response["Cache-Control"] = "no-store"
    return response


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> object:
    status = 404 if isinstance(exc, NotFound) else 400
    return api.create_response(request, {"detail": exc.message, "field": exc.field}, status=status)
