"""The supervisor's overview: open cases per team and office, SLA at risk and breached, the
oldest open cases and today's intake per channel (queries in `ascolto.tickets.inbox`)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

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


urlpatterns: list[URLPattern] = [path("overview/", overview, name="overview")]
