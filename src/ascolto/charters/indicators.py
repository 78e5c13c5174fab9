"""The quality indicators of the service charters, measured from real data: each formula of
`QualityIndicator.Formula` is one aggregate query over the cases (`tickets.Ticket`), the calls
(`contactcenter.CallRecord`) or the survey answers (`surveys.Response`) of a period. Nothing is
typed in: a value is computed when it is asked for (decision 0024). docs/charters.md defines
every formula and its parameters.

- `validate_parameters(formula, parameters)`: the parameters a formula takes, checked and
  normalised (an `InvalidInput` in Italian naming what is wrong);
- `measure(indicator, period)`: one `Measurement` (value, numerator, denominator, n, met);
- `trend(indicator, today)`: the last 12 months, 4 quarters or 3 years, oldest first;
- `latest_period(indicator, today)`: the last complete period of the indicator's frequency.

The cases counted are those opened in the period and not cancelled or merged into another
(`analytics.queries.cases_in` and `counted`: the reports' rule), of the theme given (with its
sub-themes), of the kinds and channels given when any. "Within N days" is strictly less than N
days after the case was opened (`analytics.queries.resolved_within`), in calendar days, or with
`working_days` in working days as the SLA counts them (`tickets.sla.due_at`: N working days
after the day of opening, at the same time; weekends and the municipality's holidays skipped).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import (
    Avg,
    Case,
    Count,
    DurationField,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import CombinedExpression
from django.utils import timezone
from django.utils.translation import gettext as _

from ascolto.analytics.period import Period
from ascolto.analytics.queries import calls_in, cases_in, counted, resolution_time, resolved
from ascolto.channels.models import Channel
from ascolto.charters.models import QualityIndicator
from ascolto.contactcenter.models import CallRecord
from ascolto.core.calendar import is_working_day
from ascolto.core.errors import InvalidInput
from ascolto.surveys.models import Response, Service, Survey
from ascolto.tickets.models import Theme, Ticket

Formula = QualityIndicator.Formula
MAX_DAYS = 365
TREND_LENGTH = {"month": 12, "quarter": 4, "year": 3}

# Which parameters each formula takes; `days` is required where listed.
CASE_FILTERS = ("theme", "kinds", "channels")
PARAMETERS: dict[str, tuple[str, ...]] = {
    Formula.ANSWERED_WITHIN: (*CASE_FILTERS, "days", "working_days"),
    Formula.RESOLVED_WITHIN: (*CASE_FILTERS, "days", "working_days"),
    Formula.MEAN_RESOLUTION: CASE_FILTERS,
    Formula.COMPLAINT_SHARE: ("theme", "channels"),
    Formula.QUEUE_WAIT: ("queues",),
    Formula.CALLS_ANSWERED: ("queues",),
    Formula.CALLS_ABANDONED: ("queues",),
    Formula.CSAT: ("service", "survey"),
    Formula.SATISFIED_SHARE: ("service", "survey"),
    Formula.NPS: ("service", "survey"),
}
WITHIN = (Formula.ANSWERED_WITHIN, Formula.RESOLVED_WITHIN)
# The unit a formula's value is in, when the indicator names none.
UNITS: dict[str, str] = {
    Formula.ANSWERED_WITHIN: "%",
    Formula.RESOLVED_WITHIN: "%",
    Formula.MEAN_RESOLUTION: "giorni",
    Formula.COMPLAINT_SHARE: "%",
    Formula.QUEUE_WAIT: "s",
    Formula.CALLS_ANSWERED: "%",
    Formula.CALLS_ABANDONED: "%",
    Formula.CSAT: "su 5",
    Formula.SATISFIED_SHARE: "%",
    Formula.NPS: "",
}


@dataclass(frozen=True)
class Measurement:
    """An indicator's value over one period. For a share, `numerator` of `denominator` (both
    counts) and the value in percent; for a mean, the sum over `denominator` items. `n` is how
    many cases, calls or answers the value stands on; `met` whether the target is reached (None
    when there is nothing to measure)."""

    period: Period
    value: float | None
    numerator: float
    denominator: int
    n: int
    met: bool | None


# --- Parameters -------------------------------------------------------------------------------


def validate_parameters(formula: str, parameters: Any) -> dict[str, Any]:
    """`parameters` checked for `formula` and normalised (lists sorted and without repeats,
    codes lowercase); refuses unknown formulas, parameters the formula does not take, unknown
    themes, kinds, channels and services, and a number of days out of 1–365."""
    if formula not in PARAMETERS:
        raise InvalidInput(_("Scegli una formula tra quelle proposte."), field="formula")
    if parameters is None:
        parameters = {}
    if not isinstance(parameters, dict):
        raise InvalidInput(
            _('I parametri sono un oggetto JSON, per esempio {"days": 30}.'), field="parameters"
        )
    allowed = PARAMETERS[formula]
    extra = sorted(set(parameters) - set(allowed))
    if extra:
        raise InvalidInput(
            _("La formula non prevede i parametri %(names)s; prevede: %(allowed)s.")
            % {"names": ", ".join(extra), "allowed": ", ".join(allowed)},
            field="parameters",
        )
    out: dict[str, Any] = {}
    theme = parameters.get("theme")
    if theme:
        if not isinstance(theme, str) or not Theme.objects.filter(code=theme).exists():
            raise InvalidInput(
                _("Il tema «%(code)s» non esiste.") % {"code": theme}, field="parameters"
            )
        out["theme"] = theme
    if parameters.get("kinds"):
        out["kinds"] = _choices(parameters["kinds"], Ticket.Kind.values, _("tipo di richiesta"))
    if parameters.get("channels"):
        out["channels"] = _choices(parameters["channels"], Channel.Kind.values, _("canale"))
    if formula in WITHIN:
        days = parameters.get("days")
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
            raise InvalidInput(
                _("Indica i giorni («days») con un numero intero da 1 a %(max)d.")
                % {"max": MAX_DAYS},
                field="parameters",
            )
        out["days"] = days
        working = parameters.get("working_days", False)
        if not isinstance(working, bool):
            raise InvalidInput(
                _("«working_days» è true (giorni lavorativi) o false (giorni di calendario)."),
                field="parameters",
            )
        out["working_days"] = working
    if "queues" in allowed:
        queues = parameters.get("queues") or []
        if not isinstance(queues, list) or not all(isinstance(q, str) and q for q in queues):
            raise InvalidInput(
                _('Le code («queues») sono un elenco di nomi, per esempio ["anagrafe"].'),
                field="parameters",
            )
        if queues:
            out["queues"] = sorted(set(queues))
    for name, model, label in (
        ("service", Service, _("servizio")),
        ("survey", Survey, _("questionario")),
    ):
        code = parameters.get(name)
        if code:
            if not isinstance(code, str) or not model.objects.filter(code=code).exists():
                raise InvalidInput(
                    _("Il %(what)s «%(code)s» non esiste.") % {"what": label, "code": code},
                    field="parameters",
                )
            out[name] = code
    return out


def _choices(values: Any, known: list[str], label: str) -> list[str]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise InvalidInput(
            _("Il parametro «%(label)s» è un elenco di codici.") % {"label": label},
            field="parameters",
        )
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise InvalidInput(
            _("Valori sconosciuti per %(label)s: %(values)s (ammessi: %(known)s).")
            % {"label": label, "values": ", ".join(unknown), "known": ", ".join(known)},
            field="parameters",
        )
    return sorted(set(values))


# --- Periods ----------------------------------------------------------------------------------


def period_containing(frequency: str, day: date) -> Period:
    if frequency == QualityIndicator.Frequency.YEAR:
        return Period.year(day.year)
    if frequency == QualityIndicator.Frequency.QUARTER:
        return Period.quarter(day.year, (day.month - 1) // 3 + 1)
    return Period.month(day.year, day.month)


def latest_period(indicator: QualityIndicator, today: date | None = None) -> Period:
    """The last complete period of the indicator's frequency before `today` (local date)."""
    today = today or timezone.localdate()
    current = period_containing(indicator.period, today)
    return period_containing(indicator.period, current.start - timedelta(days=1))


