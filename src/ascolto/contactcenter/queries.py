"""The read side of the contact center's planning page: the latest forecast and its job, the
forecast calls against the calls that arrived (per day, week or month), the staffing of each
interval of a day, and the callbacks due. Everything is read with aggregate queries, and each
table comes as a `core.tables.Table`, shown beside its chart and downloadable as CSV.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Max, Min, Sum
from django.db.models.functions import TruncDate, TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ascolto.contactcenter.actions import callbacks_due
from ascolto.contactcenter.models import CallRecord, ForecastJob, ForecastPoint, ForecastRun
from ascolto.core.tables import Table

PERIODS = {
    "D": gettext_lazy("giorno"),
    "W": gettext_lazy("settimana"),
    "M": gettext_lazy("mese"),
}
TRUNC = {"D": TruncDate, "W": TruncWeek, "M": TruncMonth}
CALLBACK_HOURS = 24
MAX_CALLBACKS = 200


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
    from ascolto.contactcenter import arrivals  # pandas: loaded by the planning page only

    frame = arrivals.call_arrivals(day, day, interval_minutes=run.interval_minutes)
    arrived = {
        (ds.hour, ds.minute): int(y)
        for ds, y in zip(frame["ds"], frame["y"], strict=True)
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


def latest_run() -> ForecastRun | None:
    """The forecast the page shows: the latest one made."""
    return ForecastRun.objects.select_related("created_by").order_by("-created_at", "-pk").first()


def job_to_show(run: ForecastRun | None) -> ForecastJob | None:
    """The last forecast job, while it runs and, once ended, until a later forecast (made by the
    command) replaces its outcome."""
    job = ForecastJob.objects.select_related("run").first()
    if job is not None and not job.active:
        if job.status == ForecastJob.Status.DONE and (run is None or job.run_id != run.pk):
            return None
        if job.status == ForecastJob.Status.FAILED and run and run.created_at > job.created_at:
            return None
    return job


def job(pk: int) -> ForecastJob | None:
    return ForecastJob.objects.filter(pk=pk).select_related("run").first()


def forecast_span(run: ForecastRun) -> dict[str, Any]:
    """The first and last interval the run forecasts ("first", "last")."""
    return run.points.aggregate(first=Min("start"), last=Max("start"))
