"""Keep the daily summaries (`CaseDay`, `CallDay`) in step with the cases and calls.

Every read of a report calls `refresh()` first, which:

1. builds everything when there is no summary yet (a fresh database, or after `forget()`);
2. otherwise finds the days whose cases changed since the last check — `Ticket.updated_at` moves
   on every save an action or intake makes — less a safety margin (`MARGIN`) for transactions
   that saved a case before the last check but committed after it, and rebuilds those days;
3. when calls were recorded since the last check, rebuilds their days and those of the last
   `CALL_MARGIN` ids below them (for the same reason); with no new call, nothing;
4. recomputes the per-year contact rows (`ContactYear`) of the identities of those calls and
   of the changed phone cases.

A day is rebuilt whole (delete, then one `INSERT … SELECT` that groups its rows in the database:
no row passes through Python, so the memory a rebuild takes does not grow with the city), in one
transaction holding the summaries' lock (`locked`), so two readers never add a day twice. A
reader waits for that lock `WAIT` seconds at most: past that, another reader is refreshing and
it reads the summaries as the last refresh committed them (decision 0012 says why the refresh
stays on the read). The
demo generator writes rows without the ORM and calls `forget()`;
`python -m ascolto refresh_summaries` catches up as a report does, and with `--all` rebuilds
everything, `CHUNK` days per statement (`benchmarks/summaries.py` measures it).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date, datetime, timedelta
from datetime import time as clock
from typing import Any

from django.db import OperationalError, connection, transaction
from django.db.models import Count, F, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import ExtractYear, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from ascolto.analytics import contacts
from ascolto.analytics.models import CallDay, CaseDay, ContactYear, SummaryState
from ascolto.analytics.queries import BUCKETS, counted, in_bucket, resolved
from ascolto.channels.models import Channel
from ascolto.contactcenter.models import CallRecord
from ascolto.core import replica
from ascolto.core.bulk import insert_select
from ascolto.core.errors import DomainError
from ascolto.tickets.models import Ticket

MARGIN = timedelta(minutes=10)
CALL_MARGIN = 1_000
CHUNK = 31  # days rebuilt per query
K = "k_"  # the grouped queries' keys: the summary's field names after it (`insert_select`)


def _bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, clock.min))
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), clock.min))


def _in_days(field: str, days: list[date]) -> Q:
    q = Q()
    for day in days:
        start, end = _bounds(day)
        q |= Q(**{f"{field}__gte": start, f"{field}__lt": end})
    return q


def _local_day() -> TruncDate:
    return TruncDate("created_at", tzinfo=timezone.get_current_timezone())


def _case_rows(where: Q) -> QuerySet[Ticket, dict[str, Any]]:
    """The `CaseDay` rows of the cases matching `where`, as one grouped query (keys: the
    summary's fields after `K`)."""
    return (
        Ticket.objects.filter(where)
        .values(
            **{
                K + "day": _local_day(),
                K + "channel_kind": F("channel__kind"),
                K + "theme_id": F("theme_id"),
                K + "office_id": F("office_id"),
                K + "level": F("level"),
                K + "kind": F("kind"),
            }
        )
        .annotate(
            **{
                K + "cases": Count("id"),
                K + "counted": Count("id", filter=counted()),
                K + "resolved": Count("id", filter=resolved()),
            },
            **{K + b.field: Count("id", filter=in_bucket(b)) for b in BUCKETS},
        )
        .order_by()
    )


def _call_rows(where: Q) -> QuerySet[CallRecord, dict[str, Any]]:
    """The `CallDay` rows of the calls matching `where`, as one grouped query."""
    answered = Q(abandoned=False)
    return (
        CallRecord.objects.filter(where)
        .values(
            **{
                K + "day": TruncDate("arrived_at", tzinfo=timezone.get_current_timezone()),
                K + "queue": F("queue"),
            }
        )
        .annotate(
            **{
                K + "offered": Count("id"),
                K + "answered": Count("id", filter=answered),
                K + "wait_answered": Sum("wait_seconds", filter=answered, default=0),
                K + "wait_all": Sum("wait_seconds", default=0),
                K + "talk": Sum("talk_seconds", filter=answered, default=0),
            }
        )
        .order_by()
    )


def _rebuild_case_days(days: list[date]) -> None:
    for i in range(0, len(days), CHUNK):
        chunk = days[i : i + CHUNK]
        CaseDay.objects.filter(day__in=chunk).delete()
        insert_select(CaseDay, _case_rows(_in_days("created_at", chunk)), prefix=K)


def _rebuild_call_days(days: list[date]) -> None:
    for i in range(0, len(days), CHUNK):
        chunk = days[i : i + CHUNK]
        CallDay.objects.filter(day__in=chunk).delete()
        insert_select(CallDay, _call_rows(_in_days("arrived_at", chunk)), prefix=K)


def _spans(first: datetime | None, last: datetime | None) -> Iterator[tuple[datetime, datetime]]:
    """From the local day of `first` to that of `last`, ranges of `CHUNK` whole local days."""
    if first is None or last is None:
        return
    tz = timezone.get_current_timezone()
    day, end = first.astimezone(tz).date(), last.astimezone(tz).date()
    while day <= end:
        after = min(day + timedelta(days=CHUNK), end + timedelta(days=1))
        yield _bounds(day)[0], _bounds(after)[0]
        day = after


def _build_days() -> None:
    """Every day's `CaseDay` and `CallDay` rows, `CHUNK` days per `INSERT … SELECT`: each
    statement groups a month of rows in the database, and none passes through Python."""
    span = Ticket.objects.aggregate(first=Min("created_at"), last=Max("created_at"))
    for start, end in _spans(span["first"], span["last"]):
        insert_select(CaseDay, _case_rows(Q(created_at__gte=start, created_at__lt=end)), prefix=K)
    span = CallRecord.objects.aggregate(first=Min("arrived_at"), last=Max("arrived_at"))
    for start, end in _spans(span["first"], span["last"]):
        insert_select(CallDay, _call_rows(Q(arrived_at__gte=start, arrived_at__lt=end)), prefix=K)


LOCK_KEY = 0x5EA5C0  # PostgreSQL advisory lock: one refresh at a time
WAIT = 2.0  # seconds a report waits for another reader's refresh before reading what is there
POLL = 0.05  # seconds between two tries of the lock on PostgreSQL


class SummariesBusy(DomainError):
    """The summaries are being built from scratch by another reader: there is nothing to read
    yet, and waiting would hold the page for the whole build."""


@contextmanager
def locked(wait: float | None = None) -> Iterator[bool]:
    """One transaction holding the summaries' lock, so two refreshes never add a day twice.

    With `wait` (seconds) the lock is tried for that long only, and the block gets False when
    another refresh still holds it: it must then write nothing (it may read what the summaries
    hold, the last committed refresh). With no `wait`, it waits as long as it takes (commands).
    PostgreSQL: a transaction-level advisory lock, polled with `pg_try_advisory_xact_lock`.
    SQLite: the database's write lock, taken at BEGIN (`transaction_mode` IMMEDIATE) with the
    busy timeout lowered to `wait` for that statement; readers are not blocked by it (WAL).
    """
    if connection.vendor == "sqlite" and wait is not None and not connection.in_atomic_block:
        with ExitStack() as stack:
            try:
                with _busy_timeout(wait):
                    stack.enter_context(transaction.atomic())
            except OperationalError as exc:
                # "database is locked" (or "table is locked" on a shared-cache database):
                # another writer held it past `wait`. Any other failure is not ours to hide.
                if "locked" not in str(exc):
                    raise
                got = False
            else:
                got = True
            yield got
        return
    with transaction.atomic():
        yield _advisory_lock(wait) if connection.vendor == "postgresql" else True


@contextmanager
def _busy_timeout(seconds: float) -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        (previous,) = cursor.fetchone()
        cursor.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {int(previous)}")


def _advisory_lock(wait: float | None) -> bool:
    with connection.cursor() as cursor:
        if wait is None:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
            return True
        deadline = time.monotonic() + wait
        while True:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [LOCK_KEY])
            if cursor.fetchone()[0]:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL)


