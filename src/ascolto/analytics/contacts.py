"""The per-year contact table (`ContactYear`) behind the repeat-contact figures: for each
identity and calendar year, the day of its first call, of its third call, and of its third
phone case in one area. Built whole with window functions, in the database (`INSERT …
SELECT`), then kept in step for the identities whose calls or phone cases changed
(`summaries.refresh` passes them)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections, router
from django.db.models import F, QuerySet, Window
from django.db.models.functions import RowNumber, TruncDate
from django.utils import timezone

from ascolto.analytics.areas import area_of
from ascolto.analytics.models import ContactYear
from ascolto.analytics.period import Period
from ascolto.channels.models import Channel
from ascolto.contactcenter.models import CallRecord
from ascolto.tickets.models import Ticket

CHUNK = 2_000


def _years() -> list[int]:
    tz = timezone.get_current_timezone()
    first = CallRecord.objects.order_by("arrived_at").values_list("arrived_at", flat=True).first()
    last = CallRecord.objects.order_by("-arrived_at").values_list("arrived_at", flat=True).first()
    if first is None or last is None:
        return []
    return list(range(first.astimezone(tz).year, last.astimezone(tz).year + 1))


def _sources(year: int, identities: list[int] | None) -> tuple[QuerySet[Any], QuerySet[Any]]:
    """The year's ranked rows: each identified caller's first and third call (keys `k_id`,
    `k_rank`, `k_day`), and each identity's third phone case in one area (`k_id`, `k_day`)."""
    period = Period.year(year)
    tz = timezone.get_current_timezone()
    calls = CallRecord.objects.filter(
        arrived_at__gte=period.since, arrived_at__lt=period.until, caller__isnull=False
    ).order_by()
    phone = list(Channel.objects.filter(kind=Channel.Kind.PHONE).values_list("pk", flat=True))
    cases = Ticket.objects.filter(
        created_at__gte=period.since,
        created_at__lt=period.until,
        channel_id__in=phone,
        identity__isnull=False,
    ).order_by()
    if identities is not None:
        calls = calls.filter(caller_id__in=identities)
        cases = cases.filter(identity_id__in=identities)
    ranked_calls = (
        calls.annotate(
            k_rank=Window(
                RowNumber(), partition_by=[F("caller_id")], order_by=[F("arrived_at"), F("id")]
            ),
        )
        .filter(k_rank__in=[1, 3])
        .values("k_rank", k_id=F("caller_id"), k_day=TruncDate("arrived_at", tzinfo=tz))
    )
    ranked_cases = (
        cases.annotate(
            k_rank=Window(
                RowNumber(),
                partition_by=[F("identity_id"), area_of()],
                order_by=[F("created_at"), F("id")],
            ),
        )
        .filter(k_rank=3)
        .values(k_id=F("identity_id"), k_day=TruncDate("created_at", tzinfo=tz))
    )
    return ranked_calls, ranked_cases


def _insert(year: int, identities: list[int] | None) -> None:
    """Write the `ContactYear` rows of `year` (of `identities` only, if given) in one
    `INSERT … SELECT`: the ranking, the grouping and the writing all happen in the database, so
    a year of a large city's calls never passes through Python (one row per identity did: GiBs
    at ten times Milan). An identity's row takes its first and third call and the earliest day
    it reached three phone cases in one area."""
    calls, cases = _sources(year, identities)
    try:
        calls_sql, calls_params = calls.query.sql_with_params()
        cases_sql, cases_params = cases.query.sql_with_params()
    except EmptyResultSet:  # no phone channel, or no identity asked for: nothing to write
        return
    connection = connections[router.db_for_write(ContactYear)]
    qn = connection.ops.quote_name
    table = qn(ContactYear._meta.db_table)
    column = {f.name: f.column for f in ContactYear._meta.concrete_fields}
    columns = ", ".join(
        qn(column[name])
        for name in ("year", "identity_id", "first_call_on", "third_call_on", "third_area_on")
    )
    no_day = "CAST(NULL AS date)"
    sql = (
        f"INSERT INTO {table} ({columns}) "  # noqa: S608 (names are the models')
        "SELECT %s, src.k_id, MIN(src.first_call), MIN(src.third_call), MIN(src.third_area) "
        "FROM ("
        "SELECT c.k_id, CASE WHEN c.k_rank = 1 THEN c.k_day END AS first_call, "
        f"CASE WHEN c.k_rank = 3 THEN c.k_day END AS third_call, {no_day} AS third_area "
        f"FROM ({calls_sql}) c "
        f"UNION ALL SELECT a.k_id, {no_day}, {no_day}, a.k_day FROM ({cases_sql}) a"
        ") src GROUP BY src.k_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [year, *calls_params, *cases_params])


def rebuild_all() -> None:
    ContactYear.objects.all().delete()
    for year in _years():
        _insert(year, None)


def rebuild(year: int, identities: Iterable[int]) -> None:
    """Recompute the rows of `identities` for `year`."""
    pending = sorted(set(identities))
    for i in range(0, len(pending), CHUNK):
        chunk = pending[i : i + CHUNK]
        ContactYear.objects.filter(year=year, identity_id__in=chunk).delete()
        _insert(year, chunk)


def repeat_to_date(period: Period) -> tuple[int, int, int]:
    """(callers, callers with more than two calls, identities with more than two phone cases in
    one area) from 1 January of the period's last year to its last day."""
    end = period.end
    rows = ContactYear.objects.filter(year=end.year)
    # Three counts, each an index range (year, date) rather than one pass over every row.
    return (
        rows.filter(first_call_on__lte=end).count(),
        rows.filter(third_call_on__lte=end).count(),
        rows.filter(third_area_on__lte=end).count(),
    )
