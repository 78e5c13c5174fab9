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
from datetime import date, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import (
    Avg,
    Case,
    CharField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Lower, Trim, TruncDate, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_noop

from ascolto.analytics import contacts
from ascolto.analytics.areas import area_of
from ascolto.analytics.models import CallDay, CaseDay
from ascolto.analytics.period import Period
from ascolto.assistant.models import MenuNode, SurveyAnswer, Turn, Unanswered
from ascolto.assistant.models import Session as AssistantSession
from ascolto.channels.models import Channel, Conversation, Message
from ascolto.contactcenter.models import CallRecord
from ascolto.core.tables import share
from ascolto.organisation.models import Office
from ascolto.surveys.models import PageRating
from ascolto.tickets.models import Campaign, Theme, Ticket

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


# The dashboards around the monthly report.

SOCIAL = (Channel.Kind.FACEBOOK, Channel.Kind.INSTAGRAM, Channel.Kind.MESSENGER)


def _month(field: str) -> TruncMonth:
    return TruncMonth(field, tzinfo=timezone.get_current_timezone())


def cases_per_month_and(period: Period, column: str) -> dict[tuple[date, str], int]:
    """Cases opened per calendar month and area (`column` "area") or channel kind
    ("channel_kind"), from the daily summaries."""
    rows = case_days(period).annotate(month=TruncMonth("day"))
    if column == "area":
        rows = rows.annotate(area=area_of())
    grid = rows.values("month", column).annotate(t_n=Sum("cases"))
    return {(r["month"], r[column]): r["t_n"] for r in grid}


def theme_changes(period: Period, limit: int) -> list[tuple[Theme, int, int]]:
    """The `limit` themes whose cases moved most against the period of the same length just
    before: (theme, cases in the period, cases in the one before), largest change first."""
    before = period.previous()
    rows = list(
        CaseDay.objects.filter(day__gte=before.start, day__lte=period.end, theme_id__isnull=False)
        .values("theme_id")
        .annotate(
            now=Sum("cases", filter=Q(day__gte=period.start), default=0),
            then=Sum("cases", filter=Q(day__lt=period.start), default=0),
        )
    )
    ranked = sorted(rows, key=lambda r: (-abs(r["now"] - r["then"]), r["theme_id"]))[:limit]
    found = Theme.objects.filter(pk__in=[r["theme_id"] for r in ranked]).select_related("parent")
    named = {t.pk: t for t in found}
    return [(named[r["theme_id"]], r["now"], r["then"]) for r in ranked]


def campaigns() -> list[dict[str, object]]:
    """Every campaign with its number of cases (one query)."""
    return list(
        Campaign.objects.annotate(n=Count("tickets")).values(
            "code", "name", "starts_on", "ends_on", "n"
        )
    )


@dataclass
class CampaignFigures:
    """`totals`: n, mean (resolution time), first_day, last_day, level1 (never at the second
    level, not cancelled) and one count per outcome (cancelled, first, task_force, office,
    active); `daily`: (day, cases opened);
    `per_team`: team__name, n and one count per outcome; `buckets`: resolution-time buckets."""

    totals: dict[str, Any]
    daily: list[tuple[date, int]]
    per_team: list[dict[str, Any]]
    buckets: dict[str, int]


def campaign_figures(item: Campaign) -> CampaignFigures:
    cases = Ticket.objects.filter(campaign=item)
    task_force = item.task_force
    in_task_force = (
        Q(
            office_id__in=list(
                Office.objects.filter(path__startswith=task_force.path).values_list("pk", flat=True)
            )
        )
        if task_force is not None
        else Q(pk__in=[])
    )
    outcome = {
        "cancelled": Q(status=Ticket.Status.CANCELLED),
        "first": resolved() & Q(level=Ticket.Level.FIRST),
        "task_force": resolved() & Q(level=Ticket.Level.SECOND) & in_task_force,
        "office": ~Q(status=Ticket.Status.CANCELLED)
        & Q(level=Ticket.Level.SECOND)
        & ~in_task_force,
        "active": Q(status__in=Ticket.ACTIVE) & (Q(level=Ticket.Level.FIRST) | in_task_force),
    }
    totals = cases.aggregate(
        n=Count("id"),
        mean=Avg(resolution_time(), filter=resolved()),
        first_day=Min("created_at"),
        last_day=Max("created_at"),
        level1=Count("id", filter=~Q(status=Ticket.Status.CANCELLED) & Q(level=Ticket.Level.FIRST)),
        **{key: Count("id", filter=q) for key, q in outcome.items()},
    )
    daily = (
        cases.annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(n=Count("id"))
        .order_by("day")
    )
    per_team = (
        cases.values("team__name")
        .annotate(n=Count("id"), **{key: Count("id", filter=q) for key, q in outcome.items()})
        .order_by("-n", "team__name")
    )
    return CampaignFigures(
        totals=totals,
        daily=[(r["day"], r["n"]) for r in daily],
        per_team=list(per_team),
        buckets=bucket_counts(cases),
    )


@dataclass
class SocialFigures:
    """`messages`: inbound messages per channel kind; `threads`: per kind, conversations
    ("n") and those with a case ("handled"); `monthly`: (month, inbound messages);
    `handled_monthly`: month → conversations with a case; `areas`: (area code, cases)."""

    messages: dict[str, int]
    threads: dict[str, dict[str, Any]]
    monthly: list[tuple[date, int]]
    handled_monthly: dict[date, int]
    areas: list[tuple[str, int]]


def social_figures(period: Period) -> SocialFigures:
    inbound = Message.objects.filter(
        channel__kind__in=SOCIAL,
        direction=Message.Direction.INBOUND,
        sent_at__gte=period.since,
        sent_at__lt=period.until,
    )
    threads = Conversation.objects.filter(
        channel__kind__in=SOCIAL, started_at__gte=period.since, started_at__lt=period.until
    )
    per_kind = inbound.values("channel__kind").annotate(n=Count("id"))
    thread_rows = threads.values("channel__kind").annotate(
        n=Count("id", distinct=True),
        handled=Count("id", distinct=True, filter=Q(tickets__isnull=False)),
    )
    monthly = (
        inbound.annotate(month=_month("sent_at"))
        .values("month")
        .annotate(n=Count("id"))
        .order_by("month")
    )
    handled_monthly = (
        threads.filter(tickets__isnull=False)
        .annotate(month=_month("started_at"))
        .values("month")
        .annotate(n=Count("id", distinct=True))
    )
    areas_rows = (
        cases_in(period)
        .filter(channel__kind__in=SOCIAL)
        .annotate(area=area_of())
        .values("area")
        .annotate(n=Count("id"))
        .order_by("-n", "area")
    )
    return SocialFigures(
        messages={r["channel__kind"]: r["n"] for r in per_kind},
        threads={r["channel__kind"]: r for r in thread_rows},
        monthly=[(r["month"], r["n"]) for r in monthly],
        handled_monthly={r["month"]: r["n"] for r in handled_monthly},
        areas=[(r["area"], r["n"]) for r in areas_rows],
    )


@dataclass
class ChatbotFigures:
    """What the virtual assistant did in a period, from its own tables (`assistant.models`):
    no name or number is read. `months`: per month, messages received and sent (turns), active
    users (distinct salted session keys that wrote), sessions started; `totals`: the same over
    the period; `kinds`: sessions per channel kind (WhatsApp, web chat); `menu`: per node
    (`key`, `path`, `label`, `chosen`, `sessions`), most chosen first; `handoffs` and `forms`:
    (`key`, `path`, `label`, `n`) per node; `unanswered`: (text, times), most frequent first;
    `survey`: asked, answered, useful, not_useful; `suggestions`: (text, path), newest first."""

    months: list[dict[str, Any]]
    totals: dict[str, int]
    kinds: list[tuple[str, int]]
    menu: list[dict[str, Any]]
    handoffs: list[dict[str, Any]]
    forms: list[dict[str, Any]]
    unanswered: list[tuple[str, int]]
    survey: dict[str, int]
    suggestions: list[tuple[str, str]]


def _node_names(keys: set[str]) -> dict[str, tuple[str, str]]:
    """The path and label of each node key, from the newest version that has it (a key stays
    the same across versions, so a node renamed later is shown with its current label)."""
    names: dict[str, tuple[str, str]] = {}
    if not keys:
        return names
    found = (
        MenuNode.objects.filter(key__in=keys)
        .select_related("parent__parent__parent")
        .order_by("-version__number", "-version_id")
    )
    for node in found:
        names.setdefault(node.key, (node.path(), node.label))
    return names


def _by_node(rows: list[dict[str, Any]], names: dict[str, tuple[str, str]]) -> list[dict[str, Any]]:
    for row in rows:
        row["path"], row["label"] = names.get(row["key"], ("", row["key"]))
    return rows


def chatbot_figures(period: Period, *, unanswered: int = 50) -> ChatbotFigures:
    turns = Turn.objects.filter(at__gte=period.since, at__lt=period.until)
    inbound = Q(direction=Turn.Direction.INBOUND)
    measures = {
        "received": Count("id", filter=inbound),
        "sent": Count("id", filter=~inbound),
        "users": Count("session__key", distinct=True, filter=inbound),
    }
    monthly = {
        r["month"]: r
        for r in turns.annotate(month=_month("at")).values("month").annotate(**measures)
    }
    sessions = AssistantSession.objects.filter(
        started_at__gte=period.since, started_at__lt=period.until
    )
    started = dict(
        sessions.annotate(month=_month("started_at"))
        .values("month")
        .annotate(n=Count("id"))
        .values_list("month", "n")
    )
    months = [
        {
            "month": month,
            "received": monthly.get(month, {}).get("received", 0),
            "sent": monthly.get(month, {}).get("sent", 0),
            "users": monthly.get(month, {}).get("users", 0),
            "sessions": started.get(month, 0),
        }
        for month in sorted({*monthly, *started})
    ]
    totals = {**turns.aggregate(**measures), "sessions": sum(started.values())}
    kinds = [
        (r["kind"], r["n"])
        for r in sessions.values("kind").annotate(n=Count("id")).order_by("-n", "kind")
    ]
    chosen = turns.filter(inbound, kind=Turn.Kind.CHOICE).exclude(node_key="")
    menu = list(
        chosen.values(key=F("node_key"))
        .annotate(chosen=Count("id"), sessions=Count("session_id", distinct=True))
        .order_by("-chosen", "key")
    )
    handoffs = list(
        turns.filter(~inbound, kind=Turn.Kind.HANDOFF)
        .exclude(node_key="")
        .values(key=F("node_key"))
        .annotate(n=Count("id"))
        .order_by("-n", "key")
    )
    forms = list(
        turns.filter(inbound, kind=Turn.Kind.FORM_SUBMITTED)
        .exclude(node_key="")
        .values(key=F("node_key"))
        .annotate(n=Count("id"))
        .order_by("-n", "key")
    )
    names = _node_names({r["key"] for r in [*menu, *handoffs, *forms]})
    asked = SurveyAnswer.objects.filter(asked_at__gte=period.since, asked_at__lt=period.until)
    counted = asked.aggregate(
        n_asked=Count("id"),
        n_answered=Count("id", filter=Q(answered_at__isnull=False)),
        n_useful=Count("id", filter=Q(useful=True)),
        n_not_useful=Count("id", filter=Q(useful=False)),
    )
    survey = {name.removeprefix("n_"): n for name, n in counted.items()}
    suggestions = list(
        asked.exclude(suggestion="")
        .order_by("-answered_at", "-pk")
        .values_list("suggestion", "path")
    )
    questions = (
        Unanswered.objects.filter(at__gte=period.since, at__lt=period.until)
        .annotate(question=Lower(Trim("text")))
        .values("question")
        .annotate(n=Count("id"))
        .order_by("-n", "question")[:unanswered]
    )
    return ChatbotFigures(
        months=months,
        totals=totals,
        kinds=kinds,
        menu=_by_node(menu, names),
        handoffs=_by_node(handoffs, names),
        forms=_by_node(forms, names),
        unanswered=[(r["question"], r["n"]) for r in questions],
        survey=survey,
        suggestions=suggestions,
    )


@dataclass
class RatingFigures:
    """`totals`: ratings (n), mean score, pages rated; `pages`: the `top` most rated pages
    (page, n, mean, low = scores 1–3); `worst`: the lowest mean among pages with at least
    `min_ratings`; `reasons`: (answer, times); `scores`: (score, ratings)."""

    totals: dict[str, Any]
    pages: list[dict[str, Any]]
    worst: list[dict[str, Any]]
    reasons: list[tuple[str, int]]
    scores: list[tuple[int, int]]


def rating_figures(period: Period, *, top: int, worst: int, min_ratings: int) -> RatingFigures:
    rated = PageRating.objects.filter(created_at__gte=period.since, created_at__lt=period.until)
    totals = rated.aggregate(n=Count("id"), mean=Avg("score"), pages=Count("page", distinct=True))
    pages = rated.values("page").annotate(
        n=Count("id"), mean=Avg("score"), low=Count("id", filter=Q(score__lte=3))
    )
    by_page = list(pages.order_by("-n", "page")[:top])
    lowest = list(pages.filter(n__gte=min_ratings).order_by("mean", "-n", "page")[:worst])
    reasons = (
        rated.exclude(reason="").values("reason").annotate(n=Count("id")).order_by("-n", "reason")
    )
    scores = rated.values("score").annotate(n=Count("id")).order_by("score")
    return RatingFigures(
        totals=totals,
        pages=by_page,
        worst=lowest,
        reasons=[(r["reason"], r["n"]) for r in reasons],
        scores=[(r["score"], r["n"]) for r in scores],
    )


# The annual complaints report.


def complaint_years() -> list[int]:
    """The years (Rome time, up to this one) in which complaints were opened: the years that
    have a complaints report to publish."""
    this_year = timezone.localdate().year
    opened = Ticket.objects.filter(kind=Ticket.Kind.COMPLAINT, parent__isnull=True)
    years = opened.datetimes("created_at", "year")  # the report's cases, by year
    return [moment.year for moment in years if 2000 <= moment.year <= this_year]


@dataclass
class ComplaintFigures:
    """The complaints opened in a period (merged ones left out). `totals`: n, answered, within
    (answered within the answer days), mean (answer time); `areas`: area, n, within;
    `offices`: office__name, n, within, mean; `outcome`: status, n; `buckets`: answer-time
    buckets."""

    totals: dict[str, Any]
    areas: list[dict[str, Any]]
    offices: list[dict[str, Any]]
    outcome: list[dict[str, Any]]
    buckets: dict[str, int]


def complaint_figures(period: Period, *, answer_days: int) -> ComplaintFigures:
    complaints = cases_in(period).filter(kind=Ticket.Kind.COMPLAINT, parent__isnull=True)
    within = resolved_within(answer_days)
    totals = complaints.aggregate(
        n=Count("id"),
        answered=Count("id", filter=resolved()),
        within=Count("id", filter=within),
        mean=Avg(resolution_time(), filter=resolved()),
    )
    per_area = (
        complaints.annotate(area=area_of())
        .values("area")
        .annotate(n=Count("id"), within=Count("id", filter=within))
        .order_by("-n", "area")
    )
    per_office = (
        complaints.values("office__name")
        .annotate(
            n=Count("id"),
            within=Count("id", filter=within),
            mean=Avg(resolution_time(), filter=resolved()),
        )
        .order_by("-n", "office__name")
    )
    outcome = complaints.values("status").annotate(n=Count("id")).order_by("-n", "status")
    return ComplaintFigures(
        totals=totals,
        areas=list(per_area),
        offices=list(per_office),
        outcome=list(outcome),
        buckets=bucket_counts(complaints),
    )
