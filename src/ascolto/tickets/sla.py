"""SLA arithmetic: when a case is due, and in which SLA state it is."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays
from django.utils import timezone

from ascolto.tickets.models import SlaPolicy

DUE_SOON = timedelta(hours=48)


@lru_cache(maxsize=64)
def _italian_holidays(year: int) -> frozenset[date]:
    # Italy's national holidays plus Milan's patron saint (Sant'Ambrogio, 7 December).
    days = set(holidays.country_holidays("IT", subdiv="MI", years=year).keys())
    days.add(date(year, 12, 7))
    return frozenset(days)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _italian_holidays(day.year)


def due_at(policy: SlaPolicy, opened_at: datetime) -> datetime:
    """The time by which a case opened at `opened_at` must be resolved under `policy`.

    Calendar days: opened_at plus that many days. Working days: that many working days after the
    day it was opened (weekends and Italian and Milanese holidays skipped), at the same time.
    Days are counted on the municipality's calendar (TIME_ZONE), whatever zone `opened_at` is in:
    a case opened at 00:30 on a Friday in Milan is a Friday case, not a Thursday one in UTC.
    """
    opened_at = timezone.localtime(opened_at)
    if not policy.working_days:
        return opened_at + timedelta(days=policy.resolution_days)
    current = opened_at
    remaining = policy.resolution_days
    while remaining > 0:
        current += timedelta(days=1)
        if is_working_day(current.date()):
            remaining -= 1
    return current


def sla_state(due: datetime | None, now: datetime, *, active: bool = True) -> str:
    """'none', 'on_time', 'due_soon' (within 48 h) or 'breached'."""
    if due is None or not active:
        return "none"
    if due < now:
        return "breached"
    if due - now <= DUE_SOON:
        return "due_soon"
    return "on_time"
