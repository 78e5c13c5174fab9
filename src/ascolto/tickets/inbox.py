"""The unified inbox, on the domain side: filters, sorting, counts per filter value, pages, the
supervisor's overview and bulk changes. No HTTP here: the console's views parse the request
into an `InboxQuery`, hand in the queryset the user may see (`core.access.visible`), and render
what comes back.

Everything is an aggregate query or a bounded page, so it stays within the budgets over a
million cases (p95 ≤ 50 ms for a filtered inbox page, ≤ 100 ms with a text search; see
`benchmarks/inbox.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Count, F, Min, Q, QuerySet
from django.utils import timezone

from ascolto.core.errors import DomainError, InvalidTransition
from ascolto.organisation.models import Office, User
from ascolto.tickets import search as case_search
from ascolto.tickets.models import Theme, Ticket
from ascolto.tickets.sla import DUE_SOON

PAGE_SIZE = 25
# What a row of the inbox shows besides the case itself, read after the page by primary key
# (one small query per relation). Joined into the page's query instead, the seven tables cost
# PostgreSQL 16–80 ms of planning on a loaded machine over a million cases (the execution took
# 1 ms), and made it join every match before sorting in the office operator's view.
PAGE_RELATED = ("channel", "theme", "office", "team", "assignee", "citizen")
MAX_PAGE = 200  # offset paging, bounded: past 5,000 rows a filter finds the case faster
# Counting stops past this many cases: grouping a million rows costs ~1 s, and "more than
# 5,000" is as useful to an operator as the exact figure.
COUNT_CAP = 5_000
# A text search stops counting sooner: its matches lie scattered over the whole table (one
# heap page each), and past a few thousand the operator refines the words anyway.
SEARCH_COUNT_CAP = 2_000
# Relevance is computed for up to this many matches; beyond, the newest come first (ranking
# every match of a common word would cost a rank computation per row).
RANK_LIMIT = SEARCH_COUNT_CAP

ACTIVE = "active"  # status filter values besides the statuses: the active ones (default), all
ALL = "all"
SLA_STATES = ("on_time", "due_soon", "breached")
SORTS: dict[str, tuple[Any, ...]] = {
    "newest": ("-created_at", "-id"),
    "oldest": ("created_at", "id"),
    "due": (F("due_at").asc(nulls_last=True), "id"),
    "updated": ("-updated_at", "-id"),
}


@dataclass(frozen=True)
class InboxQuery:
    """One filter set of the inbox; every field empty means 'any'. `assignee` is 'me', 'none'
    or a user id; `office` and `theme` include everything below them."""

    channel: int | None = None
    status: str = ACTIVE
    kind: str = ""
    theme: Theme | None = None
    office: Office | None = None
    team: int | None = None
    assignee: str = ""
    campaign: int | None = None
    tag: int | None = None
    sla: str = ""
    text: str = ""
    sort: str = ""
    # The API's time windows (`GET /api/v1/cases`): changed at or after `updated_since` (the
    # case's `updated_at`), opened at or after `opened_since` and before `opened_until`.
    updated_since: datetime | None = None
    opened_since: datetime | None = None
    opened_until: datetime | None = None


def sla_condition(state: str, now: datetime, *, with_status: bool = True) -> Q:
    """Cases in SLA `state` at `now` (as `tickets.sla.sla_state` says for one case). Without
    `with_status` the caller has already narrowed to active cases: repeating the condition
    makes PostgreSQL count its selectivity twice and pick a worse index."""
    active = Q(due_at__isnull=False)
    if with_status:
        active &= Q(status__in=Ticket.ACTIVE)
    if state == "breached":
        return active & Q(due_at__lt=now)
    if state == "due_soon":
        return active & Q(due_at__gte=now, due_at__lte=now + DUE_SOON)
    if state == "on_time":
        return active & Q(due_at__gt=now + DUE_SOON)
    raise ValueError(f"unknown SLA state {state!r}")


def filtered(
    queryset: QuerySet[Ticket], query: InboxQuery, *, user: User, now: datetime
) -> QuerySet[Ticket]:
    """`queryset` (already narrowed to what `user` may see) narrowed by `query`, unsorted and
    without relevance: the base of both the counts and the page."""
    qs = queryset
    if query.status == ACTIVE:
        qs = qs.filter(status__in=Ticket.ACTIVE)
    elif query.status and query.status != ALL:
        qs = qs.filter(status=query.status)
    if query.channel:
        qs = qs.filter(channel_id=query.channel)
    if query.kind:
        qs = qs.filter(kind=query.kind)
    if query.theme is not None:
        # The node and everything below it: ids from the (small) taxonomy table, so the cases
        # table is filtered on its own indexed column.
        qs = qs.filter(theme_id__in=_ids(Theme.objects.filter(path__startswith=query.theme.path)))
    if query.office is not None:
        qs = qs.filter(office_id__in=_ids(query.office.subtree()))
    if query.team:
        qs = qs.filter(team_id=query.team)
    if query.assignee == "me":
        qs = qs.filter(assignee_id=user.pk)
    elif query.assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    elif query.assignee.isdigit():
        qs = qs.filter(assignee_id=int(query.assignee))
    if query.campaign:
        qs = qs.filter(campaign_id=query.campaign)
    if query.tag:
        qs = qs.filter(tags__id=query.tag)
    if query.sla in SLA_STATES:
        qs = qs.filter(sla_condition(query.sla, now, with_status=query.status != ACTIVE))
    if query.updated_since is not None:
        qs = qs.filter(updated_at__gte=query.updated_since)
    if query.opened_since is not None:
        qs = qs.filter(created_at__gte=query.opened_since)
    if query.opened_until is not None:
        qs = qs.filter(created_at__lt=query.opened_until)
    if query.text:
        qs = case_search.search(qs, query.text, rank=False)
    return qs


def _ids(queryset: QuerySet[Any]) -> list[int]:
    return list(queryset.values_list("pk", flat=True))


def ranks_by_relevance(query: InboxQuery, matches: Counts) -> bool:
    """Whether the page is ordered by relevance: a search, no explicit order, few matches."""
    sort = query.sort if query.sort in SORTS else ""
    return bool(query.text) and not sort and not matches.capped and matches.total <= RANK_LIMIT


def sorted_page(
    base: QuerySet[Ticket],
    query: InboxQuery,
    page: int,
    size: int = PAGE_SIZE,
    *,
    by_relevance: bool | None = None,
    known: Iterable[Any] = (),
) -> list[Ticket]:
    """One page of `base` in the order asked (relevance first when searching, unless
    `by_relevance` is False), with what its rows show (`attach_related`, from `known` first)."""
    page = max(1, min(page, MAX_PAGE))
    qs = base
    sort = query.sort if query.sort in SORTS else ""
    if by_relevance is None:
        by_relevance = bool(query.text) and not sort
    if by_relevance and query.text:
        if case_search.tracking_code(query.text) is None:
            qs = case_search.search(qs, query.text).order_by("-search_rank", "-created_at", "-id")
        else:
            qs = qs.order_by("-created_at", "-id")
        start = (page - 1) * size
        tickets = list(qs[start : start + size])
    else:
        # The page's ids first, then their rows: the ids can come from an index alone
        # (`ticket_active_recent_idx` holds what the filters and the order read), so the rows
        # skipped (an offset, or the newest cases not yet breached) are never read from the
        # table. Over 1 M cases this took "SLA breached" from 2.8 to ~1 ms of database
        # (`benchmarks/inbox.py --explain`).
        start = (page - 1) * size
        ids = list(
            qs.order_by(*SORTS[sort or "newest"]).values_list("pk", flat=True)[start : start + size]
        )
        found = {t.pk: t for t in qs.order_by().filter(pk__in=ids)} if ids else {}
        tickets = [found[pk] for pk in ids if pk in found]
    attach_related(tickets, known)
    return tickets


def attach_related(tickets: Sequence[Ticket], known: Iterable[Any] = ()) -> None:
    """Set what a row shows besides the case (`PAGE_RELATED`) on each of `tickets`: the rows
    among `known` (the reference lists the page holds already, e.g. channels and offices) are
    used as they are, the others read by primary key, one query per relation still missing.

    Written here rather than with `prefetch_related`: the same queries through the prefetch
    machinery cost ~5 ms of CPU per inbox page, a tenth of the page's budget (cProfile,
    `benchmarks/inbox.py` over 1 M cases)."""
    if not tickets:
        return
    by_model: dict[type, dict[Any, Any]] = {}
    for row in known:
        by_model.setdefault(type(row), {})[row.pk] = row
    for name in PAGE_RELATED:
        fk: Any = Ticket._meta.get_field(name)
        model: Any = fk.related_model
        ids = {getattr(t, fk.attname) for t in tickets} - {None}
        have = by_model.get(model, {})
        missing = [pk for pk in ids if pk not in have]
        if missing:
            have = {**have, **model._default_manager.in_bulk(missing)}
        for ticket in tickets:
            pk = getattr(ticket, fk.attname)
            fk.set_cached_value(ticket, have.get(pk) if pk is not None else None)


def arrived_since(base: QuerySet[Ticket], since: datetime, cap: int) -> int:
    """How many cases of `base` were opened after `since`, counted up to `cap` + 1 (the page's
    "N new cases" bar)."""
    return base.filter(created_at__gt=since).order_by().values("pk")[: cap + 1].count()


def changed_since(scope: QuerySet[Ticket], ids: Sequence[int], since: datetime) -> list[Ticket]:
    """The cases among `ids` (the rows on a page) changed after `since`, with what a row shows."""
    if not ids:
        return []
    return list(
        scope.filter(pk__in=list(ids), updated_at__gt=since)
        .select_related(*PAGE_RELATED)  # a few rows by primary key: the join plans quickly
        .order_by("pk")
    )


@dataclass
class Counts:
    """How many cases of the current filter set fall under each value of a filter. When
    `capped`, the set holds more than `COUNT_CAP` cases and the figures cover only the first
    `COUNT_CAP` + 1 of them: show "more than", not the figures."""

    total: int = 0
    status: dict[str, int] = field(default_factory=dict)
    channel: dict[int, int] = field(default_factory=dict)
    kind: dict[str, int] = field(default_factory=dict)
    sla: dict[str, int] = field(default_factory=dict)
    capped: bool = False


def count_cap(query: InboxQuery) -> int:
    """How far `counts` goes for `query` (less far for a text search)."""
    return SEARCH_COUNT_CAP if query.text else COUNT_CAP


def counts(base: QuerySet[Ticket], now: datetime, cap: int = COUNT_CAP) -> Counts:
    """Counts per status, channel, kind and SLA state of `base`: one grouped query over at
    most `cap` + 1 of its rows."""
    connection = connections[base.db]
    try:
        inner, params = (
            base.order_by().values("status", "channel_id", "kind", "due_at")[: cap + 1].query
        ).sql_with_params()
    except EmptyResultSet:  # a filter that can match nothing (a search with no word)
        return Counts(sla=dict.fromkeys(SLA_STATES, 0))
    adapt = connection.ops.adapt_datetimefield_value
    active = ", ".join(["%s"] * len(Ticket.ACTIVE))
    is_active = f"sub.status IN ({active}) AND sub.due_at IS NOT NULL"
    sql = (
        "SELECT sub.status, sub.channel_id, sub.kind, COUNT(*),"  # noqa: S608
        f" SUM(CASE WHEN {is_active} AND sub.due_at < %s THEN 1 ELSE 0 END),"
        f" SUM(CASE WHEN {is_active} AND sub.due_at >= %s AND sub.due_at <= %s"
        " THEN 1 ELSE 0 END),"
        f" SUM(CASE WHEN {is_active} AND sub.due_at > %s THEN 1 ELSE 0 END)"
        f" FROM ({inner}) sub GROUP BY sub.status, sub.channel_id, sub.kind"
    )
    soon = now + DUE_SOON
    states = list(Ticket.ACTIVE)
    sql_params = [
        *states,
        adapt(now),
        *states,
        adapt(now),
        adapt(soon),
        *states,
        adapt(soon),
        *params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, sql_params)
        fetched = cursor.fetchall()
    result = Counts(sla=dict.fromkeys(SLA_STATES, 0))
    for status, channel_id, kind, n, breached, due_soon, on_time in fetched:
        row = {
            "status": status,
            "channel_id": channel_id,
            "kind": kind,
            "breached": breached or 0,
            "due_soon": due_soon or 0,
            "on_time": on_time or 0,
        }
        result.total += n
        result.status[row["status"]] = result.status.get(row["status"], 0) + n
        result.channel[row["channel_id"]] = result.channel.get(row["channel_id"], 0) + n
        result.kind[row["kind"]] = result.kind.get(row["kind"], 0) + n
        for state in SLA_STATES:
            result.sla[state] += row[state]
    result.capped = result.total > cap
    return result


# --- Bulk changes ----------------------------------------------------------------------------


@dataclass
class BulkResult:
    updated: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (code, why)


def apply_each(
    tickets: Iterable[Ticket],
    change: Callable[[Ticket], Any],
    explain: Callable[[DomainError], str] | None = None,
) -> BulkResult:
    """Call `change` (a `tickets.actions` function, one transaction each) on every case; a case
    the change does not apply to is reported with the reason, the others still change."""
    result = BulkResult()
    for ticket in tickets:
        try:
            change(ticket)
        except DomainError as exc:
            result.refused.append((ticket.code, explain(exc) if explain else exc.message))
        else:
            result.updated.append(ticket.code)
    return result


def transition_label(exc: DomainError) -> str:
    """The status a refused move started from, in the console's words, when there is one."""
    if isinstance(exc, InvalidTransition):
        return str(Ticket.Status(exc.current).label) if exc.current in Ticket.Status else ""
    return ""


