"""The monthly report (020202 and Scrivi, and every other channel) for any period.

Every figure is one or a few aggregate queries; docs/reports.md defines each one precisely.
Nothing here loops over cases or calls in Python: loops run over the few rows an aggregate
returns (channels, areas, months).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext

from ascolto.analytics import contacts, summaries
from ascolto.analytics.models import CallDay, CaseDay
from ascolto.analytics.period import Period
from ascolto.analytics.tables import Dashboard, Figure, Table, share
from ascolto.analytics.taxonomy import NO_AREA, area_name, area_of, areas
from ascolto.channels.models import Channel
from ascolto.contactcenter.models import CallRecord
from ascolto.organisation.models import Office
from ascolto.tickets.models import Theme, Ticket

# Resolution-time buckets: (key, label, upper bound in days; None = no bound).
BUCKETS: tuple[tuple[str, str, int | None], ...] = (
    ("day", gettext_noop("Entro un giorno"), 1),
    ("week", gettext_noop("Entro una settimana"), 7),
    ("month", gettext_noop("Entro un mese"), 30),
    ("quarter", gettext_noop("Entro un trimestre"), 90),
    ("over", gettext_noop("Oltre 90 giorni"), None),
)
REPEAT_THRESHOLD = 2  # "more than twice"
TOP_TOPICS = 10

_KIND_LABELS = dict(Channel.Kind.choices)


def cases_in(period: Period) -> QuerySet[Ticket]:
    return Ticket.objects.filter(created_at__gte=period.since, created_at__lt=period.until)


def calls_in(period: Period) -> QuerySet[CallRecord]:
    return CallRecord.objects.filter(arrived_at__gte=period.since, arrived_at__lt=period.until)


def counted() -> Q:
    """Cases that count in shares: not cancelled, not merged into another."""
    return ~Q(status=Ticket.Status.CANCELLED) & Q(parent__isnull=True)


def resolved() -> Q:
    return Q(resolved_at__isnull=False) & Q(parent__isnull=True)


def bucket_of() -> Case:
    """The resolution-time bucket of a resolved case, as an SQL expression."""
    whens = [
        When(resolved_at__lt=F("created_at") + timedelta(days=days), then=Value(key))
        for key, _label, days in BUCKETS
        if days is not None
    ]
    return Case(*whens, default=Value(BUCKETS[-1][0]), output_field=CharField())


def resolution_time() -> ExpressionWrapper[CombinedExpression]:
    return ExpressionWrapper(F("resolved_at") - F("created_at"), output_field=DurationField())


def days(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / 86400, 1)


@dataclass
class CallFigures:
    offered: int = 0
    answered: int = 0
    answer_rate: float | None = None
    mean_wait: float | None = None  # seconds, answered calls
    mean_wait_all: float | None = None  # seconds, every call (abandoned ones too)
    mean_talk: float | None = None  # seconds, answered calls


@dataclass
class MonthlyReport:
    """The figures of one period; every share is a percentage (0–100) rounded to 0.1."""

    period: Period
    ytd_by_channel: dict[str, int] = field(default_factory=dict)
    cases_by_channel: dict[str, int] = field(default_factory=dict)
    cases: int = 0
    counted: int = 0
    resolved: int = 0
    resolved_share: float | None = None
    calls: CallFigures = field(default_factory=CallFigures)
    callers: int = 0
    repeat_callers: int = 0
    repeat_callers_share: float | None = None
    repeat_same_area: int = 0
    repeat_same_area_share: float | None = None
    repeat_window: Period | None = None
    buckets: dict[str, dict[str, int]] = field(default_factory=dict)  # channel kind → bucket → n
    areas: list[tuple[str, str, int, float | None]] = field(default_factory=list)
    top_topics: list[tuple[str, str, int, float | None]] = field(default_factory=list)
    levels: dict[int, int] = field(default_factory=dict)  # resolved cases per level
    first_level_share: float | None = None  # of all counted cases: never at the second level
    offices: list[tuple[str, int, int, int]] = field(default_factory=list)
    months: list[dict[str, Any]] = field(default_factory=list)
    comparison: dict[str, Any] = field(default_factory=dict)

    def bucket_shares(self, kind: str = "") -> dict[str, float | None]:
        counts = self.bucket_counts(kind)
        total = sum(counts.values())
        return {key: share(n, total) for key, n in counts.items()}

    def bucket_counts(self, kind: str = "") -> dict[str, int]:
        kinds = [kind] if kind else list(self.buckets)
        return {k: sum(self.buckets.get(c, {}).get(k, 0) for c in kinds) for k, _l, _d in BUCKETS}


def case_days(period: Period) -> QuerySet[CaseDay]:
    """The daily case summaries of the period (call `summaries.refresh()` first)."""
    return CaseDay.objects.filter(day__gte=period.start, day__lte=period.end)


def call_days(period: Period) -> QuerySet[CallDay]:
    return CallDay.objects.filter(day__gte=period.start, day__lte=period.end)


def _ratio(total: int | None, n: int | None) -> float | None:
    return None if not n else round(float(total or 0) / n, 1)


def call_figures(period: Period) -> CallFigures:
    row = call_days(period).aggregate(
        t_offered=Sum("offered", default=0),
        t_answered=Sum("answered", default=0),
        t_wait=Sum("wait_answered", default=0),
        t_wait_all=Sum("wait_all", default=0),
        t_talk=Sum("talk", default=0),
    )
    return CallFigures(
        offered=row["t_offered"],
        answered=row["t_answered"],
        answer_rate=share(row["t_answered"], row["t_offered"]),
        mean_wait=_ratio(row["t_wait"], row["t_answered"]),
        mean_wait_all=_ratio(row["t_wait_all"], row["t_offered"]),
        mean_talk=_ratio(row["t_talk"], row["t_answered"]),
    )


def repeat_window(period: Period) -> Period:
    """Over which days the repeat-contact figures count: "in the year", as the city's report
    says — from 1 January of the period's last day to that day, whatever the period."""
    return period.year_to_date()


