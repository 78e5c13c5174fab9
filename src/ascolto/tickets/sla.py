"""SLA arithmetic: when a case is due, and in which SLA state it is."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from ascolto.core.calendar import is_working_day
from ascolto.tickets.models import SlaPolicy, Ticket

DUE_SOON = timedelta(hours=48)


def due_at(policy: SlaPolicy, opened_at: datetime) -> datetime:
    """The time by which a case opened at `opened_at` must be resolved under `policy`.

    Calendar days: opened_at plus that many days. Working days: that many working days after the
    day it was opened (weekends and the municipality's holidays skipped, `core.calendar`), at the
    same time.
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


def promised_due_at(
    policy: SlaPolicy | None, opened_at: datetime, *, booked: datetime | None = None
) -> datetime | None:
    """The due time a case opened at `opened_at` is given, the date the citizen is promised: a
    booked time when there is one (a callback's slot), else what the case's SLA policy gives
    (`due_at`), else none. The one rule for a new case, a queued request's status page and the
    demo city."""
    if booked is not None:
        return booked
    return due_at(policy, opened_at) if policy is not None else None


def sla_state(due: datetime | None, now: datetime, *, active: bool = True) -> str:
    """'none', 'on_time', 'due_soon' (within 48 h) or 'breached'."""
    if due is None or not active:
        return "none"
    if due < now:
        return "breached"
    if due - now <= DUE_SOON:
        return "due_soon"
    return "on_time"


def open_breaches() -> float:
    """The metrics' gauge: open cases past their due time (one count on the open cases' due
    index)."""
    return Ticket.objects.filter(status__in=Ticket.ACTIVE, due_at__lt=timezone.now()).count()
