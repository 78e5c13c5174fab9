"""Planning: the operating calendar, call forecasts (from the command, or started from the
supervisor's page and run in the background), the operators they require, and shift plans.

The numerics (forecasting, staffing, scheduling) live in modules with no Django imports; these
functions load what they need from the database, call them, and store the results."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd
from django.db import transaction
from django.db.models import Avg, Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from ascolto.contactcenter import arrivals, forecasting
from ascolto.contactcenter.forecasting import Forecaster, OperatingCalendar
from ascolto.contactcenter.models import (
    CalendarSettings,
    CallRecord,
    ForecastJob,
    ForecastPoint,
    ForecastRun,
)
from ascolto.contactcenter.numerics import scheduling, staffing
from ascolto.contactcenter.numerics.staffing import StaffingRequirement
from ascolto.core.errors import DomainError, InvalidInput
from ascolto.organisation.models import User

# --- Forecasts, staffing and shift plans ----------------------------------------------------


def operating_calendar() -> OperatingCalendar:
    """The contact center's calendar as stored (`CalendarSettings`), or the default one."""
    row = CalendarSettings.objects.first() or CalendarSettings()
    return OperatingCalendar(
        weekdays=tuple(sorted(int(d) for d in row.weekdays)) or None,
        country=row.country or None,
        subdiv=row.subdivision or None,
        patron_day=(
            (row.patron_month, row.patron_day) if row.patron_month and row.patron_day else None
        ),
        closed_on_holidays=row.closed_on_holidays,
        closed_dates=tuple(date.fromisoformat(d) for d in row.closed_dates),
        open_dates=tuple(date.fromisoformat(d) for d in row.open_dates),
    )


def set_operating_calendar(calendar: OperatingCalendar, *, actor: User | None) -> None:
    """Store `calendar` as the contact center's calendar, which forecasts follow from now on.

    The `OperatingCalendar` has already checked its parts (country, subdivision, patron day,
    weekdays); a closed and open date cannot be the same day.
    """
    both = sorted(set(calendar.closed_dates) & set(calendar.open_dates))
    if both:
        raise InvalidInput(
            _("Un giorno non può essere sia chiuso sia aperto: %(days)s.")
            % {"days": ", ".join(d.strftime("%d/%m/%Y") for d in both)},
            field="open_dates",
        )
    with transaction.atomic():
        row = CalendarSettings.objects.select_for_update().first() or CalendarSettings()
        row.country = calendar.country or ""
        row.subdivision = (calendar.subdiv or "") if calendar.country else ""
        row.patron_month, row.patron_day = calendar.patron_day or (None, None)
        row.weekdays = sorted(calendar.weekdays or ())
        row.closed_on_holidays = calendar.closed_on_holidays
        row.closed_dates = sorted(d.isoformat() for d in set(calendar.closed_dates))
        row.open_dates = sorted(d.isoformat() for d in set(calendar.open_dates))
        row.updated_by = actor
        row.save()


