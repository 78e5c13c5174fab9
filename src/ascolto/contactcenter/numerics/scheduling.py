"""Weekly shift plan from a requirement curve, with OR-Tools CP-SAT.

Input: operators required per interval (15 minutes by default) for each day of a week, the shift
templates (length, one unpaid break placed inside a window, cost), the operator pools (remote or
on-site, how many operators each, how many days each works), the on-site seats, and optional
minimum / maximum operators per interval. Output: how many operators start each shift at each
start time (with its break and pool), the coverage per interval against the requirement, the
under- and over-staffing, and the cost.

The objective is lexicographic and solved in two phases: first the least under-staffing (in
operator-intervals), then, with under-staffing held at that optimum, the least cost. A weighted
single objective would do the same only for a well-chosen weight; two phases need none.

Pools are planned as counts (how many operators of a pool work each day and each shift), not as
named people: each operator works at most one shift a day, and a pool of n operators who work d
days a week supplies at most n shifts a day and n·d shifts a week. Turning counts into personal
rosters (who has which days off) is a separate, later step.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model

IntArray = npt.NDArray[np.int64]

_STATUS = {
    cp_model.OPTIMAL: "OPTIMAL",
    cp_model.FEASIBLE: "FEASIBLE",
    cp_model.INFEASIBLE: "INFEASIBLE",
    cp_model.MODEL_INVALID: "MODEL_INVALID",
    cp_model.UNKNOWN: "UNKNOWN",
}
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class InfeasiblePlan(ValueError):
    """The bounds, pools and seats admit no shift plan; the message says which constraint."""


@dataclass(frozen=True)
class ShiftTemplate:
    """A kind of shift: `minutes` long (break included), with one break of `break_minutes`
    starting between `break_earliest` and `break_latest` minutes after the shift starts
    (no break when `break_minutes` is 0). `cost` is per shift, in euros."""

    name: str
    minutes: int
    break_minutes: int = 0
    break_earliest: int = 0
    break_latest: int = 0
    cost: float = 0.0


@dataclass(frozen=True)
class OperatorPool:
    """Operators of one kind: `size` people, each working at most `days_per_week` shifts a
    week and one a day; `on_site` pools need a seat while on shift; `cost_factor` multiplies
    the template cost (e.g. a contractor pool that costs more)."""

    kind: str
    size: int
    on_site: bool = False
    days_per_week: int = 5
    cost_factor: float = 1.0


@dataclass(frozen=True)
class ShiftAssignment:
    """`count` operators of pool `kind` working `template` on `day` (0 = Monday) from `start`
    (minutes after midnight), with their break starting at `break_start` (minutes after
    midnight, None without a break)."""

    day: int
    start: int
    template: str
    kind: str
    break_start: int | None
    count: int


@dataclass(frozen=True)
class ShiftPlan:
    """A solved weekly plan. Arrays are (days, intervals per day); coverage counts operators on
    shift and not on break; under/over are max(0, requirement − coverage) and the converse;
    `cost` is in euros; `status` is the CP-SAT status of the final phase."""

    status: str
    assignments: list[ShiftAssignment]
    requirement: IntArray
    coverage: IntArray
    coverage_by_kind: dict[str, IntArray]
    under: IntArray
    over: IntArray
    cost: float
    interval_minutes: int
    solve_seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def under_staffing(self) -> int:
        """Total under-staffing, in operator-intervals."""
        return int(self.under.sum())

    @property
    def over_staffing(self) -> int:
        """Total over-staffing, in operator-intervals."""
        return int(self.over.sum())

    def shifts_per_start(self) -> dict[tuple[int, int, str, str], int]:
        """Operators per (day, start minute, template, kind), breaks summed over."""
        out: dict[tuple[int, int, str, str], int] = {}
        for a in self.assignments:
            key = (a.day, a.start, a.template, a.kind)
            out[key] = out.get(key, 0) + a.count
        return out


@dataclass(frozen=True)
class _Start:
    """Operators of one pool starting one template at one interval of one day."""

    day: int
    start: int  # interval index within the day
    template: ShiftTemplate
    pool: OperatorPool
    length: int  # intervals, break included


@dataclass(frozen=True)
class _BreakRule:
    """A template's break in intervals: its length and its window of offsets from the start."""

    length: int
    first: int
    last: int


def _as_grid(values: npt.ArrayLike, shape: tuple[int, int], name: str) -> IntArray:
    arr = np.asarray(values)
    if arr.ndim == 0:
        arr = np.full(shape, arr)
    arr = np.rint(arr).astype(np.int64)
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
    return np.asarray(arr, dtype=np.int64)


