"""`/healthz` (the process answers) and `/readyz` (it may take traffic: `core.health`), for
load balancers and orchestrators; `/metrics` for Prometheus (`core.metrics`), behind a token.
No session, no personal data: names of checks, counts and seconds."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST

from ascolto.core import health
from ascolto.core import metrics as core_metrics


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    checks = health.readiness()
    ready = all(check.ok for check in checks.values())
    return JsonResponse(
        {
            "status": "ready" if ready else "not ready",
            "checks": {
                name: {"ok": check.ok, "detail": check.detail} for name, check in checks.items()
            },
        },
        status=200 if ready else 503,
    )


@never_cache
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus's scrape: with `Authorization: Bearer <ASCOLTO_METRICS_TOKEN>`; without the
    setting the endpoint does not exist (404), with a wrong token 401."""
    expected = settings.ASCOLTO_METRICS_TOKEN
    if not expected:
        raise Http404
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        response = HttpResponse("token required\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(core_metrics.exposition(), content_type=CONTENT_TYPE_LATEST)