def run_forecast(
    history: pd.DataFrame,
    *,
    horizon_days: int,
    interval_minutes: int,
    source: str,
    events: pd.DataFrame | None = None,
    calendar: OperatingCalendar | None = None,
    candidates: Mapping[str, Forecaster] | None = None,
    origins: int = 3,
    start: date | None = None,
    actor: User | None = None,
    progress: Callable[[str], None] | None = None,
) -> ForecastRun:
    """Choose a model by rolling-origin cross-validation, forecast the `horizon_days` from
    `start` (by default the day after the history) with it, and store the run: the winner, the
    errors of every candidate, what the forecaster noticed (`forecast_notes`) and the points.

    `calendar` defaults to the stored one (`operating_calendar`).
    """
    if not 1 <= horizon_days <= 186:
        raise InvalidInput(_("L'orizzonte va da 1 giorno a 6 mesi (186 giorni)."), field="horizon")
    if not 1 <= origins <= 12:
        raise InvalidInput(_("Le origini del confronto vanno da 1 a 12."), field="origins")
    if history.empty or history["y"].sum() <= 0:
        raise InvalidInput(_("Lo storico non contiene chiamate da cui imparare."), field="history")
    # Calendar days from the first to the last day of data: weekends and holidays count, as
    # they do in the three weeks the comparison needs.
    days = (history["ds"].max().normalize() - history["ds"].min().normalize()).days + 1
    if days < 3 * 7 + min(horizon_days, 28):
        raise InvalidInput(
            _(
                "Lo storico copre %(days)d giorni: ne servono almeno tre settimane più "
                "l'orizzonte (fino a 28 giorni) per confrontare i modelli."
            )
            % {"days": days},
            field="history",
        )
    last_day = pd.Timestamp(history["ds"].max()).date()
    if start is not None and start <= last_day:
        raise InvalidInput(
            _("La previsione deve iniziare dopo lo storico, che termina il %(day)s.")
            % {"day": last_day.strftime("%d/%m/%Y")},
            field="start",
        )
    calendar = calendar or operating_calendar()
    candidates = dict(candidates or forecasting.default_candidates(calendar))
    check = min(horizon_days, 28)  # models are compared on up to four weeks ahead
    try:
        choice = forecasting.select_model(
            history, candidates, check, n_origins=origins, events=events, progress=progress
        )
        model = candidates[choice.best].clone().fit(history, events)
        forecast = model.predict(horizon_days, start=start)
    except ValueError as exc:
        raise InvalidInput(
            _("Non è stato possibile fare la previsione: %(reason)s.") % {"reason": exc},
            field="history",
        ) from exc
    summary = choice.summary
    first_day = min(sf.dates[0] for sf in forecast.series.values()).date()
    frame = forecast.frame
    frame = frame[frame["open"]]
    zone = timezone.get_current_timezone()
    with transaction.atomic():
        run = ForecastRun.objects.create(
            created_by=actor,
            source=source,
            interval_minutes=interval_minutes,
            history_start=_aware(history["ds"].min(), zone),
            history_end=_aware(history["ds"].max(), zone),
            horizon_start=_aware(pd.Timestamp(first_day), zone),
            horizon_end=_aware(pd.Timestamp(first_day + timedelta(days=horizon_days - 1)), zone),
            model_name=choice.best,
            mase=_finite(summary.loc[choice.best, "mase"]),
            rmse=_finite(summary.loc[choice.best, "rmse"]),
            candidates=[
                {
                    "model": str(name),
                    **{
                        k: _finite(row[k])
                        for k in ("mase", "rmse", "coverage80", "coverage95", "seconds")
                    },
                    "folds": int(row["folds"]) if math.isfinite(row["folds"]) else 0,
                    "error": str(row["error"] or ""),
                }
                for name, row in summary.iterrows()
            ],
            notes=_forecast_facts(model, choice),
            totals={freq: _totals(forecast.aggregate(freq)) for freq in ("D", "W", "M")},
        )
        ForecastPoint.objects.bulk_create(
            (
                ForecastPoint(
                    run=run,
                    series=str(row.series_id),
                    start=_aware(row.ds, zone),
                    calls=float(row.yhat),
                    lo80=float(row.lo80),
                    hi80=float(row.hi80),
                    lo95=float(row.lo95),
                    hi95=float(row.hi95),
                )
                for row in frame.itertuples(index=False)
            ),
            batch_size=5000,
        )
    return run


def _forecast_facts(model: Forecaster, choice: forecasting.ModelSelection) -> list[dict[str, Any]]:
    """What the run noticed, as data (rendered in the reader's language by `forecast_notes`)."""
    facts: list[dict[str, Any]] = []
    for sid, state in model.series_.items():
        data = state.data
        if data.opened:
            facts.append(
                {"kind": "opened", "series": str(sid), "days": [d.isoformat() for d in data.opened]}
            )
        if data.ignored:
            facts.append(
                {
                    "kind": "ignored",
                    "series": str(sid),
                    "days": [d.isoformat() for d in data.ignored],
                }
            )
        if data.open_on_holidays:
            facts.append({"kind": "open_on_holidays", "series": str(sid)})
    for cutoff, reason in choice.dropped:
        facts.append(
            {"kind": "dropped_fold", "cutoff": cutoff.date().isoformat(), "reason": reason}
        )
    for name, row in choice.summary.iterrows():
        if row["error"]:
            facts.append({"kind": "not_eligible", "model": str(name), "reason": str(row["error"])})
    return facts


