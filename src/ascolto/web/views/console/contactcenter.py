"""The contact center's planning page for supervisors: the latest call forecast against the calls
that really arrived, per day, week or month; the staffing gap per interval of a chosen day; and
the callbacks due. Every chart has its numbers in a table beside it, and every table downloads
as CSV (`?csv=totals|intervals|callbacks`). Everything is read with aggregate queries.

With no forecast yet, the page says how to make one. A supervisor starts one from the page:
`contactcenter.actions.request_forecast` records a job that the task worker runs
(`forecast_calls`, as the `forecast` command does, then the operators required), and the page
polls its progress.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.db.models import Count, Max, Min, Sum
from django.db.models.functions import TruncDate, TruncMonth, TruncWeek
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from ascolto.contactcenter import history
from ascolto.contactcenter.actions import (
    callbacks_due,
    forecast_notes,
    operating_calendar,
    request_forecast,
    set_operating_calendar,
)
from ascolto.contactcenter.models import CallRecord, ForecastJob, ForecastPoint, ForecastRun
from ascolto.core import access
from ascolto.core.errors import InvalidInput
from ascolto.web.forms.contactcenter import CalendarForm

PERIODS = {
    "D": gettext_lazy("giorno"),
    "W": gettext_lazy("settimana"),
    "M": gettext_lazy("mese"),
}
TRUNC = {"D": TruncDate, "W": TruncWeek, "M": TruncMonth}
CALLBACK_HOURS = 24
MAX_CALLBACKS = 200


@dataclass
class Table:
    """Numbers shown beside a chart (and downloadable as CSV)."""

    key: str
    title: str
    columns: Sequence[str]
    rows: list[list[Any]]


def _num(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(float(value), digits)


def _period_label(start: date, period: str) -> str:
    if period == "W":
        return _("settimana dal %(day)s") % {"day": start.strftime("%d/%m/%Y")}
    if period == "M":
        return start.strftime("%m/%Y")
    return start.strftime("%d/%m/%Y")


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def totals_table(run: ForecastRun, period: str) -> Table:
    """Forecast calls per period (with 80 % and 95 % bands) against the calls that arrived.

    The bands of a run forecast per queue do not add up across queues, so they are shown only
    for a run of the whole line (one series)."""
    forecast: dict[date, dict[str, float | None]] = {}
    rows = run.totals.get(period, [])
    single = len({row["series"] for row in rows}) <= 1
    for row in rows:
        start = date.fromisoformat(row["start"])
        entry = forecast.setdefault(start, {"yhat": 0.0})
        entry["yhat"] = (entry["yhat"] or 0.0) + float(row["yhat"])
        for band in ("lo80", "hi80", "lo95", "hi95"):
            entry[band] = float(row[band]) if single else None
    zone = timezone.get_current_timezone()
    # The totals cover whole periods (closed days included), the points only open intervals.
    first = min([*forecast, timezone.localtime(run.horizon_start).date()])
    last = max([*forecast, timezone.localtime(run.horizon_end).date()])
    if period == "W":
        last += timedelta(days=6)
    elif period == "M":
        last = (last.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    since = datetime.combine(first, time.min, tzinfo=zone)
    until = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
    actual = {
        _as_date(row["period"]): row["n"]
        for row in CallRecord.objects.filter(arrived_at__gte=since, arrived_at__lt=until)
        .annotate(period=TRUNC[period]("arrived_at", tzinfo=zone))
        .values("period")
        .annotate(n=Count("id"))
        .order_by()
    }
    today = timezone.localdate()
    table_rows = []
    for start in sorted(forecast.keys() | actual.keys()):
        entry = forecast.get(start, {})
        arrived: int | None = actual.get(start, 0) if start <= today else None
        table_rows.append(
            [
                _period_label(start, period),
                _num(entry.get("yhat")),
                _num(entry.get("lo80")),
                _num(entry.get("hi80")),
                _num(entry.get("lo95")),
                _num(entry.get("hi95")),
                arrived,
            ]
        )
    return Table(
        "totals",
        _("Chiamate previste e arrivate per %(period)s") % {"period": PERIODS[period]},
        [
            _("Periodo"),
            _("Previste"),
            _("Minimo 80 %"),
            _("Massimo 80 %"),
            _("Minimo 95 %"),
            _("Massimo 95 %"),
            _("Arrivate"),
        ],
        table_rows,
    )


def intervals_table(run: ForecastRun, day: date) -> Table:
    """Per interval of `day`: calls forecast and arrived, operators required on the phones,
    to roster (with shrinkage) and in turn, and the gap (in turn minus to roster)."""
    zone = timezone.get_current_timezone()
    since = datetime.combine(day, time.min, tzinfo=zone)
    points = (
        ForecastPoint.objects.filter(run=run, start__gte=since, start__lt=since + timedelta(days=1))
        .values("start")
        .annotate(
            calls=Sum("calls"),
            agents=Sum("agents"),
            rostered=Sum("rostered"),
            scheduled=Sum("scheduled"),
        )
        .order_by("start")
    )
    arrivals = history.call_arrivals(day, day, interval_minutes=run.interval_minutes)
    arrived = {
        (ds.hour, ds.minute): int(y)
        for ds, y in zip(arrivals["ds"], arrivals["y"], strict=True)
        if ds.date() == day
    }
    rows = []
    for point in points:
        local = timezone.localtime(point["start"], zone)
        rostered, scheduled = point["rostered"], point["scheduled"]
        gap = scheduled - rostered if scheduled is not None and rostered is not None else None
        rows.append(
            [
                local.strftime("%H:%M"),
                _num(point["calls"]),
                arrived.get((local.hour, local.minute), 0) if local <= timezone.now() else None,
                point["agents"],
                rostered,
                scheduled,
                gap,
            ]
        )
    return Table(
        "intervals",
        _("Fabbisogno di operatori per intervallo, %(day)s") % {"day": day.strftime("%d/%m/%Y")},
        [
            _("Ora"),
            _("Chiamate previste"),
            _("Chiamate arrivate"),
            _("Operatori necessari"),
            _("Da pianificare"),
            _("In turno"),
            _("Scarto (in turno − da pianificare)"),
        ],
        rows,
    )


def callbacks_table(now: datetime) -> Table:
    """Callbacks still to make whose slot starts within the next day (or is already late)."""
    due = callbacks_due(until=now + timedelta(hours=CALLBACK_HOURS)).select_related(
        "ticket__assignee"
    )[:MAX_CALLBACKS]
    rows = [
        [
            timezone.localtime(booking.slot_start).strftime("%d/%m/%Y %H:%M"),
            timezone.localtime(booking.slot_end).strftime("%H:%M"),
            booking.ticket.code,
            booking.get_requested_via_display(),
            str(booking.ticket.assignee or _("non assegnata")),
            _("in ritardo") if booking.slot_end < now else _("da fare"),
        ]
        for booking in due
    ]
    return Table(
        "callbacks",
        _("Richiamate da fare nelle prossime %(hours)d ore") % {"hours": CALLBACK_HOURS},
        [_("Dalle"), _("Alle"), _("Caso"), _("Richiesta tramite"), _("Operatore"), _("Stato")],
        rows,
    )


def _csv(table: Table) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="contactcenter-{table.key}.csv"'
    response.write("\ufeff")  # spreadsheets read the accents right with a BOM
    writer = csv.writer(response)
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow(["" if value is None else value for value in row])
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
    run = ForecastRun.objects.select_related("created_by").order_by("-created_at", "-pk").first()
    now = timezone.now()
    callbacks = callbacks_table(now)
    wanted = request.GET.get("csv")
    calendar_form = CalendarForm(initial=CalendarForm.initial_from(operating_calendar()))
    job = ForecastJob.objects.select_related("run").first()
    if job is not None and not job.active:
        # The last job's outcome, until a later forecast (from the command) replaces it.
        if job.status == ForecastJob.Status.DONE and (run is None or job.run_id != run.pk):
            job = None
        elif job.status == ForecastJob.Status.FAILED and run and run.created_at > job.created_at:
            job = None
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
    period = period if period in PERIODS else "D"
    day = _chosen_day(request, run)
    totals = totals_table(run, period)
    intervals = intervals_table(run, day)
    tables = {"totals": totals, "intervals": intervals, "callbacks": callbacks}
    if wanted in tables:
        return _csv(tables[wanted])
    span = run.points.aggregate(first=Min("start"), last=Max("start"))
    context = {
        "nav": "contactcenter",
        "title": _("Contact center"),
        "run": run,
        "span": span,
        "period": period,
        "periods": list(PERIODS.items()),
        "day": day,
        "first_day": timezone.localtime(run.horizon_start).date(),
        "last_day": timezone.localtime(run.horizon_end).date(),
        "totals": totals,
        "intervals": intervals,
        "callbacks": callbacks,
        "notes": forecast_notes(run),
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
        _job, new = request_forecast(
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
    job = ForecastJob.objects.filter(pk=pk).select_related("run").first()
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
            set_operating_calendar(calendar, actor=request.user)  # type: ignore[arg-type]
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