def repeat_contacts(period: Period) -> tuple[int, int, int]:
    """(callers, callers with more than two calls, callers with more than two phone cases in
    one area) in the year to date of the period's end, from the per-year contact table
    (`exact_repeat_contacts` counts the same from the calls and cases, over any period)."""
    return contacts.repeat_to_date(repeat_window(period))


def exact_repeat_contacts(period: Period) -> tuple[int, int, int]:
    """The repeat-contact figures over exactly `period`, from the calls and cases."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # A year has ~600,000 callers: with PostgreSQL's default 4 MB the grouping spills
            # to disk and takes four times as long. For this transaction only.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL work_mem = '64MB'")
        return _repeat_contacts(period)


def _repeat_contacts(period: Period) -> tuple[int, int, int]:
    per_caller = (
        calls_in(period)
        .filter(caller__isnull=False)
        .values("caller_id")
        .annotate(n=Count("id"))
        .aggregate(
            callers=Count("caller_id"),
            repeat=Count("caller_id", filter=Q(n__gt=REPEAT_THRESHOLD)),
        )
    )
    phone = list(Channel.objects.filter(kind=Channel.Kind.PHONE).values_list("pk", flat=True))
    cases = cases_in(period).filter(channel_id__in=phone, identity__isnull=False)
    # Only identities with more than two phone cases at all can have more than two in one
    # area: the per-area grouping (and its CASE over the theme) runs on those alone.
    frequent = (
        cases.values("identity_id").annotate(n=Count("id")).filter(n__gt=REPEAT_THRESHOLD)
    ).values("identity_id")
    same_area = (
        cases.filter(identity_id__in=frequent)
        .annotate(area=area_of())
        .values("identity_id", "area")
        .annotate(n=Count("id"))
        .filter(n__gt=REPEAT_THRESHOLD)
        .aggregate(identities=Count("identity_id", distinct=True))
    )
    return per_caller["callers"], per_caller["repeat"], same_area["identities"]


_BUCKET_FIELDS = {
    "day": "b_day",
    "week": "b_week",
    "month": "b_month",
    "quarter": "b_quarter",
    "over": "b_over",
}


def monthly_report(period: Period, *, compare_year: int | None = None) -> MonthlyReport:
    """Every figure of the monthly report for `period`; `compare_year` (default: the year
    before) gives the year-over-year comparison over the same days."""
    summaries.refresh()
    report = MonthlyReport(period=period)
    ytd = case_days(period.year_to_date()).values("channel_kind").annotate(t_n=Sum("cases"))
    report.ytd_by_channel = {r["channel_kind"]: r["t_n"] for r in ytd}

    per_channel = (
        case_days(period)
        .values("channel_kind")
        .annotate(
            t_n=Sum("cases"),
            t_counted=Sum("counted"),
            t_resolved=Sum("resolved"),
            t_first=Sum("counted", filter=Q(level=Ticket.Level.FIRST), default=0),
            **{f"t_{key}": Sum(field) for key, field in _BUCKET_FIELDS.items()},
        )
    )
    first = 0
    for row in per_channel:
        kind = row["channel_kind"]
        report.cases_by_channel[kind] = row["t_n"]
        report.cases += row["t_n"]
        report.counted += row["t_counted"]
        report.resolved += row["t_resolved"]
        first += row["t_first"]
        report.buckets[kind] = {key: row[f"t_{key}"] for key in _BUCKET_FIELDS}
    report.resolved_share = share(report.resolved, report.counted)
    report.first_level_share = share(first, report.counted)

    report.calls = call_figures(period)
    report.repeat_window = repeat_window(period)
    callers, repeat, same_area = repeat_contacts(period)
    report.callers, report.repeat_callers, report.repeat_same_area = callers, repeat, same_area
    report.repeat_callers_share = share(repeat, callers)
    report.repeat_same_area_share = share(same_area, callers)

    names = areas()
    mix = case_days(period).annotate(area=area_of()).values("area").annotate(t_n=Sum("cases"))
    by_area = {row["area"]: row["t_n"] for row in mix}
    order = [*names, NO_AREA]
    report.areas = [
        (code, area_name(code, names), by_area[code], share(by_area[code], report.cases))
        for code in sorted(by_area, key=lambda c: (-by_area[c], order.index(c)))
    ]
    topics = list(
        case_days(period)
        .filter(theme_id__isnull=False)
        .values("theme_id")
        .annotate(t_n=Sum("cases"))
        .order_by("-t_n", "theme_id")[:TOP_TOPICS]
    )
    themes = {
        t.pk: t
        for t in Theme.objects.filter(pk__in=[r["theme_id"] for r in topics]).select_related(
            "parent"
        )
    }
    report.top_topics = [
        (
            themes[r["theme_id"]].name,
            parent_name(themes[r["theme_id"]]),
            r["t_n"],
            share(r["t_n"], report.cases),
        )
        for r in topics
    ]

    levels = case_days(period).values("level").annotate(t_n=Sum("resolved"))
    report.levels = {r["level"]: r["t_n"] for r in levels if r["t_n"]}
    offices = list(
        case_days(period)
        .values("office_id")
        .annotate(
            t_n=Sum("counted"),
            t_resolved=Sum("resolved"),
            t_second=Sum("resolved", filter=Q(level=Ticket.Level.SECOND), default=0),
        )
        .filter(t_n__gt=0)
        .order_by("-t_n", "office_id")
    )
    office_names = dict(
        Office.objects.filter(pk__in=[r["office_id"] for r in offices]).values_list("pk", "name")
    )
    report.offices = [
        (
            office_names.get(r["office_id"], _("Non assegnato")),
            r["t_n"],
            r["t_resolved"],
            r["t_second"],
        )
        for r in offices
    ]
    report.months = month_by_month(period)
    report.comparison = compare(report, compare_year or period.start.year - 1)
    return report


def parent_name(theme: Theme) -> str:
    return theme.parent.name if theme.parent is not None else ""


def month_by_month(period: Period) -> list[dict[str, Any]]:
    """The trend: per calendar month of the period, cases and calls."""
    months: dict[Any, dict[str, Any]] = {}
    cases = (
        case_days(period)
        .annotate(month=TruncMonth("day"))
        .values("month")
        .annotate(
            t_cases=Sum("cases"),
            t_counted=Sum("counted"),
            t_resolved=Sum("resolved"),
            t_second=Sum("counted", filter=Q(level=Ticket.Level.SECOND), default=0),
        )
    )
    for row in cases:
        months.setdefault(row["month"], {}).update(row)
    calls = (
        call_days(period)
        .annotate(month=TruncMonth("day"))
        .values("month")
        .annotate(
            t_calls=Sum("offered"),
            t_answered=Sum("answered"),
            t_wait=Sum("wait_answered"),
            t_talk=Sum("talk"),
        )
    )
    for row in calls:
        months.setdefault(row["month"], {}).update(row)
    out = []
    for month in sorted(months):
        row = months[month]
        out.append(
            {
                "month": month,
                "cases": row.get("t_cases", 0),
                "resolved_share": share(row.get("t_resolved"), row.get("t_counted")),
                "first_level_share": share(
                    (row.get("t_counted") or 0) - (row.get("t_second") or 0), row.get("t_counted")
                ),
                "calls": row.get("t_calls", 0),
                "answer_rate": share(row.get("t_answered"), row.get("t_calls")),
                "mean_wait": _ratio(row.get("t_wait"), row.get("t_answered")),
                "mean_talk": _ratio(row.get("t_talk"), row.get("t_answered")),
            }
        )
    return out


def compare(report: MonthlyReport, year: int) -> dict[str, Any]:
    """The headline figures of the same days in `year`, beside this period's."""
    other = report.period.shifted_to(year)
    row = case_days(other).aggregate(
        t_cases=Sum("cases", default=0),
        t_counted=Sum("counted", default=0),
        t_resolved=Sum("resolved", default=0),
    )
    calls = call_figures(other)
    return {
        "period": other,
        "cases": row["t_cases"],
        "resolved_share": share(row["t_resolved"], row["t_counted"]),
        "calls": calls.offered,
        "answer_rate": calls.answer_rate,
        "mean_wait": calls.mean_wait,
    }