def forecast_notes(run: ForecastRun) -> list[str]:
    """The run's notes as sentences in the active language."""
    out = []
    for fact in run.notes:
        kind = fact.get("kind")
        if kind in {"opened", "ignored"}:
            days = [date.fromisoformat(d) for d in fact["days"]]
            shown = ", ".join(d.strftime("%d/%m/%Y") for d in days[:10])
            more = len(days) - 10
            if more > 0:
                shown += " " + _("e altri %(n)d") % {"n": more}
            template = (
                _(
                    "Serie %(series)s: chiamate in %(n)d giorni che il calendario dà chiusi "
                    "(%(days)s); trattati come giorni di apertura."
                )
                if kind == "opened"
                else _(
                    "Serie %(series)s: poche chiamate in %(n)d giorni che il calendario dà "
                    "chiusi (%(days)s); non considerate."
                )
            )
            out.append(template % {"series": fact["series"], "n": len(days), "days": shown})
        elif kind == "open_on_holidays":
            out.append(
                _(
                    "Serie %(series)s: ha risposto nella maggior parte dei giorni festivi: i "
                    "festivi futuri sono previsti aperti."
                )
                % {"series": fact["series"]}
            )
        elif kind == "dropped_fold":
            out.append(
                _(
                    "Il confronto con origine il %(day)s è stato escluso: nessuna chiamata "
                    "nei giorni da prevedere."
                )
                % {"day": date.fromisoformat(fact["cutoff"]).strftime("%d/%m/%Y")}
            )
        elif kind == "not_eligible":
            out.append(
                _("Il modello %(model)s è stato escluso: %(reason)s.")
                % {"model": fact["model"], "reason": fact["reason"]}
            )
    return out


def _finite(value: Any) -> float | None:
    """A float fit for JSON: a candidate that failed scores infinity, which PostgreSQL's jsonb
    (and JSON itself) cannot hold; it is stored as null."""
    number = float(value)
    return number if math.isfinite(number) else None