def periods(indicator: QualityIndicator, today: date | None = None) -> list[Period]:
    """The periods of the trend, oldest first, the last being `latest_period`."""
    out = [latest_period(indicator, today)]
    for _i in range(TREND_LENGTH[indicator.period] - 1):
        out.append(period_containing(indicator.period, out[-1].start - timedelta(days=1)))
    return out[::-1]


# --- Measuring --------------------------------------------------------------------------------


def measure(indicator: QualityIndicator, period: Period) -> Measurement:
    """The indicator's value over `period`, computed now from the data."""
    parameters = indicator.parameters or {}
    numerator, denominator, value = MEASURES[indicator.formula](indicator, parameters, period)
    met = None
    if value is not None:
        at_least = indicator.direction == QualityIndicator.Direction.AT_LEAST
        met = value >= indicator.target if at_least else value <= indicator.target
    return Measurement(
        period=period,
        value=None
        if value is None
        else round(value, 2 if indicator.formula == Formula.CSAT else 1),
        numerator=numerator,
        denominator=denominator,
        n=denominator,
        met=met,
    )


def trend(indicator: QualityIndicator, today: date | None = None) -> list[Measurement]:
    return [measure(indicator, period) for period in periods(indicator, today)]


def unit(indicator: QualityIndicator) -> str:
    return indicator.unit or UNITS.get(indicator.formula, "")


