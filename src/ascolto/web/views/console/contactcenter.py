"""The contact center's planning page for supervisors: the latest call forecast against the calls
that really arrived, per day, week or month; the staffing gap per interval of a chosen day; and
the callbacks due. Every chart has its numbers in a table beside it, and every table downloads
as CSV (`?csv=totals|intervals|callbacks`). The page's queries are `contactcenter.queries`.

With no forecast yet, the page says how to make one. A supervisor starts one from the page:
`contactcenter.actions.request_forecast` records a job that the task worker runs
(`forecast_calls`, as the `forecast` command does, then the operators required), and the page
polls its progress.
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ascolto.contactcenter import actions, queries
from ascolto.contactcenter.models import ForecastRun
from ascolto.core import access
from ascolto.core.errors import InvalidInput
from ascolto.core.tables import Table, table_csv
from ascolto.web.forms.contactcenter import CalendarForm


def _csv(table: Table) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="contactcenter-{table.key}.csv"'
    response.write("\ufeff")  # spreadsheets read the accents right with a BOM
    response.write(table_csv(table))
    return response


def _chosen_day(request: HttpRequest, run: ForecastRun) -> date:
    first = timezone.localtime(run.horizon_start).date()
    last = timezone.localtime(run.horizon_end).date()
    try:
        day = date.fromisoformat(request.GET.get("giorno", ""))
    except ValueError:
        day = timezone.localdate()
    return day if first <= day <= last else first


@require_GET
@access.require(access.supervises)
def page(request: HttpRequest) -> HttpResponse:
    run = queries.latest_run()
    callbacks = queries.callbacks_table(timezone.now())
    wanted = request.GET.get("csv")
    calendar_form = CalendarForm(initial=CalendarForm.initial_from(actions.operating_calendar()))
    job = queries.job_to_show(run)
    if run is None:
        if wanted == "callbacks":
            return _csv(callbacks)
        return render(
            request,
            "web/console/contactcenter/page.html",
            {"nav": "contactcenter", "title": _("Contact center"), "run": None, "tables": {}}
            | {"callbacks": callbacks, "today": timezone.localdate()}
            | {"calendar_form": calendar_form, "job": job},
        )
    period = request.GET.get("periodo", "D")
    period = period if period in queries.PERIODS else "D"
    day = _chosen_day(request, run)
    totals = queries.totals_table(run, period)
    intervals = queries.intervals_table(run, day)
    downloads = {"totals": totals, "intervals": intervals, "callbacks": callbacks}
    if wanted in downloads:
        return _csv(downloads[wanted])
    span = queries.forecast_span(run)
    context = {
        "nav": "contactcenter",
        "title": _("Contact center"),
        "run": run,
        "span": span,
        "period": period,
        "periods": list(queries.PERIODS.items()),
        "day": day,
        "first_day": timezone.localtime(run.horizon_start).date(),
        "last_day": timezone.localtime(run.horizon_end).date(),
        "totals": totals,
        "intervals": intervals,
        "callbacks": callbacks,
        "notes": actions.forecast_notes(run),
        "excluded": [c for c in run.candidates if c.get("error")],
        "calendar_form": calendar_form,
        "job": job,
        "has_staffing": any(row[3] is not None for row in intervals.rows),
        "has_plan": any(row[5] is not None for row in intervals.rows),
        "charts": {
            "totals": {
                "labels": [row[0] for row in totals.rows],
                "forecast": [row[1] for row in totals.rows],
                "lo80": [row[2] for row in totals.rows],
                "hi80": [row[3] for row in totals.rows],
                "actual": [row[6] for row in totals.rows],
                "names": [str(totals.columns[i]) for i in (1, 2, 3, 6)],
            },
            "intervals": {
                "labels": [row[0] for row in intervals.rows],
                "rostered": [row[4] for row in intervals.rows],
                "scheduled": [row[5] for row in intervals.rows],
                "forecast": [row[1] for row in intervals.rows],
                "actual": [row[2] for row in intervals.rows],
                "names": [str(intervals.columns[i]) for i in (4, 5, 1, 2)],
            },
        },
    }
    return render(request, "web/console/contactcenter/page.html", context)


@require_POST
@access.require(access.supervises)
def start_forecast(request: HttpRequest) -> HttpResponse:
    """Record a forecast to be made in the background; the page shows its progress."""
    try:
        horizon = int(request.POST.get("horizon", "28"))
        interval = int(request.POST.get("interval", "15"))
    except ValueError:
        horizon, interval = 0, 0
    try:
        _job, new = actions.request_forecast(
            horizon_days=horizon,
            interval_minutes=interval,
            actor=request.user,  # type: ignore[arg-type]
        )
    except InvalidInput as exc:
        messages.error(request, exc.message)
        return redirect("console:contactcenter")
    if not new:
        messages.info(
            request, _("Una previsione è già in corso: la pagina ne mostra l'avanzamento.")
        )
    return redirect("console:contactcenter")


@require_GET
@access.require(access.supervises)
def job_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress of a forecast job, polled by the page every two seconds; once the job
    that was running ends, the page reloads to show the new forecast (or why there is none)."""
    job = queries.job(pk)
    if job is None:
        return HttpResponse(status=404)
    response = render(request, "web/console/contactcenter/_job.html", {"job": job})
    if request.headers.get("HX-Request") and request.GET.get("polling") and not job.active:
        response["HX-Refresh"] = "true"
    return response


@require_POST
@access.require(access.supervises)
def save_calendar(request: HttpRequest) -> HttpResponse:
    """Store the operating calendar the next forecasts follow."""
    form = CalendarForm(request.POST)
    calendar = form.calendar() if form.is_valid() else None
    if calendar is not None:
        try:
            actions.set_operating_calendar(calendar, actor=request.user)  # type: ignore[arg-type]
        except InvalidInput as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request, _("Calendario salvato: le prossime previsioni lo seguiranno.")
            )
            return redirect("console:contactcenter")
    errors = "; ".join(
        (f"{form.fields[name].label}: " if name in form.fields else "")
        + " ".join(str(m) for m in msgs)
        for name, msgs in form.errors.items()
    )
    messages.error(request, _("Il calendario non è stato salvato: %(errors)s") % {"errors": errors})
    return redirect("console:contactcenter")


urlpatterns: list[URLPattern] = [
    path("contactcenter/", page, name="contactcenter"),
    path("contactcenter/calendar/", save_calendar, name="contactcenter-calendar"),
    path("contactcenter/forecast/", start_forecast, name="contactcenter-forecast"),
    path("contactcenter/forecast/<int:pk>/", job_status, name="contactcenter-job"),
]