def _totals(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Per-period totals as JSON rows: the intervals of a sum are not the sum of intervals, so
    they are kept as the forecaster computed them (from summed sample paths)."""
    return [
        {
            "series": str(row.series_id),
            "start": pd.Timestamp(row.ds).date().isoformat(),
            "days": int(row.days),
            **{
                k: round(float(getattr(row, k)), 2)
                for k in ("yhat", "lo80", "hi80", "lo95", "hi95")
            },
        }
        for row in frame.itertuples(index=False)
    ]


def _aware(moment: Any, zone: Any) -> datetime:
    value = pd.Timestamp(moment).to_pydatetime()
    return timezone.make_aware(value, zone) if timezone.is_naive(value) else value


@dataclass(frozen=True)
class StaffingTargets:
    """What the contact center promises: `service_level` of calls answered within
    `target_seconds`, occupancy at most `max_occupancy`, `shrinkage` of rostered time lost to
    breaks, training and absence; `aht_seconds` is the average handling time and
    `patience_seconds` the callers' mean patience (None: Erlang C, no abandonment)."""

    aht_seconds: float
    service_level: float = 0.8
    target_seconds: float = 20.0
    max_occupancy: float = 0.85
    shrinkage: float = 0.30
    patience_seconds: float | None = None


def measured_targets(since: datetime, **overrides: Any) -> StaffingTargets:
    """Targets with the handling time and patience measured on calls since `since`.

    Patience is the maximum-likelihood mean of exponential patience from censored waits (an
    abandoned call shows its caller's patience, an answered one only that it was longer): all
    waiting time divided by the number of abandonments, as `staffing.estimate_patience`
    computes, here with two sums instead of a million rows.
    """
    stats = CallRecord.objects.filter(arrived_at__gte=since).aggregate(
        talk=Avg("talk_seconds", filter=Q(abandoned=False)),
        waited=Sum("wait_seconds"),
        abandoned=Count("id", filter=Q(abandoned=True)),
    )
    aht = float(stats["talk"] or 0) or 277.0  # the city's 4 min 37 s when nothing is measured
    patience = stats["waited"] / stats["abandoned"] if stats["abandoned"] else None
    values: dict[str, Any] = {"aht_seconds": aht, "patience_seconds": patience}
    values.update({k: v for k, v in overrides.items() if v is not None})
    return StaffingTargets(**values)


def compute_staffing(run: ForecastRun, targets: StaffingTargets) -> StaffingRequirement:
    """Operators required in every interval of the run (Erlang A when patience is known, else
    Erlang C), stored on its points; returns the requirement arrays in point order."""
    points = list(run.points.order_by("series", "start"))
    if not points:
        raise InvalidInput(
            _("La previsione n. %(run)s non ha punti.") % {"run": run.pk}, field="run"
        )
    requirement = staffing.agents_required(
        np.array([p.calls for p in points]),
        run.interval_minutes * 60,
        targets.aht_seconds,
        service_level=targets.service_level,
        target_seconds=targets.target_seconds,
        max_occupancy=targets.max_occupancy,
        shrinkage=targets.shrinkage,
        patience_seconds=targets.patience_seconds,
    )
    for point, agents, rostered in zip(
        points, requirement.agents, requirement.scheduled, strict=True
    ):
        point.agents, point.rostered = int(agents), int(rostered)
    with transaction.atomic():
        ForecastPoint.objects.bulk_update(points, ["agents", "rostered"], batch_size=2000)
        run.staffing = {
            k: v for k, v in vars(targets).items() if v is None or isinstance(v, int | float)
        } | {"model": requirement.model}
        run.save(update_fields=["staffing"])
    return requirement


# Paid hours cost the same whatever the shift: 25 EUR an hour, a contact-center operator's
# loaded cost; what matters to the solver is that a longer shift costs more.
HOURLY_COST = 25.0
DEFAULT_TEMPLATES = (
    scheduling.ShiftTemplate(
        "6h", 6 * 60, break_minutes=15, break_earliest=120, break_latest=240, cost=6 * HOURLY_COST
    ),
    scheduling.ShiftTemplate(
        "8h", 8 * 60, break_minutes=30, break_earliest=180, break_latest=300, cost=8 * HOURLY_COST
    ),
)


def make_shift_plan(
    run: ForecastRun,
    week_start: date,
    *,
    templates: Sequence[scheduling.ShiftTemplate] | None = None,
    pools: Sequence[scheduling.OperatorPool] | None = None,
    time_limit_seconds: float = 30.0,
) -> scheduling.ShiftPlan:
    """A week's shift plan covering the run's rostered operators (summed over its series), from
    `week_start` (a Monday); the operators in turn are stored on the points, which is where
    callback slots find spare capacity."""
    if week_start.weekday() != 0:
        raise InvalidInput(
            _("Il %(day)s non è un lunedì: un piano va da lunedì a domenica.")
            % {"day": f"{week_start:%d/%m/%Y}"},
            field="week",
        )
    if run.interval_minutes != 15:
        raise InvalidInput(
            _("Il piano dei turni richiede una previsione a intervalli di 15 minuti."), field="run"
        )
    zone = timezone.get_current_timezone()
    since = datetime.combine(week_start, time.min, tzinfo=zone)
    points = list(run.points.filter(start__gte=since, start__lt=since + timedelta(days=7)))
    if not points or any(p.rostered is None for p in points):
        raise InvalidInput(
            _(
                "La previsione n. %(run)s non ha il fabbisogno di operatori per la settimana del "
                "%(day)s: calcolalo prima (staffing)."
            )
            % {"run": run.pk, "day": f"{week_start:%d/%m/%Y}"},
            field="run",
        )
    requirement = np.zeros((7, 96), dtype=np.int64)
    cells: dict[tuple[int, int], list[ForecastPoint]] = {}
    for point in points:
        local = timezone.localtime(point.start, zone)
        cell = ((local.date() - week_start).days, (local.hour * 60 + local.minute) // 15)
        requirement[cell] += point.rostered or 0
        cells.setdefault(cell, []).append(point)
    pools = pools or (scheduling.OperatorPool("on_site", int(requirement.max() * 3) + 5),)
    plan = scheduling.plan_shifts(
        requirement,
        templates or DEFAULT_TEMPLATES,
        pools,
        interval_minutes=15,
        time_limit_seconds=time_limit_seconds,
    )
    for (day, slot), members in cells.items():
        # Several series share the plan: operators in turn go to the first series' point.
        for i, point in enumerate(sorted(members, key=lambda p: p.series)):
            point.scheduled = int(plan.coverage[day, slot]) if i == 0 else 0
    ForecastPoint.objects.bulk_update(points, ["scheduled"], batch_size=2000)
    return plan


def forecast_calls(
    *,
    horizon_days: int = 28,
    interval_minutes: int = 15,
    history_days: int = 365,
    actor: User | None = None,
    progress: Callable[[str], None] | None = None,
) -> ForecastRun:
    """Forecast the line's calls from today, learning from the call records of the last
    `history_days` up to yesterday, with the campaigns' known events and the stored calendar,
    as `python -m ascolto forecast` does with its defaults (the supervisor's page starts one
    this way)."""
    if not 28 <= history_days <= 3 * 365:
        raise InvalidInput(_("Lo storico va da 28 giorni a 3 anni."), field="history_days")
    today = timezone.localdate()
    start = today - timedelta(days=history_days)
    data = arrivals.call_arrivals(
        start, today - timedelta(days=1), interval_minutes=interval_minutes
    )
    if data.empty:
        raise InvalidInput(
            _("Non ci sono chiamate registrate negli ultimi %(days)d giorni da cui imparare.")
            % {"days": history_days},
            field="history",
        )
    events = arrivals.campaign_events(start, today + timedelta(days=horizon_days))
    return run_forecast(
        data,
        horizon_days=horizon_days,
        interval_minutes=interval_minutes,
        source=ForecastRun.Source.CALL_RECORDS,
        events=events,
        start=today,
        actor=actor,
        progress=progress,
    )


def request_forecast(
    *, horizon_days: int, interval_minutes: int, actor: User | None
) -> tuple[ForecastJob, bool]:
    """Record a forecast to be made in the background (`run_forecast_job`) and enqueue it once
    the request's transaction commits. Returns the job and whether it is new: a job already
    queued or running is returned instead of starting a second one."""
    if not 1 <= horizon_days <= 186 or interval_minutes not in arrivals.INTERVALS:
        raise InvalidInput(
            _("Scegli un orizzonte da 1 a 186 giorni e un intervallo di 15, 30 o 60 minuti."),
            field="horizon",
        )
    from ascolto.contactcenter.tasks import forecast_job_task

    with transaction.atomic():
        active = (
            ForecastJob.objects.select_for_update()
            .filter(status__in=[ForecastJob.Status.QUEUED, ForecastJob.Status.RUNNING])
            .first()
        )
        if active is not None:
            return active, False
        job = ForecastJob.objects.create(
            requested_by=actor,
            horizon_days=horizon_days,
            interval_minutes=interval_minutes,
            steps=len(forecasting.default_candidates()) + 1,
        )
        transaction.on_commit(lambda: forecast_job_task.enqueue(job.pk))
    return job, True


def run_forecast_job(job_id: int) -> ForecastJob:
    """Make the forecast of a job, then the operators it requires (`compute_staffing` with the
    targets measured on the last 90 days), updating the job's progress as each candidate model
    is compared. A refusal (no calls, too little history) is stored on the job as its reason;
    an unexpected error marks it failed and is raised for the worker to log."""
    job = ForecastJob.objects.select_related("requested_by").get(pk=job_id)
    if not job.active:
        return job
    job.status, job.started_at, job.step = ForecastJob.Status.RUNNING, timezone.now(), 0
    job.save(update_fields=["status", "started_at", "step"])

    def advance(name: str) -> None:
        job.step += 1
        job.doing = name
        ForecastJob.objects.filter(pk=job.pk).update(step=job.step, doing=name)

    try:
        run = forecast_calls(
            horizon_days=job.horizon_days,
            interval_minutes=job.interval_minutes,
            actor=job.requested_by,
            progress=advance,
        )
        advance(_("operatori necessari"))
        compute_staffing(run, measured_targets(timezone.now() - timedelta(days=90)))
    except DomainError as exc:
        _finish(job, ForecastJob.Status.FAILED, error=exc.message)
        return job
    except Exception:
        _finish(job, ForecastJob.Status.FAILED, error=_("errore inatteso, registrato nel log"))
        raise
    _finish(job, ForecastJob.Status.DONE, run=run)
    return job


def _finish(
    job: ForecastJob, status: str, *, error: str = "", run: ForecastRun | None = None
) -> None:
    job.status, job.error, job.run, job.finished_at = status, error, run, timezone.now()
    job.save(update_fields=["status", "error", "run", "finished_at"])
