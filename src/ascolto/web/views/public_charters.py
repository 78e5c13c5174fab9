"""The service charters in the transparency section (`/trasparenza/carte-dei-servizi/`): the
published charters, a page per charter with its commitments measured and its uploaded document
(a download), and the yearly report of
every charter as a page, a PDF, a CSV and an XLSX. No sign-in, no personal data: values are
aggregates, and one measured on fewer than 5 cases, calls or answers is withheld
(`charters.report`)."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ascolto.analytics import exports
from ascolto.charters import documents, report
from ascolto.core import tables
from ascolto.core.errors import NotFound

FIRST_YEAR = 2000


def _years() -> list[int]:
    this = timezone.localdate().year
    return [this - 1, this]


@require_GET
def charter_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/public/charters.html",
        {
            "title": _("Carte dei servizi"),
            "charters": report.published(),
            "years": sorted(_years(), reverse=True),
        },
    )


@require_GET
def charter_page(request: HttpRequest, slug: str) -> HttpResponse:
    charter = get_object_or_404(report.published(), slug=slug)
    views = report.charter_views(charter, public=True)
    return render(
        request,
        "web/public/charter.html",
        {"title": charter.title, "charter": charter, "views": views, "can_edit": False},
    )


@require_GET
def charter_document(request: HttpRequest, slug: str) -> HttpResponseBase:
    """A published charter's uploaded PDF, as an attachment (`charters.documents`)."""
    charter = get_object_or_404(report.published(), slug=slug)
    try:
        return documents.download(charter)
    except NotFound as exc:
        raise Http404(exc.message) from None


@require_GET
def charters_report(request: HttpRequest, year: int) -> HttpResponse:
    if not FIRST_YEAR <= year <= timezone.localdate().year:
        raise Http404("no report for this year")
    board = report.yearly_report(year, public=True)
    fmt = request.GET.get("formato", "")
    name = f"carte-dei-servizi-{year}"
    if fmt == "pdf":
        try:
            pdf = exports.dashboard_pdf(board, municipality=settings.ASCOLTO_MUNICIPALITY)
        except exports.PdfUnavailable as exc:
            return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
        return response
    if fmt in (tables.CSV_STANDARD, tables.CSV_EXCEL_IT):
        response = HttpResponse(
            tables.csv_bytes(tables.dashboard_csv(board, fmt), fmt),
            content_type="text/csv; charset=utf-8",
        )
        suffix = "-excel" if fmt == tables.CSV_EXCEL_IT else ""
        response["Content-Disposition"] = f'attachment; filename="{name}{suffix}.csv"'
        return response
    if fmt == "xlsx":
        response = HttpResponse(
            tables.dashboard_xlsx(board),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    return render(
        request,
        "web/public/charters_report.html",
        {"board": board, "year": year, "title": board.title},
    )


urlpatterns: list[URLPattern] = [
    path("carte-dei-servizi/", charter_list, name="charters"),
    path("carte-dei-servizi/relazione/<int:year>/", charters_report, name="charters-report"),
    path("carte-dei-servizi/<slug:slug>/", charter_page, name="charter"),
    path("carte-dei-servizi/<slug:slug>/documento/", charter_document, name="charter-document"),
]