# --- Supervisor overview -----------------------------------------------------------------------


@dataclass
class Overview:
    per_team: list[dict[str, Any]]
    per_office: list[dict[str, Any]]
    open_total: int
    due_soon: int
    breached: int
    oldest: list[Ticket]
    intake_today: list[dict[str, Any]]
    intake_total: int


def overview(queryset: QuerySet[Ticket], now: datetime | None = None) -> Overview:
    """Open cases per team and per office with their SLA state, the oldest open cases and
    today's intake per channel (the municipality's day), all from aggregate queries."""
    now = now or timezone.now()
    active = queryset.filter(status__in=Ticket.ACTIVE).order_by()
    sla = {
        "n": Count("id"),
        "due_soon": Count("id", filter=sla_condition("due_soon", now)),
        "breached": Count("id", filter=sla_condition("breached", now)),
    }
    per_team = list(
        active.values("team_id", "team__name", "team__office__name")
        .annotate(**sla)
        .order_by("-n", "team__name")
    )
    per_office = list(
        active.values("office_id", "office__name").annotate(**sla).order_by("-n", "office__name")
    )
    oldest = list(
        active.select_related("channel", "office", "team", "assignee").order_by("created_at", "id")[
            :10
        ]
    )
    midnight = timezone.make_aware(datetime.combine(timezone.localdate(now), time.min))
    intake = list(
        queryset.order_by()
        .filter(created_at__gte=midnight, created_at__lt=midnight + timedelta(days=1))
        .values("channel_id", "channel__name", "channel__kind")
        .annotate(n=Count("id"), first=Min("created_at"))
        .order_by("-n", "channel__name")
    )
    return Overview(
        per_team=per_team,
        per_office=per_office,
        open_total=sum(r["n"] for r in per_office),
        due_soon=sum(r["due_soon"] for r in per_office),
        breached=sum(r["breached"] for r in per_office),
        oldest=oldest,
        intake_today=intake,
        intake_total=sum(r["n"] for r in intake),
    )


def ids_in_order(values: Sequence[str]) -> list[int]:
    """The integer ids of `values` (checkbox values), malformed ones dropped, first-seen order."""
    seen: dict[int, None] = {}
    for value in values:
        if value.strip().isdigit():
            seen.setdefault(int(value), None)
    return list(seen)
