"""The monthly report's figures on a small city counted by hand (tests/analytics/conftest.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ascolto.analytics.period import Period
from ascolto.analytics.report import as_dashboard, monthly_report
from tests.analytics.conftest import HandBuilt

pytestmark = pytest.mark.django_db


def test_case_counts_shares_and_levels(hand_built: HandBuilt) -> None:
    report = monthly_report(hand_built.period)

    assert report.cases == 13
    assert report.cases_by_channel == {"web": 7, "phone": 6}
    assert report.counted == 12  # the cancelled case does not count
    assert report.resolved == 11
    assert report.resolved_share == 91.7  # 11 / 12
    assert report.first_level_share == 91.7  # one of the 12 went to the TARI office
    assert report.levels == {1: 10, 2: 1}
    offices = {name: (n, resolved, second) for name, n, resolved, second in report.offices}
    assert offices["Ufficio TARI"] == (1, 1, 1)


def test_contact_center_figures(hand_built: HandBuilt) -> None:
    calls = monthly_report(hand_built.period).calls

    assert (calls.offered, calls.answered) == (11, 9)
    assert calls.answer_rate == 81.8  # 9 / 11
    assert calls.mean_wait == 45.6  # (30+60+10+40+50+70+30+20+100) / 9
    assert calls.mean_wait_all == 47.3  # 520 / 11
    assert calls.mean_talk == 227.8  # 2050 / 9


def test_repeat_callers(hand_built: HandBuilt) -> None:
    report = monthly_report(hand_built.period)

    # Four identified callers (the hidden number is not one); C1 and C4 called more than twice.
    assert (report.callers, report.repeat_callers) == (4, 2)
    assert report.repeat_callers_share == 50.0
    # Only C4 has three phone cases in one area (Tributi); C1's three are Tributi twice and
    # Anagrafe once.
    assert report.repeat_same_area == 1
    assert report.repeat_same_area_share == 25.0


def test_resolution_buckets_and_theme_mix(hand_built: HandBuilt) -> None:
    report = monthly_report(hand_built.period)

    assert report.bucket_counts("web") == {"day": 1, "week": 1, "month": 1, "quarter": 1, "over": 1}
    assert report.bucket_shares("web") == dict.fromkeys(
        ("day", "week", "month", "quarter", "over"), 20.0
    )
    assert report.bucket_counts() == {"day": 7, "week": 1, "month": 1, "quarter": 1, "over": 1}
    assert [(code, n, pct) for code, _, n, pct in report.areas] == [
        ("anagrafe", 7, 53.8),
        ("tributi", 6, 46.2),
    ]
    topics = {name: n for name, _, n, _ in report.top_topics}
    assert topics == {"Rinnovo": 7, "Dichiarazione": 5, "Pagamento e avvisi": 1}


def test_the_period_bounds_the_figures(hand_built: HandBuilt) -> None:
    today = hand_built.period.end
    last_week = monthly_report(Period(today - timedelta(days=6), today))

    assert last_week.cases == 10  # D (60 days), E (120) and C (20) opened earlier
    assert last_week.calls.offered == 11
    assert sum(m["cases"] for m in last_week.months) == 10
    earlier = monthly_report(hand_built.period.shifted_to(hand_built.period.start.year - 1))
    assert (earlier.cases, earlier.calls.offered, earlier.callers) == (0, 0, 0)
    assert earlier.resolved_share is None


def test_dashboard_tables_carry_the_same_numbers(hand_built: HandBuilt) -> None:
    board = as_dashboard(monthly_report(hand_built.period))

    resolution = board.table("resolution")
    assert [row[3] for row in resolution.rows] == [1, 1, 1, 1, 1]
    assert board.table("levels").rows == [["Primo livello", 10, 90.9], ["Secondo livello", 1, 9.1]]
    assert sum(row[1] for row in board.table("months").rows) == 13
    comparison = board.table("comparison")
    assert comparison.rows[0][1:] == [13, 0]


def test_the_summaries_follow_every_change_of_a_case(hand_built: HandBuilt) -> None:
    from ascolto.tickets import actions
    from tests import factories

    before = monthly_report(hand_built.period)
    operator = hand_built.web["A"].assignee or None
    f = factories.refresh(hand_built.web["F"])
    actions.resolve_ticket(f, "Risposta data.", actor=operator)  # opened 5 days ago: a week
    actions.reopen_ticket(factories.refresh(hand_built.web["A"]), actor=operator, reason="No.")
    factories.submit_scrivi("Nuova richiesta", email="nuova@example.org", theme="cie-rinnovo")

    after = monthly_report(hand_built.period)

    assert after.cases == before.cases + 1
    assert after.resolved == before.resolved  # F resolved, A reopened
    assert after.bucket_counts("web") == {"day": 0, "week": 2, "month": 1, "quarter": 1, "over": 1}
    assert dict((c, n) for c, _, n, _ in after.areas)["anagrafe"] == 8


def test_the_summaries_are_rebuilt_after_a_bulk_write(hand_built: HandBuilt) -> None:
    from ascolto.analytics import summaries
    from ascolto.tickets.models import Ticket

    monthly_report(hand_built.period)
    # A write that bypasses the ORM's save (as the demo generator's bulk writer does) is seen
    # after `forget()`.
    Ticket.objects.filter(pk=hand_built.web["F"].pk).update(status=Ticket.Status.CANCELLED)
    summaries.forget()

    assert monthly_report(hand_built.period).counted == 11


def test_repeat_callers_follow_new_calls(hand_built: HandBuilt) -> None:
    from django.utils import timezone

    from ascolto.contactcenter.actions import record_call
    from tests.analytics.conftest import C2

    assert monthly_report(hand_built.period).repeat_callers == 2
    record_call(
        external_id="call-late",
        queue="tributi",
        arrived_at=timezone.now(),
        wait_seconds=5,
        talk_seconds=60,
        caller_phone=C2,
    )

    after = monthly_report(hand_built.period)
    assert (after.callers, after.repeat_callers) == (4, 3)  # C2's third call
