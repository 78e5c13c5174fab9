"""The summaries built in the database (`INSERT … SELECT`) hold exactly what the cases and calls
say, counted here in Python row by row; and a refresh rebuilds only the days that changed."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from ascolto.analytics import summaries
from ascolto.analytics.models import CallDay, CaseDay, ContactYear
from ascolto.channels.models import Channel
from ascolto.contactcenter.actions import record_call
from ascolto.contactcenter.models import CallRecord
from ascolto.tickets import actions
from ascolto.tickets.models import Ticket
from tests import factories
from tests.analytics.conftest import C1, C4, HandBuilt

pytestmark = pytest.mark.django_db

ROME = ZoneInfo("Europe/Rome")
CASE_FIELDS = ("cases", "counted", "resolved", "b_day", "b_week", "b_month", "b_quarter", "b_over")


def _bucket(ticket: Ticket) -> str:
    assert ticket.resolved_at is not None
    took = ticket.resolved_at - ticket.created_at
    for days, name in ((1, "b_day"), (7, "b_week"), (30, "b_month"), (90, "b_quarter")):
        if took < timedelta(days=days):
            return name
    return "b_over"


def _cases_by_hand() -> set[tuple[Any, ...]]:
    groups: dict[tuple[Any, ...], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(CASE_FIELDS, 0)
    )
    for t in Ticket.objects.select_related("channel"):
        key = (
            t.created_at.astimezone(ROME).date(),
            t.channel.kind,
            t.theme_id,
            t.office_id,
            t.level,
            t.kind,
        )
        row = groups[key]
        row["cases"] += 1
        if t.status != Ticket.Status.CANCELLED and t.parent_id is None:
            row["counted"] += 1
        if t.resolved_at is not None and t.parent_id is None:
            row["resolved"] += 1
            row[_bucket(t)] += 1
    return {(*key, *(row[f] for f in CASE_FIELDS)) for key, row in groups.items()}


def _calls_by_hand() -> set[tuple[Any, ...]]:
    groups: dict[tuple[date, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for c in CallRecord.objects.all():
        row = groups[(c.arrived_at.astimezone(ROME).date(), c.queue)]
        row[0] += 1
        row[3] += c.wait_seconds
        if not c.abandoned:
            row[1] += 1
            row[2] += c.wait_seconds
            row[4] += c.talk_seconds
    return {(*key, *row) for key, row in groups.items()}


def _contacts_by_hand() -> set[tuple[Any, ...]]:
    calls: dict[tuple[int, int], list[CallRecord]] = defaultdict(list)
    for c in CallRecord.objects.filter(caller__isnull=False).order_by("arrived_at", "id"):
        assert c.caller_id is not None
        calls[(c.arrived_at.astimezone(ROME).year, c.caller_id)].append(c)
    cases: dict[tuple[int, int, str], list[Ticket]] = defaultdict(list)
    phone_cases = Ticket.objects.filter(
        channel__kind=Channel.Kind.PHONE, identity__isnull=False
    ).select_related("theme")
    for t in phone_cases.order_by("created_at", "id"):
        assert t.identity_id is not None
        area = t.theme.path.strip("/").split("/")[0] if t.theme else "senza-tema"
        cases[(t.created_at.astimezone(ROME).year, t.identity_id, area)].append(t)
    rows: dict[tuple[int, int], list[date | None]] = {}
    for (year, identity), made in calls.items():
        days = [c.arrived_at.astimezone(ROME).date() for c in made]
        rows[(year, identity)] = [days[0], days[2] if len(days) > 2 else None, None]
    for (year, identity, _area), opened in cases.items():
        if len(opened) < 3:
            continue
        third = opened[2].created_at.astimezone(ROME).date()
        row = rows.setdefault((year, identity), [None, None, None])
        row[2] = third if row[2] is None else min(row[2], third)
    return {(*key, *row) for key, row in rows.items()}


def _summaries() -> tuple[set[tuple[Any, ...]], ...]:
    case_days = set(
        CaseDay.objects.values_list(
            "day", "channel_kind", "theme_id", "office_id", "level", "kind", *CASE_FIELDS
        )
    )
    call_days = set(
        CallDay.objects.values_list(
            "day", "queue", "offered", "answered", "wait_answered", "wait_all", "talk"
        )
    )
    contacts = set(
        ContactYear.objects.values_list(
            "year", "identity_id", "first_call_on", "third_call_on", "third_area_on"
        )
    )
    return case_days, call_days, contacts


def test_a_rebuild_in_the_database_equals_the_figures_counted_case_by_case(
    hand_built: HandBuilt,
) -> None:
    now = timezone.now()
    # Last year's calls too (a second year of contacts), one of them hidden (no identity), and
    # a case merged into another (counted neither in shares nor as resolved).
    for i, number in enumerate([C1, C1, C1, C4, ""]):
        record_call(
            external_id=f"last-year-{i}",
            queue="anagrafe",
            arrived_at=now - timedelta(days=200 + i),
            wait_seconds=10 * i,
            talk_seconds=0 if i == 1 else 100,
            abandoned=i == 1,
            caller_phone=number,
        )
    actions.merge_tickets(
        factories.refresh(hand_built.phone[5]), factories.refresh(hand_built.phone[4]), actor=None
    )

    summaries.rebuild_all()

    case_days, call_days, contacts = _summaries()
    assert case_days == _cases_by_hand()
    assert call_days == _calls_by_hand()
    assert contacts == _contacts_by_hand()
    # The hand-built city spans several chunks of days and two years: the comparison means
    # something only if each of them holds rows.
    assert len({row[0] for row in case_days}) >= 6
    assert {row[0] for row in contacts} == {now.year - 1, now.year}
    assert any(row[3] is not None for row in contacts)  # a third call
    assert any(row[4] is not None for row in contacts)  # a third phone case in one area


def test_a_refresh_rebuilds_only_the_days_that_changed(hand_built: HandBuilt) -> None:
    # The nightly rebuild an hour after the city was written (past the watermark's margin)...
    start = timezone.now()
    with time_machine.travel(start + timedelta(hours=1)):
        summaries.rebuild_all()
    before = {row.pk: row.day for row in CaseDay.objects.all()}
    changed_day = hand_built.web["D"].created_at.astimezone(ROME).date()

    # ...and, an hour later, the case opened 60 days ago is reopened.
    with time_machine.travel(start + timedelta(hours=2)):
        actions.reopen_ticket(factories.refresh(hand_built.web["D"]), actor=None, reason="No.")
        assert summaries.refresh(wait=None) == 1

    after = {row.pk: row.day for row in CaseDay.objects.all()}
    # Every other day's rows are the very rows written before; the changed day's are new ones,
    # and the summaries hold what the cases say now.
    assert {pk: day for pk, day in after.items() if day != changed_day} == {
        pk: day for pk, day in before.items() if day != changed_day
    }
    fresh = {pk for pk, day in after.items() if day == changed_day}
    assert fresh and fresh.isdisjoint(before)
    assert _summaries()[0] == _cases_by_hand()


def test_an_empty_database_builds_empty_summaries() -> None:
    with time_machine.travel(datetime(2026, 6, 17, 10, 0, tzinfo=ROME)):
        summaries.rebuild_all()
    assert _summaries() == (set(), set(), set())