Result = tuple[float, int, float | None]


def _percent(part: int, whole: int) -> Result:
    return float(part), whole, (100.0 * part / whole if whole else None)


def _cases(parameters: dict[str, Any], period: Period) -> QuerySet[Ticket]:
    cases = cases_in(period).filter(counted())
    theme = parameters.get("theme")
    if theme:
        path = Theme.objects.filter(code=theme).values_list("path", flat=True).first() or "-"
        cases = cases.filter(theme__path__startswith=path)
    if parameters.get("kinds"):
        cases = cases.filter(kind__in=parameters["kinds"])
    if parameters.get("channels"):
        cases = cases.filter(channel__kind__in=parameters["channels"])
    return cases


def working_offset(opened: date, days: int) -> int:
    """Calendar days from a case opened on `opened` to its deadline `days` working days later
    (`tickets.sla.due_at`'s count)."""
    current, remaining = opened, days
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return (current - opened).days


def deadline(parameters: dict[str, Any], period: Period) -> F | CombinedExpression:
    """When a case opened in `period` must have been answered or resolved, as an SQL
    expression: its opening plus N days, or plus the calendar days that make N working days
    from its opening day (one `WHEN` per run of opening days with the same offset)."""
    days = int(parameters["days"])
    if not parameters.get("working_days"):
        return F("created_at") + timedelta(days=days)
    runs: list[list[Any]] = []  # [first day, last day, offset]
    day = period.start
    while day <= period.end:
        offset = working_offset(day, days)
        if runs and runs[-1][2] == offset:
            runs[-1][1] = day
        else:
            runs.append([day, day, offset])
        day += timedelta(days=1)
    whens = [
        When(
            created_at__gte=Period(first, last).since,
            created_at__lt=Period(first, last).until,
            then=Value(timedelta(days=offset)),
        )
        for first, last, offset in runs
    ]
    return F("created_at") + Case(
        *whens, default=Value(timedelta(days=days)), output_field=DurationField()
    )


def _answered_within(indicator: QualityIndicator, p: dict[str, Any], period: Period) -> Result:
    """Answered: the first reply to the citizen (`first_response_at`) or the resolution, whichever
    came first (a case resolved on the phone is answered in the call)."""
    due = deadline(p, period)
    answered = Q(first_response_at__lt=due) | Q(resolved_at__lt=due, parent__isnull=True)
    row = _cases(p, period).aggregate(n=Count("id"), within=Count("id", filter=answered))
    return _percent(row["within"], row["n"])


def _resolved_within(indicator: QualityIndicator, p: dict[str, Any], period: Period) -> Result:
    within = resolved() & Q(resolved_at__lt=deadline(p, period))
    row = _cases(p, period).aggregate(n=Count("id"), within=Count("id", filter=within))
    return _percent(row["within"], row["n"])


def _mean_resolution(indicator: QualityIndicator, p: dict[str, Any], period: Period) -> Result:
    """Over the cases opened in the period and resolved by now, in days."""
    row = _cases(p, period).filter(resolved()).aggregate(n=Count("id"), mean=Avg(resolution_time()))
    if not row["n"] or row["mean"] is None:
        return 0.0, 0, None
    mean = row["mean"].total_seconds() / 86400
    return mean * row["n"], row["n"], mean


