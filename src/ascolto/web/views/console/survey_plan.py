"""The yearly survey plan of the departments (`/console/piano-indagini/`): the year's surveys as
a timeline by department (a table with a bar per survey over the year's months), with state,
audience, period or school year, owner, linked survey and results; its CSV and XLSX export; the
form to add or change a survey of the plan, for analysts and administrators. Reads and writes
are `surveys.plan`."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from ascolto.core import access, tables
from ascolto.surveys import plan
from ascolto.surveys.models import SurveyPlanEntry
from ascolto.web.forms.survey_plan import PlanEntryForm

NAV = "survey-plan"
MONTHS = range(1, 13)
# The bars' colours by state (the reports' palette, `analytics.charts.PALETTE`).
COLOURS = {
    SurveyPlanEntry.State.PLANNING: "#5c6f82",
    SurveyPlanEntry.State.RUNNING: "#0066cc",
    SurveyPlanEntry.State.DONE: "#008055",
    SurveyPlanEntry.State.SUSPENDED: "#d1344c",
}


def _year(request: HttpRequest) -> int:
    try:
        year = int(request.GET.get("anno", ""))
    except ValueError:
        return timezone.localdate().year
    return year if 2000 <= year <= 2100 else timezone.localdate().year


@require_GET
@access.require(access.analyses)
def plan_page(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    fmt = request.GET.get("formato", "")
    if fmt in (tables.CSV_STANDARD, tables.CSV_EXCEL_IT, "xlsx"):
        table = plan.as_table(year)
        name = f"piano-indagini-{year}"
        if fmt == "xlsx":
            board = tables.Dashboard(table.key, table.title, tables=[table])
            response = HttpResponse(
                tables.dashboard_xlsx(board),
                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            )
            response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
            return response
        response = HttpResponse(
            tables.csv_bytes(tables.table_csv(table, fmt), fmt),
            content_type="text/csv; charset=utf-8",
        )
        suffix = "-excel" if fmt == tables.CSV_EXCEL_IT else ""
        response["Content-Disposition"] = f'attachment; filename="{name}{suffix}.csv"'
        return response
    years = sorted(set(plan.plan_years()) | {timezone.localdate().year, year}, reverse=True)
    return render(
        request,
        "web/console/survey_plan/plan.html",
        {
            "nav": NAV,
            "title": _("Piano delle indagini %(year)s") % {"year": year},
            "year": year,
            "years": years,
            "departments": plan.timeline(year),
            "months": [date(year, m, 1) for m in MONTHS],
            "colours": COLOURS,
            "can_edit": access.edits_listening_plans(request.user),
        },
    )


def _form_page(
    request: HttpRequest, form: PlanEntryForm, entry: SurveyPlanEntry | None
) -> HttpResponse:
    title = _("Modifica l'indagine del piano") if entry else _("Nuova indagine del piano")
    return render(
        request,
        "web/console/survey_plan/form.html",
        {"nav": NAV, "title": title, "form": form, "entry": entry},
        status=400 if form.errors else 200,
    )


def _save(request: HttpRequest, entry: SurveyPlanEntry | None) -> HttpResponse:
    form = PlanEntryForm(request.POST)
    data = form.data_or_errors()
    if data is None:
        return _form_page(request, form, entry)
    saved = plan.save_entry(data, entry)
    messages.success(request, _("Indagine del piano salvata."))
    return redirect(f"{reverse('console:survey-plan')}?anno={saved.year}")


@require_http_methods(["GET", "POST"])
@access.require(access.edits_listening_plans)
def entry_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _save(request, None)
    return _form_page(request, PlanEntryForm(initial={"year": _year(request)}), None)


@require_http_methods(["GET", "POST"])
@access.require(access.edits_listening_plans)
def entry_edit(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(SurveyPlanEntry, pk=pk)
    if request.method == "POST":
        return _save(request, entry)
    return _form_page(request, PlanEntryForm(initial=PlanEntryForm.initial_from(entry)), entry)


urlpatterns: list[URLPattern] = [
    path("piano-indagini/", plan_page, name="survey-plan"),
    path("piano-indagini/nuova/", entry_new, name="plan-entry-new"),
    path("piano-indagini/<int:pk>/", entry_edit, name="plan-entry-edit"),
]
