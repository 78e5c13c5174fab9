"""Operators required for a year of quarter hours: ours against pyworkforce's ErlangC.

    uv run python benchmarks/staffing.py [--runs 7] [--sample 1500] [--rounds 3]

Input: a synthetic but Milan-sized year of arrivals per 15-minute interval, 365 × 96 = 35,040
intervals: about 3,000 calls a weekday between 08:00 and 20:00 (mid-morning and early
afternoon peaks), Saturday mornings, closed on Sundays and Italian holidays, a quieter August,
Poisson noise. Targets: AHT 277 s, 80 % answered within 20 s, occupancy at most 85 %,
shrinkage 30 %. Budget (DESIGN §6): ≤ 50 ms for the year on one core.

pyworkforce loops in Python over intervals and over agents, so it is timed on a random sample
of open intervals (it refuses intervals with no calls) and its time per interval is
extrapolated to every open interval of the year; the output says so. Both must give the same
agents on the sample. Our Erlang A (with a 3-minute mean patience) is timed too, for scale.

Each figure is timed in `--rounds` rounds (3, `figures.py`): ours as the median of `--runs`
calls (Erlang A of half as many, at least 3), pyworkforce once on the sample, with the check of
agreement in every round. It prints each round, then the median and the range (lowest–highest)
of each time over the rounds, after the conditions (CPUs, load average at the start) and with
the load average at the end; the budget is judged on the median.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

import figures

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from ascolto.contactcenter.numerics import staffing  # noqa: E402
from ascolto.core.calendar import municipal_holidays  # noqa: E402

AHT = 277.0
INTERVAL = 900


def milan_year(seed: int = 1) -> np.ndarray:
    """Calls per quarter hour for 2025 (35,040 values), see the module docstring."""
    rng = np.random.default_rng(seed)
    hours = (np.arange(96) + 0.5) / 4
    shape = (
        0.35
        + np.exp(-0.5 * ((hours - 10.5) / 1.3) ** 2)
        + 0.75 * np.exp(-0.5 * ((hours - 15.0) / 1.5) ** 2)
    )
    weekday_mask = (hours >= 8) & (hours < 20)
    saturday_mask = (hours >= 8) & (hours < 14)
    closed = municipal_holidays(2025)
    out = []
    day = dt.date(2025, 1, 1)
    for _ in range(365):
        wd = day.weekday()
        if wd == 6 or day in closed:
            mean = np.zeros(96)
        else:
            mask = saturday_mask if wd == 5 else weekday_mask
            total = 1000.0 if wd == 5 else [3300, 3050, 2950, 2900, 2800][wd]
            total *= 0.65 if day.month == 8 else 1.0
            mean = np.where(mask, shape, 0.0) * total / shape[mask].sum()
        out.append(rng.poisson(mean))
        day += dt.timedelta(days=1)
    return np.concatenate(out).astype(np.float64)


def median_time(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--sample", type=int, default=1500)
    figures.rounds_option(parser)
    args = parser.parse_args()

    calls = milan_year()
    open_idx = np.flatnonzero(calls > 0)
    print(
        f"a year of 15-minute intervals: {calls.size:,} ({open_idx.size:,} with calls),"
        f" {calls.sum():,.0f} calls; AHT {AHT:.0f} s, 80/20, occupancy <= 85 %, shrinkage 30 %"
    )

    def ours() -> staffing.StaffingRequirement:
        return staffing.agents_required(
            calls,
            INTERVAL,
            AHT,
            service_level=0.8,
            target_seconds=20,
            max_occupancy=0.85,
            shrinkage=0.3,
        )

    req = ours()
    busy = np.random.default_rng(2).uniform(5.0, 120.0, calls.size)  # 24/7, never idle

    from pyworkforce.queuing import ErlangC

    rng = np.random.default_rng(0)
    sample = np.sort(rng.choice(open_idx, size=min(args.sample, open_idx.size), replace=False))
    raw = np.empty(sample.size, dtype=np.int64)
    rostered = np.empty(sample.size, dtype=np.int64)
    print(f"{args.rounds} rounds; {figures.machine()}", flush=True)
    times: dict[str, list[float]] = {"ours": [], "busy": [], "A": [], "pw": []}
    for n in range(args.rounds):
        times["ours"].append(median_time(ours, args.runs))
        times["busy"].append(
            median_time(
                lambda: staffing.agents_required(busy, INTERVAL, AHT, max_occupancy=0.85),
                args.runs,
            )
        )
        times["A"].append(
            median_time(
                lambda: staffing.agents_required(calls, INTERVAL, AHT, patience_seconds=180.0),
                max(3, args.runs // 2),
            )
        )
        started = time.perf_counter()
        for k, i in enumerate(sample):
            result = ErlangC(
                transactions=float(calls[i]),
                aht=AHT / 60,
                asa=20 / 60,
                interval=INTERVAL // 60,
                shrinkage=0.3,
            ).required_positions(service_level=0.8, max_occupancy=0.85)
            raw[k], rostered[k] = result["raw_positions"], result["positions"]
        times["pw"].append(time.perf_counter() - started)
        assert (raw == req.agents[sample]).all(), "agents on the phones differ from pyworkforce"
        print(
            f"round {n + 1}: ours {times['ours'][-1] * 1e3:.1f} ms, every interval busy "
            f"{times['busy'][-1] * 1e3:.1f} ms, Erlang A {times['A'][-1] * 1e3:.1f} ms; "
            f"pyworkforce on the sample {times['pw'][-1]:.2f} s; agents agree",
            flush=True,
        )
    t_ours = figures.median(times["ours"])
    t_pw_sample = figures.median(times["pw"])
    extrapolate = open_idx.size / sample.size * 1e3

    def ms(values: list[float], scale: float = 1e3, digits: int = 1) -> str:
        return figures.spread([v * scale for v in values], "ms", digits)

    print()
    print(f"{'implementation':<44}time for the year, median of {args.rounds} rounds (range)")
    print("-" * 90)
    print(
        f"{'ours, Erlang C (each round: median of ' + str(args.runs) + ')':<44}{ms(times['ours'])}"
    )
    print(f"{'ours, Erlang C, every interval busy (5-120)':<44}{ms(times['busy'])}")
    print(f"{'ours, Erlang A, patience 180 s':<44}{ms(times['A'])}")
    print(f"{'pyworkforce ErlangC, extrapolated':<44}{ms(times['pw'], extrapolate, 0)}")
    print(
        f"  pyworkforce measured on {sample.size:,} sampled open intervals: "
        f"{figures.spread(times['pw'], 's', 2)}, extrapolated to the {open_idx.size:,} open "
        f"intervals (it rejects empty ones)"
    )
    t_pw_year = t_pw_sample / sample.size * open_idx.size
    print(
        f"  speed-up {t_pw_year / t_ours:,.0f}x (medians); budget 50 ms:"
        f" {'met' if t_ours <= 0.05 else 'MISSED'}"
    )

    same_raw = int((raw == req.agents[sample]).sum())
    same_rostered = int((rostered == req.scheduled[sample]).sum())
    print(
        f"\nagreement on the sample: agents on the phones {same_raw}/{sample.size};"
        f" rostered after shrinkage {same_rostered}/{sample.size}"
    )
    diff = np.flatnonzero(rostered != req.scheduled[sample])
    if diff.size:
        k = diff[0]
        print(
            f"  rostered differs where n/(1 - 0.3) is a whole number: e.g. {req.agents[sample][k]}"
            f" agents -> ours {req.scheduled[sample][k]}, pyworkforce {rostered[k]}"
            f" (its ceil of {req.agents[sample][k]}/0.7 = {float(req.agents[sample][k]) / 0.7!r})"
        )
    assert same_raw == sample.size, "agents on the phones differ from pyworkforce"
    print(
        f"peak requirement {req.agents.max()} agents ({req.scheduled.max()} rostered);"
        f" {req.agents.sum() / 4:,.0f} agent-hours on the phones in the year"
    )
    print(figures.at_end())


if __name__ == "__main__":
    main()
