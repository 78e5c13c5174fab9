"""The embeddable banner of the alerts on current topics, for the city's portal: a page made
to be shown in an `<iframe>` (the only page that may be framed), with the alerts shown now on
the web, in the Designers Italia look of the Scrivi pages. Each alert leaves the banner at its
end, and the banner asks again when the first alert ends or the next one starts (within
`MAX_REFRESH` seconds), without reloading: an alert also disappears from a portal page left
open. The snippet to paste is in docs/alerts.md."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from ascolto.core.ratelimit import ALERTS_LIMIT, limited
from ascolto.knowledge.alerts import current_alerts_until
from ascolto.web.views.scrivi.protection import too_many

MIN_REFRESH = 60
MAX_REFRESH = 900


@require_GET
@xframe_options_exempt
def banner(request: HttpRequest) -> HttpResponse:
    wait = limited(request, "alerts", [ALERTS_LIMIT])
    if wait is not None:
        return too_many(request, wait)
    alerts, valid_until = current_alerts_until("web")
    seconds = max(0, int((valid_until - timezone.now()).total_seconds()))
    response = render(
        request,
        "web/public/alerts_banner.html",
        {
            "alerts": alerts,
            "refresh": min(MAX_REFRESH, max(MIN_REFRESH, seconds + 1)),
            "target": "_top",
        },
    )
    response["Cache-Control"] = f"public, max-age={seconds}"
    return response


urlpatterns: list[URLPattern] = [path("banner/", banner, name="banner")]
