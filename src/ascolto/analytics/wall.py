"""The read side of the supervisors' wall: open cases per team and office with the SLA due soon
and breached, the oldest waiting cases (`tickets.inbox.overview`), today's intake per channel
and hour beside the calls forecast and arrived in each hour (the latest `ForecastRun` covering
today, summed over its series), and the callbacks due. A fixed number of aggregate queries,
whatever the number of cases; the page refreshes itself (HTMX polling).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import Count, QuerySet
from django.db.models.functions import ExtractHour
from django.utils import timezone

from ascolto.contactcenter.actions import callbacks_due
from ascolto.contactcenter.models import CallbackBooking, CallRecord, ForecastPoint, ForecastRun
from ascolto.tickets.inbox import Overview, overview
from ascolto.tickets.models import Ticket

CALLBACKS_SHOWN = 8
CALLBACK_HOURS = 2  # a callback is "due" when its slot starts within this many hours


@dataclass
class HourRow:
    hour: int
    per_channel: list[int]
    total: int
    forecast: float | None
    calls: int


@dataclass
class Wall:
    now: datetime
    overview: Overview
    channels: list[dict[str, Any]]  # today's channels: id, name, kind, n
    hours: list[HourRow]
    forecast_total: float | None
    calls_total: int
    callbacks: list[CallbackBooking] = field(default_factory=list)
    callbacks_late: int = 0
    callbacks_due: int = 0


def wall(queryset: QuerySet[Ticket], now: datetime | None = None) -> Wall:
    """Everything the wall shows for the cases of `queryset` (already narrowed to the user)."""
    now = now or timezone.now()
    data = overview(queryset, now)
    zone = timezone.get_current_timezone()
    midnight = datetime.combine(timezone.localdate(now), time.min, tzinfo=zone)
    tomorrow = midnight + timedelta(days=1)
    intake = (
        queryset.order_by()
        .filter(created_at__gte=midnight, created_at__lt=tomorrow)
        .annotate(hour=ExtractHour("created_at", tzinfo=zone))
        .values("channel_id", "hour")
        .annotate(n=Count("id"))
    )
    cells: dict[tuple[int, int], int] = {}
    for row in intake:
        cells[(row["channel_id"], row["hour"])] = row["n"]
    channels = [
        {"id": r["channel_id"], "name": r["channel__name"], "kind": r["channel__kind"], "n": r["n"]}
        for r in data.intake_today
    ]
    forecast = _forecast_by_hour(midnight, tomorrow)
    calls: dict[int, int] = dict(
        CallRecord.objects.filter(arrived_at__gte=midnight, arrived_at__lt=min(tomorrow, now))
        .annotate(hour=ExtractHour("arrived_at", tzinfo=zone))
        .values("hour")
        .annotate(n=Count("id"))
        .values_list("hour", "n")
    )
    current = timezone.localtime(now, zone).hour
    busy = {h for (_c, h) in cells} | set(calls) | set(forecast)
    first = min(busy | {current})
    last = max(busy | {current})
    hours = []
    for hour in range(first, last + 1):
        per_channel = [cells.get((c["id"], hour), 0) for c in channels]
        hours.append(
            HourRow(
                hour=hour,
                per_channel=per_channel,
                total=sum(per_channel),
                forecast=round(forecast[hour], 1) if hour in forecast else None,
                calls=calls.get(hour, 0),
            )
        )
    visible_ids = queryset.values("pk")
    due = callbacks_due(until=now + timedelta(hours=CALLBACK_HOURS)).filter(ticket__in=visible_ids)
    callbacks = list(due.select_related("ticket__assignee")[:CALLBACKS_SHOWN])
    return Wall(
        now=now,
        overview=data,
        channels=channels,
        hours=hours,
        forecast_total=round(sum(forecast.values()), 1) if forecast else None,
        calls_total=sum(calls.values()),
        callbacks=callbacks,
        callbacks_due=due.count(),
        callbacks_late=due.filter(slot_end__lt=now).count(),
    )


def _forecast_by_hour(since: datetime, until: datetime) -> dict[int, float]:
    """Calls forecast per local hour of [since, until) by the latest run covering that day."""
    run = (
        ForecastRun.objects.filter(horizon_start__lt=until, horizon_end__gt=since)
        .order_by("-created_at", "-pk")
        .only("pk")
        .first()
    )
    if run is None:
        return {}
    zone = timezone.get_current_timezone()
    hours: dict[int, float] = defaultdict(float)
    points = ForecastPoint.objects.filter(run=run, start__gte=since, start__lt=until)
    for start, calls in points.values_list("start", "calls"):
        hours[timezone.localtime(start, zone).hour] += calls
    return dict(hours)
