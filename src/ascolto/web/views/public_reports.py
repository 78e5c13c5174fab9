"""Public pages for the city's transparency section ("Amministrazione trasparente"): an index
of what is published (`/trasparenza/`) and the annual complaints report as a web page, a PDF
and a CSV (`/trasparenza/reclami/<anno>/`). No sign-in, no personal data: aggregated counts
only, with the disclosure control of `analytics.complaints`.

Mounted under /trasparenza/ by web/urls.py (URL names `trasparenza:*`). The open data files
are produced by analysts in the console (`/console/reports/open-data/`, `open_data` command)
and published by the city on its own portal: this site does not serve them publicly.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ascolto.analytics import exports
from ascolto.analytics.complaints import complaints_report
from ascolto.analytics.queries import complaint_years
from ascolto.core import replica, tables
from ascolto.web.views import public_questionnaires


@require_GET
@replica.reads_replica
def index(request: HttpRequest) -> HttpResponse:
    """What the transparency section publishes: the complaints report of every year that has
    complaints, the current one marked as partial."""
    years = [
        {"year": year, "current": year == timezone.localdate().year}
        for year in sorted(complaint_years(), reverse=True)
    ]
    return render(
        request,
        "web/public/index.html",
        {
            "title": _("Trasparenza: ascolto dei cittadini"),
            "years": years,
            "questionnaires": public_questionnaires.published(),
        },
    )


@require_GET
@replica.reads_replica
def complaints(request: HttpRequest, year: int) -> HttpResponse:
    if not 2000 <= year <= timezone.localdate().year:
        raise Http404("no report for this year")
    board = complaints_report(year)
    fmt = request.GET.get("formato", "")
    if fmt == "pdf":
        try:
            pdf = exports.dashboard_pdf(board, municipality=settings.ASCOLTO_MUNICIPALITY)
        except exports.PdfUnavailable as exc:
            return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="reclami-{year}.pdf"'
        return response
    if fmt in (tables.CSV_STANDARD, tables.CSV_EXCEL_IT):
        response = HttpResponse(
            tables.csv_bytes(tables.dashboard_csv(board, fmt), fmt),
            content_type="text/csv; charset=utf-8",
        )
        suffix = "-excel" if fmt == tables.CSV_EXCEL_IT else ""
        response["Content-Disposition"] = f'attachment; filename="reclami-{year}{suffix}.csv"'
        return response
    return render(
        request, "web/public/complaints.html", {"board": board, "year": year, "title": board.title}
    )


urlpatterns: list[URLPattern] = [
    path("", index, name="index"),
    path("reclami/<int:year>/", complaints, name="complaints"),
]
