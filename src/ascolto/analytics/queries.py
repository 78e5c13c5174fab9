"""The read side of the reports: every query the monthly report, the dashboards, the complaints
report and the open data make, and the definitions they share (which cases count, which are
resolved, the resolution-time buckets). The report modules turn what these return into figures
and tables; nothing here formats or writes.

Queries over whole periods read the daily summaries (`case_days`, `call_days`: call
`summaries.refresh()` first); the others read the cases, calls and messages directly.
docs/reports.md defines each figure.
"""

from __future__ import annotations

from dataclasses import dataclass
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
from django.utils.translation import gettext_noop

from ascolto.analytics import contacts
from ascolto.analytics.models import CallDay, CaseDay
from ascolto.analytics.period import Period
from ascolto.analytics.taxonomy import area_of
from ascolto.channels.models import Channel
from ascolto.contactcenter.models import CallRecord
from ascolto.core.tables import share
from ascolto.organisation.models import Office
from ascolto.tickets.models import Theme, Ticket

REPEAT_THRESHOLD = 2  # "more than twice"


@dataclass(frozen=True)
class Bucket:
    """A resolution-time bucket: resolved before `days` days from opening (None: no bound) and
    not in an earlier bucket. `field` is its column in the daily summary (`CaseDay`)."""

    key: str
    label: str  # a source string: translate it where it is shown
    days: int | None
    field: str


# The resolution-time buckets of every report, the summaries and the complaints report.
BUCKETS: tuple[Bucket, ...] = (
    Bucket("day", gettext_noop("Entro un giorno"), 1, "b_day"),
    Bucket("week", gettext_noop("Entro una settimana"), 7, "b_week"),
    Bucket("month", gettext_noop("Entro un mese"), 30, "b_month"),
    Bucket("quarter", gettext_noop("Entro un trimestre"), 90, "b_quarter"),
    Bucket("over", gettext_noop("Oltre 90 giorni"), None, "b_over"),
)


# What counts.


def cases_in(period: Period) -> QuerySet[Ticket]:
    """The cases opened in the period."""
    return Ticket.objects.filter(created_at__gte=period.since, created_at__lt=period.until)


def calls_in(period: Period) -> QuerySet[CallRecord]:
    """The calls that arrived in the period."""
    return CallRecord.objects.filter(arrived_at__gte=period.since, arrived_at__lt=period.until)


def counted() -> Q:
    """Cases that count in shares: not cancelled, not merged into another."""
    return ~Q(status=Ticket.Status.CANCELLED) & Q(parent__isnull=True)


def resolved() -> Q:
    return Q(resolved_at__isnull=False) & Q(parent__isnull=True)


def resolved_within(days: int) -> Q:
    """Resolved less than `days` days after it was opened."""
    return resolved() & _before(days)


def _before(days: int) -> Q:
    return Q(resolved_at__lt=F("created_at") + timedelta(days=days))


def in_bucket(bucket: Bucket) -> Q:
    """The resolved cases of one bucket: below its bound and not below the one before."""
    q = resolved()
    if bucket.days is not None:
        q &= _before(bucket.days)
    earlier = [b.days for b in BUCKETS[: BUCKETS.index(bucket)] if b.days is not None]
    if earlier:
        q &= ~_before(max(earlier))
    return q


def bucket_of() -> Case:
    """The resolution-time bucket of a resolved case, as an SQL expression."""
    whens = [
        When(_before(bucket.days), then=Value(bucket.key))
        for bucket in BUCKETS
        if bucket.days is not None
    ]
    return Case(*whens, default=Value(BUCKETS[-1].key), output_field=CharField())


def bucket_counts(cases: QuerySet[Ticket]) -> dict[str, int]:
    """How many of the resolved `cases` fall in each bucket (bucket key → count)."""
    rows = cases.filter(resolved()).annotate(bucket=bucket_of()).values("bucket")
    return {r["bucket"]: r["n"] for r in rows.annotate(n=Count("id"))}


def resolution_time() -> ExpressionWrapper[CombinedExpression]:
    return ExpressionWrapper(F("resolved_at") - F("created_at"), output_field=DurationField())


def days(value: timedelta | None) -> float | None:
    """A duration in days, to 0.1."""
    return None if value is None else round(value.total_seconds() / 86400, 1)


def ratio(total: int | None, n: int | None) -> float | None:
    """`total / n` to 0.1, None when `n` is nothing."""
    return None if not n else round(float(total or 0) / n, 1)


# The daily summaries.


