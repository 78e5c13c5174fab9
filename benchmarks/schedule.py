"""Weekly shift plan for a Milan-like week: solve time, under-staffing and cost.

    uv run python benchmarks/schedule.py [--time-limit 30] [--rounds 3] [--table]

The week is synthetic but sized on 020202: about 3,000 calls each weekday between 08:00 and
20:00 with a mid-morning peak (about 10:30) and an early-afternoon one (about 15:00), about
1,000 calls on Saturday morning (08:00-14:00), closed on Sunday. Operators required per quarter
hour come from `staffing.agents_required` (Erlang C, AHT 277 s, 80 % answered within 20 s,
occupancy at most 85 %), then grossed up by 15 % shrinkage for absence and training: breaks
are placed explicitly by the plan, so they are not part of that shrinkage.

Shifts: 6 h with a 15-minute break 2-4 h after the start (EUR 120), 8 h with a 30-minute break
3-5 h after the start (EUR 160). Pools: 45 remote operators and 30 on-site operators (EUR 5
more a shift: transport allowance) sharing 24 seats, each working 5 days a week. Budget: the
plan solves within 30 s on 2 workers.

The plan is solved `--rounds` times (3, `figures.py`; CP-SAT on 2 workers need not find the
same plan twice), each round printed with its status, solve time, under-staffing and cost and
its coverage checked; then the median and range of the solve time, the under-staffing and the
cost, the last round's plan in detail, after the conditions (CPUs, load average at the start)
and with the load average at the end. The budget is judged on the median solve time.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import figures

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from ascolto.contactcenter.numerics import scheduling, staffing  # noqa: E402

QUARTER = 15
SLOTS = 24 * 60 // QUARTER


def milan_week_arrivals() -> np.ndarray:
    """Calls per quarter hour, shape (7, 96): a bimodal weekday curve and a short Saturday."""
    t = (np.arange(SLOTS) + 0.5) * QUARTER / 60.0  # hour of day at mid-interval
    shape = (
        0.35
        + 1.0 * np.exp(-0.5 * ((t - 10.5) / 1.3) ** 2)
        + 0.75 * np.exp(-0.5 * ((t - 15.0) / 1.5) ** 2)
    )
    week = np.zeros((7, SLOTS))
    weekday_open = (t >= 8) & (t < 20)
    saturday_open = (t >= 8) & (t < 14)
    for d, total in enumerate([3300, 3050, 2950, 2900, 2800]):
        week[d] = np.where(weekday_open, shape, 0.0) * total / shape[weekday_open].sum()
    week[5] = np.where(saturday_open, shape, 0.0) * 1000 / shape[saturday_open].sum()
    return week


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--table", action="store_true", help="print coverage per interval")
    figures.rounds_option(parser)
    args = parser.parse_args()

    arrivals = milan_week_arrivals()
    req = staffing.agents_required(
        arrivals.ravel(), QUARTER * 60, 277, service_level=0.8, target_seconds=20, shrinkage=0.15
    )
    requirement = req.scheduled.reshape(7, SLOTS)
    templates = [
        scheduling.ShiftTemplate("6h", 360, 15, 120, 240, cost=120.0),
        scheduling.ShiftTemplate("8h", 480, 30, 180, 300, cost=160.0),
    ]
    pools = [
        scheduling.OperatorPool("remote", 45),
        scheduling.OperatorPool("on-site", 30, on_site=True, cost_factor=165 / 160),
    ]
    print(
        f"calls in the week: {arrivals.sum():,.0f}; peak requirement {requirement.max()}"
        f" operators; {int(requirement.sum())} operator-quarter-hours required"
    )
    print(f"{args.rounds} rounds; {figures.machine()}", flush=True)
    walls, unders, costs = [], [], []
    for n in range(args.rounds):
        started = time.perf_counter()
        plan = scheduling.plan_shifts(
            requirement,
            templates,
            pools,
            on_site_seats=24,
            time_limit_seconds=args.time_limit,
            workers=2,
        )
        wall = time.perf_counter() - started
        check = scheduling.coverage_from_assignments(
            plan.assignments, templates, (7, SLOTS), QUARTER
        )
        assert np.array_equal(check, plan.coverage), "coverage bookkeeping differs"
        walls.append(wall)
        unders.append(float(plan.under_staffing))
        costs.append(float(plan.cost))
        print(
            f"round {n + 1}: {plan.status}, solved in {wall:.1f} s; under-staffing "
            f"{plan.under_staffing} operator-quarter-hours; cost EUR {plan.cost:,.2f}",
            flush=True,
        )
    print(
        f"over {args.rounds} rounds: solve time {figures.spread(walls, 's', 1)}; under-staffing "
        f"{figures.spread(unders, 'operator-quarter-hours')}; cost "
        f"{figures.spread(costs, 'EUR', 2)}"
    )
    print(figures.at_end())
    print("\nthe last round's plan:")
    shifts = sum(a.count for a in plan.assignments)
    by_kind = {p.kind: sum(a.count for a in plan.assignments if a.kind == p.kind) for p in pools}
    by_tpl = {
        t.name: sum(a.count for a in plan.assignments if a.template == t.name) for t in templates
    }
    print(f"status               {plan.status}")
    print(f"solve time           {wall:.1f} s (limit {args.time_limit:.0f} s, 2 workers)")
    print(
        f"under-staffing       {plan.under_staffing} operator-quarter-hours"
        f" ({plan.under_staffing / requirement.sum():.2%} of the requirement)"
    )
    print(f"over-staffing        {plan.over_staffing} operator-quarter-hours")
    print(f"shifts               {shifts}  by template {by_tpl}  by pool {by_kind}")
    print(f"cost                 EUR {plan.cost:,.2f}")
    for note in plan.notes:
        print(f"note                 {note}")
    if args.table:
        print(scheduling.format_coverage(plan))
    else:
        day = scheduling.format_coverage(plan).splitlines()
        print("\nMonday, hour by hour (run with --table for every interval):")
        print(
            "\n".join(day[:2] + [row for row in day[2:] if row.startswith("Mon") and ":00" in row])
        )


if __name__ == "__main__":
    main()
