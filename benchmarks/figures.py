"""The bookkeeping every benchmark's figures share (issue 19, "Figures anyone can reproduce"):
each runs its measured part `--rounds` times (3 by default), prints every round, then the
median and the spread (lowest–highest) of each headline figure, with its conditions: the
database, the scale or data set, the workers and connections, the duration, the CPUs and the
load average at the start and at the end.

Not a benchmark itself; the benchmarks import it (they run as `python benchmarks/<name>.py`, so
this folder is on their path). Its words are the ones the README quotes:

    load average at the start 0.52 0.31 0.20
    median 674 cases/s (659–694)
"""

from __future__ import annotations

import argparse
import os
import statistics
from collections.abc import Iterable

ROUNDS = 3


def rounds_option(parser: argparse.ArgumentParser, default: int = ROUNDS) -> None:
    """Add `--rounds` (the times the measured part runs; 3 by default) to `parser`."""
    parser.add_argument(
        "--rounds",
        type=_positive,
        default=default,
        help=f"times the measured part runs; the median and the spread are printed ({default})",
    )


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("at least 1")
    return value


def load() -> str:
    """The load average over 1, 5 and 15 minutes: "0.52 0.31 0.20"."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def at_start() -> str:
    """The line: load average at the start 0.52 0.31 0.20."""
    return f"load average at the start {load()}"


def at_end() -> str:
    """The line: load average at the end 0.52 0.31 0.20."""
    return f"load average at the end {load()}"


def cpus() -> str:
    """The CPUs this machine has: "2 CPUs"."""
    count = os.cpu_count() or 1
    return f"{count} CPU" + ("s" if count != 1 else "")


def machine() -> str:
    """The part of a conditions line every benchmark ends with: "2 CPUs; load average at the
    start 0.52 0.31 0.20"."""
    return f"{cpus()}; {at_start()}"


def spread(values: Iterable[float], unit: str = "", digits: int = 0) -> str:
    """The median and the spread (lowest–highest) of a figure's rounds: "median 674 cases/s
    (659–694)"; thousands are separated by commas."""
    values = list(values)
    if not values:
        return "no round"
    unit = f" {unit}" if unit else ""
    return (
        f"median {statistics.median(values):,.{digits}f}{unit} "
        f"({min(values):,.{digits}f}–{max(values):,.{digits}f})"
    )


def median(values: Iterable[float]) -> float:
    """The median of a figure's rounds (what the budgets are checked against)."""
    return float(statistics.median(list(values)))


def percentile(values: Iterable[float], q: float) -> float:
    """The `q` quantile (0–1) of `values` by the nearest rank; NaN when there are none."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]