def case_days(period: Period) -> QuerySet[CaseDay]:
    """The daily case summaries of the period (call `summaries.refresh()` first)."""
    return CaseDay.objects.filter(day__gte=period.start, day__lte=period.end)


def call_days(period: Period) -> QuerySet[CallDay]:
    return CallDay.objects.filter(day__gte=period.start, day__lte=period.end)


@dataclass
class CallFigures:
    offered: int = 0
    answered: int = 0
    answer_rate: float | None = None
    mean_wait: float | None = None  # seconds, answered calls
    mean_wait_all: float | None = None  # seconds, every call (abandoned ones too)
    mean_talk: float | None = None  # seconds, answered calls


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
        mean_wait=ratio(row["t_wait"], row["t_answered"]),
        mean_wait_all=ratio(row["t_wait_all"], row["t_offered"]),
        mean_talk=ratio(row["t_talk"], row["t_answered"]),
    )


def cases_per_channel(period: Period) -> dict[str, int]:
    """Cases opened per channel kind."""
    rows = case_days(period).values("channel_kind").annotate(t_n=Sum("cases"))
    return {r["channel_kind"]: r["t_n"] for r in rows}


@dataclass
class ChannelTotals:
    """One channel kind's cases in a period: opened, counted, resolved, counted at the first
    level, and the resolved ones per bucket (bucket key → count)."""

    cases: int
    counted: int
    resolved: int
    first_level: int
    buckets: dict[str, int]


def channel_totals(period: Period) -> dict[str, ChannelTotals]:
    rows = (
        case_days(period)
        .values("channel_kind")
        .annotate(
            t_n=Sum("cases"),
            t_counted=Sum("counted"),
            t_resolved=Sum("resolved"),
            t_first=Sum("counted", filter=Q(level=Ticket.Level.FIRST), default=0),
            **{f"t_{b.key}": Sum(b.field) for b in BUCKETS},
        )
    )
    return {
        r["channel_kind"]: ChannelTotals(
            cases=r["t_n"],
            counted=r["t_counted"],
            resolved=r["t_resolved"],
            first_level=r["t_first"],
            buckets={b.key: r[f"t_{b.key}"] for b in BUCKETS},
        )
        for r in rows
    }


def cases_per_area(period: Period) -> dict[str, int]:
    """Cases opened per area of the taxonomy (area code → count)."""
    mix = case_days(period).annotate(area=area_of()).values("area").annotate(t_n=Sum("cases"))
    return {row["area"]: row["t_n"] for row in mix}


def top_themes(period: Period, limit: int) -> list[tuple[Theme, int]]:
    """The `limit` themes with most cases opened, with their count (most first)."""
    rows = list(
        case_days(period)
        .filter(theme_id__isnull=False)
        .values("theme_id")
        .annotate(t_n=Sum("cases"))
        .order_by("-t_n", "theme_id")[:limit]
    )
    themes = Theme.objects.filter(pk__in=[r["theme_id"] for r in rows]).select_related("parent")
    found = {t.pk: t for t in themes}
    return [(found[r["theme_id"]], r["t_n"]) for r in rows]


def resolved_per_level(period: Period) -> dict[int, int]:
    """Resolved cases per level (levels with none are left out)."""
    rows = case_days(period).values("level").annotate(t_n=Sum("resolved"))
    return {r["level"]: r["t_n"] for r in rows if r["t_n"]}


def office_totals(period: Period) -> list[tuple[int | None, int, int, int]]:
    """Per office with counted cases (most first): office id, counted cases, resolved ones,
    resolved at the second level."""
    rows = (
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
    return [(r["office_id"], r["t_n"], r["t_resolved"], r["t_second"]) for r in rows]


def office_names(ids: list[int | None]) -> dict[int, str]:
    return dict(Office.objects.filter(pk__in=ids).values_list("pk", "name"))


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
                "mean_wait": ratio(row.get("t_wait"), row.get("t_answered")),
                "mean_talk": ratio(row.get("t_talk"), row.get("t_answered")),
            }
        )
    return out


def case_totals(period: Period) -> dict[str, int]:
    """Cases opened, counted and resolved in the period ("cases", "counted", "resolved")."""
    row = case_days(period).aggregate(
        t_cases=Sum("cases", default=0),
        t_counted=Sum("counted", default=0),
        t_resolved=Sum("resolved", default=0),
    )
    return {"cases": row["t_cases"], "counted": row["t_counted"], "resolved": row["t_resolved"]}


# Repeat contacts.


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