def _build_all() -> SummaryState:
    now = timezone.now()
    SummaryState.objects.all().delete()
    CaseDay.objects.all().delete()
    CallDay.objects.all().delete()
    _build_days()
    contacts.rebuild_all()
    top = CallRecord.objects.aggregate(top=Max("id"))["top"] or 0
    return SummaryState.objects.create(cases_checked_at=now, calls_max_id=top)


@replica.on_primary
def rebuild_all() -> SummaryState:
    """Summaries of every day, from scratch (waits for a refresh in progress)."""
    with locked():
        return _build_all()


@replica.on_primary
def refresh(*, wait: float | None = WAIT) -> int:
    """Bring the summaries up to date; returns how many days were rebuilt (-1: all of them).

    A reader never waits more than `wait` seconds for another reader's refresh: past it, it
    reads the summaries as the last refresh left them (and returns 0), or, when there is none
    yet, raises `SummariesBusy` (decision 0012)."""
    with locked(wait) as got:
        if not got:
            if not SummaryState.objects.exists():
                raise SummariesBusy(
                    _("I riepiloghi dei report sono in preparazione: riprova tra qualche minuto.")
                )
            return 0
        state = SummaryState.objects.first()
        if state is None:
            _build_all()
            return -1
        return _catch_up(state)


