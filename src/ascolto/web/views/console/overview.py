"""The supervisor's overview: open cases per team and office, SLA at risk and breached, the
oldest open cases and today's intake per channel (queries in `ascolto.tickets.inbox`); and the
wall, the same figures in large tiles with today's intake per hour against the calls forecast
and the callbacks due, refreshing itself every 30 seconds (queries in `ascolto.analytics.wall`).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ascolto.analytics.wall import wall as wall_data
from ascolto.core import access
from ascolto.tickets import inbox as inbox_queries
from ascolto.tickets.models import Ticket
from ascolto.tickets.sla import sla_state
from ascolto.web.views.console.inbox import case_url_prefix


@access.require(access.supervises)
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    data = inbox_queries.overview(access.visible(Ticket.objects.all(), request.user), now)
    prefix = case_url_prefix()
    oldest = [
        {
            "ticket": t,
            "url": f"{prefix}{t.code}/",
            "sla": sla_state(t.due_at, now, active=t.is_active()),
            "age": (now - t.created_at).days,
        }
        for t in data.oldest
    ]
    return render(
        request,
        "web/console/overview/index.html",
        {
            "title": _("Supervisione"),
            "nav": "overview",
            "data": data,
            "oldest": oldest,
            "today": timezone.localdate(now),
        },
    )


WALL_REFRESH_SECONDS = 30


@access.require(access.supervises)
@require_GET
def wall(request: HttpRequest) -> HttpResponse:
    """The wall; asked by its own polling (`HX-Request`), only the tiles."""
    now = timezone.now()
    data = wall_data(access.visible(Ticket.objects.all(), request.user), now)
    prefix = case_url_prefix()
    oldest = [
        {
            "ticket": t,
            "url": f"{prefix}{t.code}/",
            "sla": sla_state(t.due_at, now, active=t.is_active()),
            "age": (now - t.created_at).days,
        }
        for t in data.overview.oldest
    ]
    context = {
        "title": _("Parete di supervisione"),
        "nav": "overview",
        "wall": data,
        "oldest": oldest,
        "refresh": WALL_REFRESH_SECONDS,
        "case_prefix": prefix,
    }
    if request.headers.get("HX-Request") == "true":
        return render(request, "web/console/overview/_wall_tiles.html", context)
    return render(request, "web/console/overview/wall.html", context)


urlpatterns: list[URLPattern] = [
    path("overview/", overview, name="overview"),
    path("overview/wall/", wall, name="wall"),
]