def _complaint_share(indicator: QualityIndicator, p: dict[str, Any], period: Period) -> Result:
    complaint = Q(kind=Ticket.Kind.COMPLAINT)
    row = _cases(p, period).aggregate(n=Count("id"), complaints=Count("id", filter=complaint))
    return _percent(row["complaints"], row["n"])


def _calls(p: dict[str, Any], period: Period) -> QuerySet[CallRecord]:
    calls = calls_in(period)
    if p.get("queues"):
        calls = calls.filter(queue__in=p["queues"])
    return calls


def _queue_wait(indicator: QualityIndicator, p: dict[str, Any], period: Period) -> Result:
    """Seconds in the queue of the answered calls (the monthly report's mean wait)."""
    row = (
        _calls(p, period)
        .filter(abandoned=False)
        .aggregate(n=Count("id"), wait=Sum("wait_seconds", default=0))
    )
    return float(row["wait"]), row["n"], (row["wait"] / row["n"] if row["n"] else None)


def _calls_answered(indicator: QualityIndicator, p: dict[str, Any], period: Period) -> Result:
    row = _calls(p, period).aggregate(n=Count("id"), a=Count("id", filter=Q(abandoned=False)))
    return _percent(row["a"], row["n"])


def _calls_abandoned(indicator: QualityIndicator, p: dict[str, Any], period: Period) -> Result:
    row = _calls(p, period).aggregate(n=Count("id"), a=Count("id", filter=Q(abandoned=True)))
    return _percent(row["a"], row["n"])


def _responses(
    indicator: QualityIndicator, p: dict[str, Any], period: Period, field: str
) -> QuerySet[Response]:
    """The answers of the period about the service (the parameter's, else the charter's), that
    gave the figure `field`, of the survey given if any."""
    answers = Response.objects.filter(
        submitted_at__gte=period.since,
        submitted_at__lt=period.until,
        **{f"{field}__isnull": False},
    )
    if p.get("service"):
        answers = answers.filter(service__code=p["service"])
    else:
        answers = answers.filter(service_id=indicator.charter.service_id)
    if p.get("survey"):
        answers = answers.filter(survey__code=p["survey"])
    return answers


def _csat(indicator: QualityIndicator, p: dict[str, Any], period: Period) -> Result:
    row = _responses(indicator, p, period, "csat").aggregate(
        n=Count("id"), total=Sum("csat", default=0)
    )
    return float(row["total"]), row["n"], (row["total"] / row["n"] if row["n"] else None)


def _satisfied_share(indicator: QualityIndicator, p: dict[str, Any], period: Period) -> Result:
    row = _responses(indicator, p, period, "csat").aggregate(
        n=Count("id"), ok=Count("id", filter=Q(csat__gte=4))
    )
    return _percent(row["ok"], row["n"])


def _nps(indicator: QualityIndicator, p: dict[str, Any], period: Period) -> Result:
    """Promoters (9–10) less detractors (0–6), in points of the answers (−100 to 100)."""
    row = _responses(indicator, p, period, "nps").aggregate(
        n=Count("id"),
        promoters=Count("id", filter=Q(nps__gte=9)),
        detractors=Count("id", filter=Q(nps__lte=6)),
    )
    net = row["promoters"] - row["detractors"]
    return float(net), row["n"], (100.0 * net / row["n"] if row["n"] else None)


MEASURES: dict[str, Callable[[QualityIndicator, dict[str, Any], Period], Result]] = {
    Formula.ANSWERED_WITHIN: _answered_within,
    Formula.RESOLVED_WITHIN: _resolved_within,
    Formula.MEAN_RESOLUTION: _mean_resolution,
    Formula.COMPLAINT_SHARE: _complaint_share,
    Formula.QUEUE_WAIT: _queue_wait,
    Formula.CALLS_ANSWERED: _calls_answered,
    Formula.CALLS_ABANDONED: _calls_abandoned,
    Formula.CSAT: _csat,
    Formula.SATISFIED_SHARE: _satisfied_share,
    Formula.NPS: _nps,
}
