"""Public pages for the city's transparency section ("Amministrazione trasparente"): the
annual complaints report as a web page and a PDF. No sign-in, no personal data: aggregated
counts only, with counts from 1 to 4 shown as "< 5".

Mounted under /trasparenza/ by web/urls.py (URL names `trasparenza:*`).
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.http import require_GET

from ascolto.analytics import exports
from ascolto.analytics.complaints import complaints_report


@require_GET
def complaints(request: HttpRequest, year: int) -> HttpResponse:
    if not 2000 <= year <= timezone.localdate().year:
        raise Http404("no report for this year")
    board = complaints_report(year)
    fmt = request.GET.get("formato", "")
    if fmt == "pdf":
        response = HttpResponse(
            exports.dashboard_pdf(board, municipality=settings.ASCOLTO_MUNICIPALITY),
            content_type="application/pdf",
        )
        response["Content-Disposition"] = f'inline; filename="reclami-{year}.pdf"'
        return response
    if fmt == "csv":
        response = HttpResponse(
            exports.dashboard_csv(board), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="reclami-{year}.csv"'
        return response
    return render(
        request, "web/public/complaints.html", {"board": board, "year": year, "title": board.title}
    )


urlpatterns: list[URLPattern] = [
    path("reclami/<int:year>/", complaints, name="complaints"),
]