def as_dashboard(report: MonthlyReport) -> Dashboard:
    """The report as figures and tables, for the page and the exports."""
    p = report.period
    c = report.calls
    other = report.comparison
    window = report.repeat_window or p
    board = Dashboard(
        key="report",
        title=_("Report mensile"),
        subtitle=_("020202, Scrivi e tutti i canali · %(period)s") % {"period": p.label()},
        figures=[
            Figure(_("Casi aperti nel periodo"), report.cases),
            Figure(_("Casi aperti dall'inizio dell'anno"), sum(report.ytd_by_channel.values())),
            Figure(
                _("Tasso di risposta 020202"), c.answer_rate, "%", _("risposte / chiamate offerte")
            ),
            Figure(_("Casi risolti"), report.resolved_share, "%"),
            Figure(_("Attesa media in coda"), c.mean_wait, "s", _("chiamate con risposta")),
            Figure(_("Durata media della chiamata"), c.mean_talk, "s"),
            Figure(
                _("Chiamanti con più di due chiamate"),
                report.repeat_callers_share,
                "%",
                _("periodo %(period)s") % {"period": window.label()},
            ),
            Figure(_("Più di due volte sullo stesso tema"), report.repeat_same_area_share, "%"),
            Figure(_("Risolti al primo livello"), report.first_level_share, "%"),
        ],
    )
    kinds = sorted(set(report.ytd_by_channel) | set(report.cases_by_channel))
    board.tables.append(
        Table(
            "channels",
            _("Casi per canale"),
            [_("Canale"), _("Nel periodo"), _("Dall'inizio dell'anno")],
            [
                [
                    _KIND_LABELS.get(k, k),
                    report.cases_by_channel.get(k, 0),
                    report.ytd_by_channel.get(k, 0),
                ]
                for k in kinds
            ],
            chart="bar",
            plotted=(1, 2),
        )
    )
    board.tables.append(
        Table(
            "calls",
            _("Contact center 020202"),
            [_("Misura"), _("Valore")],
            [
                [_("Chiamate offerte"), c.offered],
                [_("Chiamate con risposta"), c.answered],
                [_("Tasso di risposta (%)"), c.answer_rate],
                [_("Attesa media in coda, chiamate con risposta (s)"), c.mean_wait],
                [_("Attesa media in coda, tutte le chiamate (s)"), c.mean_wait_all],
                [_("Durata media della chiamata (s)"), c.mean_talk],
                [_("Chiamanti identificati"), report.callers],
                [_("Chiamanti con più di due chiamate"), report.repeat_callers],
                [_("Chiamanti con più di due casi sulla stessa area"), report.repeat_same_area],
            ],
        )
    )
    rows = []
    for key, label, _bound in BUCKETS:
        counts = report.bucket_counts()
        web = report.bucket_counts(Channel.Kind.WEB)
        rows.append(
            [
                _(label),
                counts[key],
                report.bucket_shares()[key],
                web[key],
                report.bucket_shares(Channel.Kind.WEB)[key],
            ]
        )
    board.tables.append(
        Table(
            "resolution",
            _("Tempi di risoluzione (casi risolti)"),
            [_("Fascia"), _("Casi"), _("Quota (%)"), _("Casi Scrivi"), _("Quota Scrivi (%)")],
            rows,
            chart="bar",
            plotted=(2, 4),
        )
    )
    board.tables.append(
        Table(
            "areas",
            _("Temi: quota per area"),
            [_("Area"), _("Casi"), _("Quota (%)")],
            [[name, n, pct] for _code, name, n, pct in report.areas],
            chart="pie",
            plotted=(1,),
        )
    )
    board.tables.append(
        Table(
            "topics",
            _("Argomenti più frequenti"),
            [_("Argomento"), _("Tema superiore"), _("Casi"), _("Quota (%)")],
            [list(t) for t in report.top_topics],
        )
    )
    resolved_total = sum(report.levels.values())
    board.tables.append(
        Table(
            "levels",
            _("Risoluzione al primo e al secondo livello (casi risolti)"),
            [_("Livello"), _("Casi risolti"), _("Quota (%)")],
            [
                [
                    _(label),
                    report.levels.get(level, 0),
                    share(report.levels.get(level, 0), resolved_total),
                ]
                for level, label in ((1, _("Primo livello")), (2, _("Secondo livello")))
            ],
            chart="pie",
        )
    )
    board.tables.append(
        Table(
            "offices",
            _("Per ufficio"),
            [_("Ufficio"), _("Casi"), _("Risolti"), _("Risolti al secondo livello")],
            [list(o) for o in report.offices],
        )
    )
    board.tables.append(
        Table(
            "months",
            _("Andamento mese per mese"),
            [
                _("Mese"),
                _("Casi"),
                _("Risolti (%)"),
                _("Primo livello (%)"),
                _("Chiamate"),
                _("Tasso di risposta (%)"),
                _("Attesa media (s)"),
                _("Durata media (s)"),
            ],
            [
                [
                    f"{m['month']:%m/%Y}",
                    m["cases"],
                    m["resolved_share"],
                    m["first_level_share"],
                    m["calls"],
                    m["answer_rate"],
                    m["mean_wait"],
                    m["mean_talk"],
                ]
                for m in report.months
            ],
            chart="line",
            plotted=(1, 4),
        )
    )
    board.tables.append(
        Table(
            "comparison",
            _("Confronto con lo stesso periodo del %(year)s")
            % {"year": other["period"].start.year},
            [_("Misura"), p.label(), other["period"].label()],
            [
                [pgettext("aperti nel periodo", "Casi aperti"), report.cases, other["cases"]],
                [_("Casi risolti (%)"), report.resolved_share, other["resolved_share"]],
                [_("Chiamate offerte"), c.offered, other["calls"]],
                [_("Tasso di risposta (%)"), c.answer_rate, other["answer_rate"]],
                [_("Attesa media (s)"), c.mean_wait, other["mean_wait"]],
            ],
        )
    )
    return board