def _opening_mask(requirement: IntArray) -> npt.NDArray[np.bool_]:
    """Default opening hours: on each day, from the first to the last interval with demand."""
    mask = np.zeros(requirement.shape, dtype=bool)
    for d, row in enumerate(requirement):
        nz = np.flatnonzero(row > 0)
        if nz.size:
            mask[d, nz[0] : nz[-1] + 1] = True
    return mask


def _break_rule(tpl: ShiftTemplate, interval_minutes: int) -> _BreakRule | None:
    if tpl.minutes % interval_minutes or tpl.break_minutes % interval_minutes:
        raise ValueError(f"template {tpl.name}: lengths must be multiples of the interval")
    if not tpl.break_minutes:
        return None
    length = tpl.break_minutes // interval_minutes
    first = max(-(-tpl.break_earliest // interval_minutes), 1)
    last = min(tpl.break_latest // interval_minutes, tpl.minutes // interval_minutes - length - 1)
    if first > last:
        raise ValueError(f"template {tpl.name}: the break window leaves no position")
    return _BreakRule(length, first, last)


def _starts(
    open_mask: npt.NDArray[np.bool_],
    templates: Sequence[ShiftTemplate],
    pools: Sequence[OperatorPool],
    interval_minutes: int,
) -> list[_Start]:
    """Every (day, start, template, pool) whose shift lies inside opening hours."""
    out: list[_Start] = []
    days, slots = open_mask.shape
    for tpl in templates:
        length = tpl.minutes // interval_minutes
        for d in range(days):
            for s in range(slots - length + 1):
                if open_mask[d, s : s + length].all():
                    out.extend(_Start(d, s, tpl, pool, length) for pool in pools)
    return out


def _precheck(
    requirement: IntArray,
    minimum: IntArray,
    maximum: IntArray,
    open_mask: npt.NDArray[np.bool_],
    pools: Sequence[OperatorPool],
    seats: int | None,
    interval_minutes: int,
) -> None:
    """Reject bounds that no plan can meet, naming the first offending interval."""

    def where(d: int, i: int) -> str:
        minutes = i * interval_minutes
        return f"{_DAY_NAMES[d % 7]} {minutes // 60:02d}:{minutes % 60:02d}"

    capacity = sum(p.size for p in pools if not p.on_site)
    on_site = sum(p.size for p in pools if p.on_site)
    capacity += on_site if seats is None else min(on_site, seats)
    bad = np.argwhere(minimum > capacity)
    if bad.size:
        d, i = bad[0]
        raise InfeasiblePlan(
            f"minimum operators {minimum[d, i]} at {where(d, i)} exceed the {capacity} operators"
            " the pools and on-site seats can supply at once"
        )
    bad = np.argwhere((minimum > 0) & ~open_mask)
    if bad.size:
        d, i = bad[0]
        raise InfeasiblePlan(f"minimum operators required at {where(d, i)}, outside opening hours")
    bad = np.argwhere(minimum > maximum)
    if bad.size:
        d, i = bad[0]
        raise InfeasiblePlan(
            f"minimum operators {minimum[d, i]} exceed the maximum {maximum[d, i]} at {where(d, i)}"
        )
    if np.any(requirement < 0):
        raise ValueError("requirement must be non-negative")


def plan_shifts(
    requirement: npt.ArrayLike,
    templates: Sequence[ShiftTemplate],
    pools: Sequence[OperatorPool],
    *,
    interval_minutes: int = 15,
    open_mask: npt.ArrayLike | None = None,
    min_operators: npt.ArrayLike = 0,
    max_operators: npt.ArrayLike | None = None,
    on_site_seats: int | None = None,
    time_limit_seconds: float = 30.0,
    workers: int = 2,
    seed: int = 0,
) -> ShiftPlan:
    """Weekly shift plan covering `requirement` (operators per interval, shape days × intervals
    per day, e.g. 7 × 96 for quarter hours) at least under-staffing, then least cost.

    `open_mask` (same shape) says when operators may be on shift; by default each day opens at
    its first interval with demand and closes after its last. `min_operators`/`max_operators`
    bound the coverage per interval (arrays, or scalars: a scalar minimum applies while open).
    `time_limit_seconds` is shared by the two phases (under-staffing gets up to 60 %, any time
    it leaves goes to the cost phase).
    Raises `InfeasiblePlan` when the bounds cannot be met, with the reason.
    """
    started = time.perf_counter()
    req = np.asarray(requirement)
    if req.ndim != 2:
        raise ValueError("requirement must be a 2-d array: days × intervals per day")
    req = np.rint(req).astype(np.int64)
    shape = (int(req.shape[0]), int(req.shape[1]))
    if (24 * 60) % interval_minutes or shape[1] * interval_minutes > 24 * 60:
        raise ValueError("intervals must tile the day")
    if not templates or not pools:
        raise ValueError("at least one shift template and one operator pool are needed")
    if len({p.kind for p in pools}) != len(pools):
        raise ValueError("pool kinds must be unique")
    mask = _opening_mask(req) if open_mask is None else np.asarray(open_mask, dtype=bool)
    if mask.shape != shape:
        raise ValueError(f"open_mask must have shape {shape}")
    big = sum(p.size for p in pools)
    lo = _as_grid(min_operators, shape, "min_operators")
    if np.ndim(min_operators) == 0:
        lo = np.where(mask, lo, 0)  # a single minimum applies while open
    hi = _as_grid(big if max_operators is None else max_operators, shape, "max_operators")
    _precheck(req, lo, hi, mask, pools, on_site_seats, interval_minutes)

    rules = {t.name: _break_rule(t, interval_minutes) for t in templates}
    if len(rules) != len(templates):
        raise ValueError("template names must be unique")
    starts = _starts(mask, templates, pools, interval_minutes)
    model = cp_model.CpModel()
    x = [model.new_int_var(0, v.pool.size, f"x{k}") for k, v in enumerate(starts)]

    # Breaks are placed implicitly (Bechtold & Jacobs 1990): y counts the breaks of a template
    # starting at each interval, whatever shift takes them. Every shift of a template has the
    # same window relative to its start, so breaks can be handed out first come, first served
    # exactly when, at every interval, the breaks started so far are at least the shifts whose
    # window has closed and at most the shifts whose window has opened. That is a few times
    # fewer decision variables than one per shift and break position, without their many
    # interchangeable solutions: the benchmark week solves to optimality in seconds.
    covering: dict[tuple[int, int], list[cp_model.LinearExprT]] = {}
    seated: dict[tuple[int, int], list[cp_model.IntVar]] = {}
    by_start: dict[tuple[int, str, int], list[cp_model.IntVar]] = {}
    for k, v in enumerate(starts):
        for i in range(v.start, v.start + v.length):
            covering.setdefault((v.day, i), []).append(x[k])
            if v.pool.on_site:
                seated.setdefault((v.day, i), []).append(x[k])
        by_start.setdefault((v.day, v.template.name, v.start), []).append(x[k])
    y: dict[tuple[int, str, int], cp_model.IntVar] = {}
    for tpl in templates:
        rule = rules[tpl.name]
        if rule is None:
            continue
        for d in range(shape[0]):
            shift_starts = sorted(s for (dd, name, s) in by_start if dd == d and name == tpl.name)
            if not shift_starts:
                continue
            slots_b = sorted(
                {s + o for s in shift_starts for o in range(rule.first, rule.last + 1)}
            )
            for b in slots_b:
                y[(d, tpl.name, b)] = model.new_int_var(0, big, f"y{d}_{tpl.name}_{b}")
                for i in range(b, b + rule.length):
                    covering.setdefault((d, i), []).append(-y[(d, tpl.name, b)])
            _break_assignable(model, d, tpl.name, rule, shape[1], by_start, y, big)

    under_terms: list[cp_model.IntVar] = []
    for d in range(shape[0]):
        for i in range(shape[1]):
            cov = cp_model.LinearExpr.sum(covering.get((d, i), []))
            if lo[d, i] > 0:
                model.add(cov >= int(lo[d, i]))
            if hi[d, i] < big:
                model.add(cov <= int(hi[d, i]))
            if req[d, i] > 0:
                u = model.new_int_var(0, int(req[d, i]), f"u{d}_{i}")
                model.add(u + cov >= int(req[d, i]))
                under_terms.append(u)
            if on_site_seats is not None and (d, i) in seated:
                model.add(cp_model.LinearExpr.sum(seated[(d, i)]) <= on_site_seats)
    for pool in pools:
        mine = [k for k, v in enumerate(starts) if v.pool is pool]
        for d in range(shape[0]):
            today = [x[k] for k in mine if starts[k].day == d]
            if today:
                model.add(cp_model.LinearExpr.sum(today) <= pool.size)
        if mine:
            week = cp_model.LinearExpr.sum([x[k] for k in mine])
            model.add(week <= pool.size * pool.days_per_week)

    under = cp_model.LinearExpr.sum(under_terms)
    # CP-SAT needs integer coefficients: costs in cents.
    cents = [round(100 * v.template.cost * v.pool.cost_factor) for v in starts]
    cost = cp_model.LinearExpr.weighted_sum(x, cents)

    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    notes: list[str] = []

    # Phase 1: least under-staffing.
    model.minimize(under)
    solver.parameters.max_time_in_seconds = 0.6 * time_limit_seconds
    status1 = solver.solve(model)
    if status1 == cp_model.INFEASIBLE:
        raise InfeasiblePlan(
            "no shift plan meets the minimum/maximum operators per interval with these"
            " templates, pools and seats (the shifts cannot start and end to fit the bounds)"
        )
    if status1 not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise InfeasiblePlan(f"no plan found within the time limit ({solver.status_name(status1)})")
    best_under = round(solver.objective_value)
    if status1 != cp_model.OPTIMAL:
        notes.append(
            f"under-staffing phase stopped at the time limit: {best_under} found,"
            f" lower bound {solver.best_objective_bound:.0f}"
        )
    variables = [*x, *y.values()]
    phase1 = [solver.value(var) for var in variables]
    for var, value in zip(variables, phase1, strict=True):
        model.add_hint(var, value)

    # Phase 2: least cost at that under-staffing.
    model.add(under <= best_under)
    model.minimize(cost)
    remaining = time_limit_seconds - (time.perf_counter() - started)
    solver.parameters.max_time_in_seconds = max(remaining, 0.1 * time_limit_seconds)
    status2 = solver.solve(model)
    if status2 in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        values = [solver.value(var) for var in variables]
        status = _STATUS.get(status2, "UNKNOWN")
        if status2 == cp_model.FEASIBLE:
            found, bound = solver.objective_value / 100, solver.best_objective_bound / 100
            notes.append(
                f"cost phase stopped at the time limit: EUR {found:,.2f}, lower bound"
                f" EUR {bound:,.2f} (gap {(found - bound) / max(found, 1e-9):.2%})"
            )
        if status1 != cp_model.OPTIMAL and status == "OPTIMAL":
            status = "FEASIBLE"  # optimal cost for a possibly sub-optimal under-staffing
    else:
        values = phase1
        status = "OPTIMAL" if status1 == cp_model.OPTIMAL else "FEASIBLE"
        notes.append("cost phase found nothing within the time limit: phase-1 plan kept")
    elapsed = time.perf_counter() - started
    shifts = dict(zip(starts, values[: len(x)], strict=True))
    breaks = dict(zip(y, values[len(x) :], strict=True))
    assignments = _assign_breaks(shifts, breaks, rules, interval_minutes)
    return _plan_from_assignments(
        assignments, templates, req, pools, interval_minutes, status, elapsed, notes
    )


def _break_assignable(
    model: cp_model.CpModel,
    day: int,
    template: str,
    rule: _BreakRule,
    slots: int,
    by_start: Mapping[tuple[int, str, int], Sequence[cp_model.IntVar]],
    y: Mapping[tuple[int, str, int], cp_model.IntVar],
    big: int,
) -> None:
    """Constraints under which a day's breaks of one template can be handed to its shifts.

    With cumulative counts S(t) of shifts started by t and B(t) of breaks started by t:
    S(t − last) ≤ B(t) ≤ S(t − first) for every t, and B = S at the end of the day.
    """
    shifts_by: list[cp_model.IntVar] = []
    breaks_by: list[cp_model.IntVar] = []
    for t in range(slots):
        s_t = model.new_int_var(0, big, f"S{day}_{template}_{t}")
        b_t = model.new_int_var(0, big, f"B{day}_{template}_{t}")
        new_s = cp_model.LinearExpr.sum(list(by_start.get((day, template, t), [])))
        new_b = y.get((day, template, t), 0)
        model.add(s_t == (shifts_by[-1] if shifts_by else 0) + new_s)
        model.add(b_t == (breaks_by[-1] if breaks_by else 0) + new_b)
        shifts_by.append(s_t)
        breaks_by.append(b_t)
        if t - rule.last >= 0:
            model.add(b_t >= shifts_by[t - rule.last])
        model.add(b_t <= (shifts_by[t - rule.first] if t - rule.first >= 0 else 0))
    model.add(breaks_by[-1] == shifts_by[-1])


def _assign_breaks(
    shifts: Mapping[_Start, int],
    breaks: Mapping[tuple[int, str, int], int],
    rules: Mapping[str, _BreakRule | None],
    interval_minutes: int,
) -> list[ShiftAssignment]:
    """Hand each day's breaks of a template to its shifts first come, first served: the k-th
    shift to start takes the k-th break, which the constraints put inside its window."""
    queue: dict[tuple[int, str], list[int]] = {}
    for (day, name, slot), n in sorted(breaks.items(), key=lambda kv: kv[0][2]):
        queue.setdefault((day, name), []).extend([slot] * n)
    grouped: dict[tuple[int, int, str, str, int | None], int] = {}
    ordered = sorted(
        (v for v, n in shifts.items() if n), key=lambda v: (v.day, v.start, v.pool.kind)
    )
    for v in ordered:
        rule = rules[v.template.name]
        for _ in range(shifts[v]):
            b: int | None = None
            if rule is not None:
                b = queue[(v.day, v.template.name)].pop(0)
                if not v.start + rule.first <= b <= v.start + rule.last:
                    raise RuntimeError("break outside its window: the model is inconsistent")
            key = (v.day, v.start, v.template.name, v.pool.kind, b)
            grouped[key] = grouped.get(key, 0) + 1
    return [
        ShiftAssignment(
            day=d,
            start=s * interval_minutes,
            template=name,
            kind=kind,
            break_start=None if b is None else b * interval_minutes,
            count=n,
        )
        for (d, s, name, kind, b), n in sorted(grouped.items(), key=lambda kv: str(kv[0]))
    ]


def _plan_from_assignments(
    assignments: list[ShiftAssignment],
    templates: Sequence[ShiftTemplate],
    req: IntArray,
    pools: Sequence[OperatorPool],
    interval_minutes: int,
    status: str,
    elapsed: float,
    notes: list[str],
) -> ShiftPlan:
    shape = (int(req.shape[0]), int(req.shape[1]))
    by_kind = {
        p.kind: coverage_from_assignments(
            [a for a in assignments if a.kind == p.kind], templates, shape, interval_minutes
        )
        for p in pools
    }
    factor = {p.kind: p.cost_factor for p in pools}
    price = {t.name: t.cost for t in templates}
    cost = sum(a.count * price[a.template] * factor[a.kind] for a in assignments)
    coverage = sum(by_kind.values(), np.zeros(shape, dtype=np.int64))
    return ShiftPlan(
        status=status,
        assignments=assignments,
        requirement=req,
        coverage=coverage,
        coverage_by_kind=by_kind,
        under=np.maximum(req - coverage, 0),
        over=np.maximum(coverage - req, 0),
        cost=round(cost, 2),
        interval_minutes=interval_minutes,
        solve_seconds=elapsed,
        notes=notes,
    )


def coverage_from_assignments(
    assignments: Sequence[ShiftAssignment],
    templates: Sequence[ShiftTemplate],
    shape: tuple[int, ...],
    interval_minutes: int = 15,
) -> IntArray:
    """Operators on shift and not on break per (day, interval), recomputed from assignments.

    Independent of the solver's bookkeeping: what a supervisor would count on the plan.
    """
    lengths: Mapping[str, ShiftTemplate] = {t.name: t for t in templates}
    cov = np.zeros(shape, dtype=np.int64)
    for a in assignments:
        tpl = lengths.get(a.template)
        if tpl is None:
            continue
        s = a.start // interval_minutes
        e = s + tpl.minutes // interval_minutes
        cov[a.day, s:e] += a.count
        if a.break_start is not None and tpl.break_minutes:
            b = a.break_start // interval_minutes
            cov[a.day, b : b + tpl.break_minutes // interval_minutes] -= a.count
    return cov


def format_coverage(plan: ShiftPlan, *, only_open: bool = True) -> str:
    """Coverage against requirement per interval, as a fixed-width text table.

    Columns: day, time, required, covered, then the coverage of each pool, and the gap
    (+ over-staffed, − under-staffed). With `only_open`, intervals with neither demand nor
    coverage are left out.
    """
    kinds = list(plan.coverage_by_kind)
    head = f"{'day':<4}{'time':>6}{'req':>6}{'cov':>6}" + "".join(f"{k[:8]:>9}" for k in kinds)
    lines = [head + f"{'gap':>6}", "-" * (len(head) + 6)]
    days, slots = plan.requirement.shape
    for d in range(days):
        for i in range(slots):
            r, c = int(plan.requirement[d, i]), int(plan.coverage[d, i])
            if only_open and r == 0 and c == 0:
                continue
            minutes = i * plan.interval_minutes
            row = f"{_DAY_NAMES[d % 7]:<4}{minutes // 60:>3d}:{minutes % 60:02d}{r:>6d}{c:>6d}"
            row += "".join(f"{int(plan.coverage_by_kind[k][d, i]):>9d}" for k in kinds)
            lines.append(row + f"{c - r:>+6d}")
    lines.append(
        f"under-staffing {plan.under_staffing} and over-staffing {plan.over_staffing}"
        f" operator-intervals; cost {plan.cost:.2f} EUR; {plan.status}"
    )
    return "\n".join(lines)
