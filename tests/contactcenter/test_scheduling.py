"""Shift plans from CP-SAT on instances small enough to know the answer."""

from __future__ import annotations

import numpy as np
import pytest

from ascolto.contactcenter.numerics.scheduling import (
    InfeasiblePlan,
    OperatorPool,
    ShiftTemplate,
    coverage_from_assignments,
    format_coverage,
    plan_shifts,
)

EIGHT = ShiftTemplate("8h", 480, cost=100.0)


def day_requirement(value: int, start_hour: int = 8, hours: int = 8) -> np.ndarray:
    req = np.zeros((1, 96), dtype=int)
    req[0, start_hour * 4 : (start_hour + hours) * 4] = value
    return req


def test_constant_requirement_two_needs_exactly_two_eight_hour_shifts() -> None:
    plan = plan_shifts(day_requirement(2), [EIGHT], [OperatorPool("remote", 10)])
    assert plan.status == "OPTIMAL"
    assert plan.shifts_per_start() == {(0, 480, "8h", "remote"): 2}
    assert plan.under_staffing == 0
    assert plan.over_staffing == 0
    assert plan.cost == 200.0


def test_under_staffing_comes_before_cost() -> None:
    # Covering the whole day needs the dear 8-hour shift; the cheap 4-hour one leaves gaps.
    templates = [ShiftTemplate("4h", 240, cost=10.0), ShiftTemplate("8h", 480, cost=1000.0)]
    plan = plan_shifts(day_requirement(1), templates, [OperatorPool("remote", 1)])
    assert plan.under_staffing == 0
    assert plan.shifts_per_start() == {(0, 480, "8h", "remote"): 1}


def test_too_small_a_pool_leaves_the_least_under_staffing() -> None:
    plan = plan_shifts(day_requirement(3), [EIGHT], [OperatorPool("remote", 2)])
    assert plan.under_staffing == 32  # one operator short for 32 quarter hours
    assert plan.coverage.max() == 2


def test_breaks_fall_inside_their_window_and_are_covered() -> None:
    # One operator needed all day, two available: with a 30-minute break in hours 3-5 the
    # second shift must cover the first one's break (and vice versa) at least cost.
    tpl = ShiftTemplate("8h", 480, 30, 180, 300, cost=100.0)
    plan = plan_shifts(day_requirement(1), [tpl], [OperatorPool("remote", 3)])
    assert plan.under_staffing == 0
    for a in plan.assignments:
        assert a.break_start is not None
        assert a.start + 180 <= a.break_start <= a.start + 300
    assert plan.cost == 200.0


def test_coverage_arithmetic_matches_the_assignments() -> None:
    rng = np.random.default_rng(3)
    req = np.zeros((1, 96), dtype=int)
    req[:, 32:72] = rng.integers(1, 6, size=(1, 40))
    templates = [
        ShiftTemplate("6h", 360, 15, 120, 240, cost=60.0),
        ShiftTemplate("8h", 480, 30, 180, 300, cost=80.0),
    ]
    pools = [OperatorPool("remote", 6), OperatorPool("on-site", 6, on_site=True)]
    plan = plan_shifts(req, templates, pools, on_site_seats=3, time_limit_seconds=10)
    assert plan.status in {"OPTIMAL", "FEASIBLE"}
    recomputed = coverage_from_assignments(plan.assignments, templates, req.shape)
    assert np.array_equal(recomputed, plan.coverage)
    assert np.array_equal(plan.coverage, sum(plan.coverage_by_kind.values()))
    assert np.array_equal(plan.under - plan.over, req - plan.coverage)
    assert plan.under.min() >= 0 and plan.over.min() >= 0
    # On-site operators never exceed the seats (a seat stays taken during the break).
    present = np.zeros(req.shape, dtype=int)
    for a in plan.assignments:
        if a.kind == "on-site":
            tpl = next(t for t in templates if t.name == a.template)
            present[a.day, a.start // 15 : (a.start + tpl.minutes) // 15] += a.count
    assert present.max() <= 3
    assert plan.cost == pytest.approx(
        sum(
            a.count * next(t.cost for t in templates if t.name == a.template)
            for a in plan.assignments
        )
    )


def test_minimum_operators_are_respected_even_without_demand() -> None:
    req = day_requirement(1)
    plan = plan_shifts(req, [EIGHT], [OperatorPool("remote", 5)], min_operators=2)
    assert plan.coverage[0, 32:64].min() >= 2


def test_min_above_max_is_reported_with_the_interval() -> None:
    with pytest.raises(InfeasiblePlan, match="exceed the maximum 1 at Mon 08:00"):
        plan_shifts(
            day_requirement(2),
            [EIGHT],
            [OperatorPool("remote", 5)],
            min_operators=2,
            max_operators=1,
        )


def test_minimum_beyond_the_pool_is_reported() -> None:
    with pytest.raises(InfeasiblePlan, match="exceed the 3 operators"):
        plan_shifts(day_requirement(1), [EIGHT], [OperatorPool("remote", 3)], min_operators=4)


def test_bounds_no_shift_can_fit_are_reported_by_the_solver() -> None:
    # At least one operator from 08:00 to 17:00 with only 8-hour shifts inside those hours,
    # and at most one at any time: no sequence of whole shifts covers 9 hours.
    mask = np.zeros((1, 96), dtype=bool)
    mask[0, 32:68] = True
    with pytest.raises(InfeasiblePlan, match="no shift plan meets"):
        plan_shifts(
            np.zeros((1, 96), dtype=int),
            [EIGHT],
            [OperatorPool("remote", 5)],
            open_mask=mask,
            min_operators=np.where(mask, 1, 0),
            max_operators=1,
        )


def test_coverage_table_lists_open_intervals() -> None:
    plan = plan_shifts(day_requirement(2), [EIGHT], [OperatorPool("remote", 10)])
    table = format_coverage(plan)
    lines = table.splitlines()
    assert lines[0].split() == ["day", "time", "req", "cov", "remote", "gap"]
    assert len(lines) == 2 + 32 + 1
    assert lines[2].split() == ["Mon", "8:00", "2", "2", "2", "+0"]
    assert "under-staffing 0" in lines[-1]
