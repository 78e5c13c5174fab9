"""Series for the contact-center numerics tests: a real extract and a synthetic Milan series."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ascolto.contactcenter.forecasting import OperatingCalendar

DATA = Path(__file__).parent / "data"


def load_bank_extract() -> pd.DataFrame:
    """fpp2::calls, 15 Sep - 10 Oct 2003: five-minute counts from 07:00, long format."""
    wide = pd.read_csv(DATA / "bank_calls_extract.csv", comment="#", index_col="date")
    long = wide.stack().rename("y").reset_index()
    long.columns = ["date", "k", "y"]
    long["ds"] = pd.to_datetime(long["date"]) + pd.to_timedelta(
        420 + 5 * long["k"].astype(int), unit="min"
    )
    long["series_id"] = "bank"
    long["y"] = long["y"].astype(float)
    return long[["series_id", "ds", "y"]].sort_values("ds", ignore_index=True)


BANK_CALENDAR = OperatingCalendar(weekdays=(0, 1, 2, 3, 4), country=None)

# A Milan-like weekday profile over quarter hours 08:00-18:00: peaks mid-morning and early
# afternoon.
_T = 8 + (np.arange(40) + 0.5) / 4
PROFILE = (
    0.3 + np.exp(-0.5 * ((_T - 10.5) / 1.2) ** 2) + 0.7 * np.exp(-0.5 * ((_T - 15) / 1.3) ** 2)
)
PROFILE = PROFILE / PROFILE.sum()
WEEKDAY_FACTOR = {0: 1.2, 1: 1.05, 2: 1.0, 3: 0.95, 4: 0.9, 5: 0.5, 6: 0.4}


def synthetic_calls(
    start: str,
    end: str,
    *,
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4),
    per_day: float = 1200.0,
    factors: dict[pd.Timestamp, float] | None = None,
    closed: set[pd.Timestamp] | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Poisson quarter-hour counts 08:00-18:00 with weekday and per-date multipliers."""
    rng = np.random.default_rng(seed)
    rows = []
    for day in pd.date_range(start, end, freq="D"):
        if day.weekday() not in weekdays or (closed and day in closed):
            continue
        scale = per_day * WEEKDAY_FACTOR[day.weekday()] * (factors or {}).get(day, 1.0)
        counts = rng.poisson(scale * PROFILE)
        stamps = day + pd.to_timedelta(480 + 15 * np.arange(40), unit="min")
        rows.append(pd.DataFrame({"series_id": "milano", "ds": stamps, "y": counts.astype(float)}))
    return pd.concat(rows, ignore_index=True)
