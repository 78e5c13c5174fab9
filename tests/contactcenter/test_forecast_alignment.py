"""A forecast covers exactly the days asked for, whatever day the history ends on.

The history's last day is swept over a whole year — weekdays, weekends, Easter, Ferragosto,
Sant'Ambrogio and the Immacolata, Christmas to Epiphany — for horizons of 1, 3, 7, 14 and 28
days with one and three cross-validation origins. Each run must forecast every open day of its
horizon (and nothing else), and every fold of the model choice must be scored on the days it
forecast, with finite errors. Database-free; the clock plays no part.
"""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import pandas as pd
import pytest

from ascolto.contactcenter.forecasting import (
    Forecaster,
    OperatingCalendar,
    SeasonalNaive,
    default_candidates,
    select_model,
)
from tests.contactcenter.series import synthetic_calls

CALENDAR = OperatingCalendar(weekdays=(0, 1, 2, 3, 4, 5))  # Monday to Saturday, Milan holidays
HORIZONS = (1, 3, 7, 14, 28)
ORIGINS = (1, 3)
SPECIAL_ENDS = [
    dt.date(2025, 12, 5),  # Friday before Sant'Ambrogio (Sunday) and the Immacolata (Monday)
    dt.date(2025, 12, 6),  # Saturday: the next open day is Tuesday 9
    dt.date(2025, 12, 7),  # Sunday, Sant'Ambrogio
    dt.date(2025, 12, 23),
    dt.date(2025, 12, 24),  # Christmas to Epiphany
    dt.date(2025, 12, 31),
    dt.date(2026, 1, 5),  # the day before Epiphany
    dt.date(2026, 4, 3),  # Good Friday: Easter Sunday and Monday ahead
    dt.date(2026, 4, 6),  # Easter Monday
    dt.date(2026, 8, 14),  # Ferragosto is the Saturday after
    dt.date(2026, 8, 15),
    dt.date(2026, 11, 1),  # All Saints, a Sunday
]


def _open_days(first: dt.date, last: dt.date) -> list[dt.date]:
    holidays = CALENDAR.holidays_between(first, last)
    days = (first + dt.timedelta(days=k) for k in range((last - first).days + 1))
    return [d for d in days if d.weekday() in (CALENDAR.weekdays or ()) and d not in holidays]


@pytest.fixture(scope="module")
def daily_calls() -> pd.DataFrame:
    """Daily totals of a Monday-to-Saturday line closed on Milan's holidays, 2025-2026."""
    closed = CALENDAR.holidays_between(dt.date(2025, 1, 1), dt.date(2026, 12, 31))
    calls = synthetic_calls(
        "2025-08-25",
        "2026-11-30",
        weekdays=(0, 1, 2, 3, 4, 5),
        closed={pd.Timestamp(d) for d in closed},
        seed=3,
    )
    calls["ds"] = calls["ds"].dt.normalize()
    return calls.groupby(["series_id", "ds"], as_index=False)["y"].sum()


def _runs() -> list[tuple[dt.date, int, int]]:
    """Every day of a year as the history's last day, each with one (horizon, origins) pair in
    turn, and every pair on the special days."""
    pairs = list(itertools.product(HORIZONS, ORIGINS))
    first = dt.date(2025, 12, 1)
    year = [first + dt.timedelta(days=k) for k in range(365)]
    runs = {(end, *pairs[k % len(pairs)]) for k, end in enumerate(year)}
    runs |= {(end, h, o) for end in SPECIAL_ENDS for h, o in pairs}
    return sorted(runs)


def _check_run(
    calls: pd.DataFrame,
    end: dt.date,
    horizon: int,
    origins: int,
    candidates: dict[str, Forecaster],
) -> None:
    history = calls[calls["ds"] <= pd.Timestamp(end)]
    choice = select_model(history, candidates, horizon, n_origins=origins)
    # Every fold forecast the days after its cutoff and was scored on them, finitely.
    scored = choice.folds[choice.folds["model"] == choice.best]
    assert len(scored) + len(choice.dropped) == origins, (end, horizon, origins)
    assert np.isfinite(scored[["mase", "rmse"]].to_numpy()).all(), (end, horizon, scored)
    assert (scored["error"] == "").all()
    data_end = pd.Timestamp(history["ds"].max()).date()
    for cutoff in scored["cutoff"]:
        window = _open_days(
            cutoff.date() + dt.timedelta(days=1), cutoff.date() + dt.timedelta(horizon)
        )
        assert window, (end, horizon, cutoff)  # a window with no open day would be dropped
    for cutoff, _ in choice.dropped:
        first = cutoff.date() + dt.timedelta(days=1)
        assert not _open_days(first, min(first + dt.timedelta(horizon - 1), data_end))
    # The forecast covers the horizon's calendar days from the day after the data, open ones
    # with calls, closed ones with zero.
    model = candidates[choice.best].clone().fit(history)
    forecast = model.predict(horizon).series["milano"]
    start = data_end + dt.timedelta(days=1)
    expected = [start + dt.timedelta(days=k) for k in range(horizon)]
    assert list(forecast.dates.date) == expected, (end, horizon)
    open_days = set(_open_days(expected[0], expected[-1]))
    assert {d for d, o in zip(forecast.dates.date, forecast.open, strict=True) if o} == open_days
    totals = forecast.point.sum(axis=1)
    assert (totals[forecast.open] > 0).all() and (totals[~forecast.open] == 0).all()


def test_every_day_of_the_year_every_horizon(daily_calls: pd.DataFrame) -> None:
    # The alignment of folds and forecasts is the base class's, shared by every model: the two
    # quickest candidates exercise it on every day; the next test runs them all.
    candidates: dict[str, Forecaster] = {
        "week": SeasonalNaive(CALENDAR, season="week", paths=50),
        "day": SeasonalNaive(CALENDAR, season="day", paths=50),
    }
    runs = _runs()
    assert len(runs) > 365
    for end, horizon, origins in runs:
        _check_run(daily_calls, end, horizon, origins, candidates)


@pytest.mark.parametrize("end", SPECIAL_ENDS[::3], ids=str)
def test_the_default_candidates_on_the_hard_days(daily_calls: pd.DataFrame, end: dt.date) -> None:
    candidates = dict(default_candidates(CALENDAR))
    for candidate in candidates.values():
        candidate.paths = 50
    _check_run(daily_calls, end, 3, 3, candidates)
    _check_run(daily_calls, end, 28, 1, candidates)
