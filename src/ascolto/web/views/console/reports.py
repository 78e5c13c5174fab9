"""Reports and transparency in the console (issue 5): the monthly report, the dashboards
(themes and trends, campaigns, social, chatbot, page ratings; the IVR paths in `reports_ivr`),
the complaints report and the open data, each with CSV, XLSX (and for the reports PDF)
exports. Analysts, supervisors and administrators only (`access.analyses`); every figure is
aggregated, no case is shown.

The public complaints page lives in `web/views/public_reports.py`, mounted at /trasparenza/.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from ascolto.analytics import dashboards, exports, opendata, queries
from ascolto.analytics.complaints import complaints_report
from ascolto.analytics.period import Period
from ascolto.analytics.report import as_dashboard, monthly_report
from ascolto.core import access, replica, tables
from ascolto.core.errors import DomainError
from ascolto.core.tables import Dashboard
from ascolto.tickets.models import Campaign
from ascolto.web.views.console.reports_forms import PeriodForm, period_form

TEMPLATE = "web/console/reports/dashboard.html"
FORMATS = (tables.CSV_STANDARD, tables.CSV_EXCEL_IT, "xlsx", "pdf")

SECTIONS = [
    ("console:reports", "report", gettext_noop("Report mensile")),
    ("console:reports-themes", "themes", gettext_noop("Temi e tendenze")),
    ("console:reports-campaigns", "campaigns", gettext_noop("Campagne")),
    ("console:reports-social", "social", gettext_noop("Social")),
    ("console:reports-chatbot", "chatbot", gettext_noop("Chatbot")),
    ("console:reports-ratings", "ratings", gettext_noop("Valutazioni delle pagine")),
    ("console:reports-ivr", "ivr", gettext_noop("Percorsi IVR")),
    ("console:reports-complaints", "complaints", gettext_noop("Reclami")),
    ("console:reports-opendata", "opendata", gettext_noop("Open data")),
]


def export(request: HttpRequest, board: Dashboard, name: str) -> HttpResponse | None:
    """The export asked for by `?formato=` (csv, csv-it: the CSV for an Italian Excel, xlsx,
    pdf), or None for the page."""
    fmt = request.GET.get("formato", "")
    if not fmt:
        return None
    if fmt not in FORMATS:
        raise Http404("unknown format")
    if fmt in (tables.CSV_STANDARD, tables.CSV_EXCEL_IT):
        key = request.GET.get("tabella", "")
        try:
            text = (
                tables.table_csv(board.table(key), fmt) if key else tables.dashboard_csv(board, fmt)
            )
        except KeyError as exc:
            raise Http404("unknown table") from exc
        response = HttpResponse(tables.csv_bytes(text, fmt), content_type="text/csv; charset=utf-8")
        suffix = "-excel" if fmt == tables.CSV_EXCEL_IT else ""
        filename = f"{name}-{key}{suffix}.csv" if key else f"{name}{suffix}.csv"
    elif fmt == "xlsx":
        response = HttpResponse(
            tables.dashboard_xlsx(board),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        filename = f"{name}.xlsx"
    else:
        try:
            pdf = exports.dashboard_pdf(board, municipality=settings.ASCOLTO_MUNICIPALITY)
        except exports.PdfUnavailable as exc:
            messages.error(request, str(exc))
            return None  # the page, with the reason and its other downloads
        response = HttpResponse(pdf, content_type="application/pdf")
        filename = f"{name}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def page(
    request: HttpRequest,
    section: str,
    board: Dashboard | None,
    *,
    form: PeriodForm | None = None,
    pdf: bool = False,
    **extra: Any,
) -> HttpResponse:
    query = request.GET.copy()
    for key in ("formato", "tabella"):
        query.pop(key, None)
    context = {
        "nav": "reports",
        "section": section,
        "sections": SECTIONS,
        "board": board,
        "form": form,
        "query": query.urlencode(),
        "pdf": pdf,
        "title": board.title if board else _("Report"),
        **extra,
    }
    return render(request, TEMPLATE, context)


BuildBoard = Callable[[Period, dict[str, Any]], Dashboard]
"""Makes a page's dashboard from the chosen period and the period form's cleaned data."""


def period_board(
    request: HttpRequest,
    section: str,
    build: BuildBoard,
    *,
    pdf: bool = False,
    default: str = "anno",
) -> HttpResponse:
    form = period_form(request.GET, default=default)
    board = None
    if form.is_valid():
        period: Period = form.cleaned_data["period"]
        try:
            board = build(period, form.cleaned_data)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            response = export(request, board, f"{board.key}-{period.slug()}")
            if response is not None:
                return response
    return page(request, section, board, form=form, pdf=pdf)


@access.require(access.analyses)
@replica.reads_replica
def monthly(request: HttpRequest) -> HttpResponse:
    def build(period: Period, data: dict[str, Any]) -> Dashboard:
        return as_dashboard(monthly_report(period, compare_year=data.get("confronto")))

    return period_board(request, "report", build, pdf=True, default="mese")


@access.require(access.analyses)
@replica.reads_replica
def themes(request: HttpRequest) -> HttpResponse:
    return period_board(request, "themes", lambda p, _d: dashboards.themes(p))


@access.require(access.analyses)
@replica.reads_replica
def social(request: HttpRequest) -> HttpResponse:
    return period_board(request, "social", lambda p, _d: dashboards.social(p))


@access.require(access.analyses)
@replica.reads_replica
def chatbot(request: HttpRequest) -> HttpResponse:
    return period_board(request, "chatbot", lambda p, _d: dashboards.chatbot(p))


@access.require(access.analyses)
@replica.reads_replica
def ratings(request: HttpRequest) -> HttpResponse:
    return period_board(request, "ratings", lambda p, _d: dashboards.ratings(p))


@access.require(access.analyses)
@replica.reads_replica
def campaign_list(request: HttpRequest) -> HttpResponse:
    return page(request, "campaigns", None, campaigns=queries.campaigns(), title=_("Campagne"))


@access.require(access.analyses)
@replica.reads_replica
def campaign(request: HttpRequest, code: str) -> HttpResponse:
    item = get_object_or_404(Campaign, code=code)
    board = dashboards.campaign(item)
    return export(request, board, f"campagna-{item.code}") or page(request, "campaigns", board)


def _year(request: HttpRequest) -> int | None:
    raw = request.GET.get("anno", "")
    if not raw:
        return timezone.localdate().year
    try:
        year = int(raw)
    except ValueError:
        return None
    return year if 2000 <= year <= 2100 else None


@access.require(access.analyses)
@replica.reads_replica
def complaints(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    if year is None:
        messages.error(request, _("Indica un anno tra il 2000 e il 2100."))
        return page(request, "complaints", None, year_form=True)
    board = complaints_report(year)
    return export(request, board, f"reclami-{year}") or page(
        request, "complaints", board, pdf=True, year_form=True, year=year, public=True
    )


@access.require(access.analyses)
@replica.reads_replica
def open_data(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    if year is None:
        messages.error(request, _("Indica un anno tra il 2000 e il 2100."))
        return page(request, "opendata", None, year_form=True, title=_("Open data"))
    name = request.GET.get("file", "")
    if name:
        data = opendata.build(year)
        if name == "dizionario":
            return JsonResponse(
                {"fields": opendata.DICTIONARY}, json_dumps_params={"ensure_ascii": False}
            )
        rows = {"casi_mensili": data.cases, "chiamate_mensili": data.calls}.get(name)
        if rows is None:
            raise Http404("unknown file")
        if request.GET.get("formato") == "json":
            return JsonResponse(
                {"year": year, "rows": rows}, json_dumps_params={"ensure_ascii": False}
            )
        response = HttpResponse(
            opendata.rows_csv(name, rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}_{year}.csv"'
        return response
    return page(
        request,
        "opendata",
        None,
        year_form=True,
        year=year,
        title=_("Open data"),
        opendata_files=[
            ("casi_mensili", _("Casi per mese, canale e area")),
            ("chiamate_mensili", _("Chiamate al 020202 per mese")),
        ],
        dictionary=opendata.DICTIONARY,
        small=opendata.SMALL,
    )


urlpatterns: list[URLPattern] = [
    path("reports/", monthly, name="reports"),
    path("reports/themes/", themes, name="reports-themes"),
    path("reports/campaigns/", campaign_list, name="reports-campaigns"),
    path("reports/campaigns/<slug:code>/", campaign, name="reports-campaign"),
    path("reports/social/", social, name="reports-social"),
    path("reports/chatbot/", chatbot, name="reports-chatbot"),
    path("reports/ratings/", ratings, name="reports-ratings"),
    path("reports/complaints/", complaints, name="reports-complaints"),
    path("reports/open-data/", open_data, name="reports-opendata"),
]
