"""The per-year contact table (`ContactYear`) behind the repeat-contact figures: for each
identity and calendar year, the day of its first call, of its third call, and of its third
phone case in one area. Built whole with window functions, then kept in step for the
identities whose calls or phone cases changed (`summaries.refresh` passes them)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F, Window
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


def _rows(year: int, identities: list[int] | None) -> list[ContactYear]:
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
    out: dict[int, ContactYear] = {}

    def row(identity: int) -> ContactYear:
        found = out.get(identity)
        if found is None:
            found = out[identity] = ContactYear(year=year, identity_id=identity)
        return found

    ranked_calls = (
        calls.annotate(
            rank=Window(
                RowNumber(), partition_by=[F("caller_id")], order_by=[F("arrived_at"), F("id")]
            ),
            day=TruncDate("arrived_at", tzinfo=tz),
        )
        .filter(rank__in=[1, 3])
        .values_list("caller_id", "rank", "day")
    )
    for identity, rank, day in ranked_calls:
        if rank == 1:
            row(identity).first_call_on = day
        else:
            row(identity).third_call_on = day
    ranked_cases = (
        cases.annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("identity_id"), area_of()],
                order_by=[F("created_at"), F("id")],
            ),
            day=TruncDate("created_at", tzinfo=tz),
        )
        .filter(rank=3)
        .values_list("identity_id", "day")
    )
    for identity, day in ranked_cases:
        current = row(identity)
        if current.third_area_on is None or day < current.third_area_on:
            current.third_area_on = day
    return list(out.values())


def rebuild_all() -> None:
    ContactYear.objects.all().delete()
    for year in _years():
        ContactYear.objects.bulk_create(_rows(year, None), batch_size=5_000)


def rebuild(year: int, identities: Iterable[int]) -> None:
    """Recompute the rows of `identities` for `year`."""
    pending = sorted(set(identities))
    for i in range(0, len(pending), CHUNK):
        chunk = pending[i : i + CHUNK]
        ContactYear.objects.filter(year=year, identity_id__in=chunk).delete()
        ContactYear.objects.bulk_create(_rows(year, chunk), batch_size=5_000)


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