def _catch_up(state: SummaryState) -> int:
    """Rebuild the days changed since `state` was written (the summaries' lock is held)."""
    now = timezone.now()
    tz = timezone.get_current_timezone()
    # `order_by()`: the cases' default ordering would make SQLite walk the whole
    # created_at index instead of the few rows the updated_at index finds.
    changed = Ticket.objects.filter(updated_at__gte=state.cases_checked_at - MARGIN).order_by()
    case_days = sorted(
        set(
            changed.annotate(day=TruncDate("created_at", tzinfo=tz))
            .values_list("day", flat=True)
            .distinct()
        )
    )
    _rebuild_case_days(case_days)
    touched: dict[int, set[int]] = {}
    phone_cases = changed.filter(channel__kind=Channel.Kind.PHONE, identity__isnull=False)
    for year, identity in (
        phone_cases.annotate(year=ExtractYear("created_at", tzinfo=tz))
        .values_list("year", "identity_id")
        .distinct()
    ):
        touched.setdefault(year, set()).add(identity)
    top = CallRecord.objects.aggregate(top=Max("id"))["top"] or 0
    call_days: list[date] = []
    if top > state.calls_max_id:
        # New calls: rebuild their days, and those of the few ids below the last one seen
        # (a call whose transaction committed after the last check).
        calls = CallRecord.objects.filter(
            id__gt=max(state.calls_max_id - CALL_MARGIN, 0)
        ).order_by()
        call_days = sorted(
            set(
                calls.annotate(day=TruncDate("arrived_at", tzinfo=tz))
                .values_list("day", flat=True)
                .distinct()
            )
        )
        _rebuild_call_days(call_days)
        for year, identity in (
            calls.filter(caller__isnull=False)
            .annotate(year=ExtractYear("arrived_at", tzinfo=tz))
            .values_list("year", "caller_id")
            .distinct()
        ):
            touched.setdefault(year, set()).add(identity)
        state.calls_max_id = top
    for year, identities in sorted(touched.items()):
        contacts.rebuild(year, identities)
    state.cases_checked_at = now
    state.save()
    return len(case_days) + len(call_days)


def forget() -> None:
    """Drop every summary: the next report rebuilds them (after rows written without the ORM)."""
    with locked():
        SummaryState.objects.all().delete()
        CaseDay.objects.all().delete()
        CallDay.objects.all().delete()
        ContactYear.objects.all().delete()
