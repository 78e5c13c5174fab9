"""Model choice never loses to a naive it did not try (decision 0010).

The candidates include the seasonal naive of every season a call series has, the day and the
week. On a series whose best forecast is the weekly naive — each weekday's volume drifting on its
own, a seasonal random walk, where no weekday pattern holds for long — the chosen model must do
at least as well as that naive on data the choice never saw.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ascolto.contactcenter.forecasting import (
    OperatingCalendar,
    SeasonalNaive,
    default_candidates,
    score,
    select_model,
    split,
)

CALENDAR = OperatingCalendar(weekdays=(0, 1, 2, 3, 4), country=None)


def seasonal_random_walk(seed: int, weeks: int = 40) -> pd.DataFrame:
    """Daily calls, Monday to Friday: each weekday's level moves by ±12 % a week."""
    rng = np.random.default_rng(seed)
    days = pd.date_range("2025-01-06", periods=7 * weeks, freq="D")
    days = days[days.day_of_week < 5]
    level = np.exp(rng.normal(np.log(800), 0.4, 5))
    values = []
    for day in days:
        level[day.day_of_week] *= np.exp(rng.normal(0, 0.12))
        values.append(rng.poisson(level[day.day_of_week]))
    return pd.DataFrame({"series_id": "s", "ds": days, "y": np.array(values, dtype=float)})


def test_the_candidates_include_the_naive_of_the_day_and_of_the_week() -> None:
    names = set(default_candidates(CALENDAR))
    assert {"SeasonalNaive(day)", "SeasonalNaive(week)"} <= names


@pytest.mark.parametrize("seed", [1, 3])
def test_the_choice_is_at_least_as_good_as_the_weekly_naive_on_held_out_data(seed: int) -> None:
    calls = seasonal_random_walk(seed)
    cutoff = calls["ds"].max() - pd.Timedelta(days=28)
    train, held_out = split(calls, cutoff, 28)

    choice = select_model(train, default_candidates(CALENDAR), horizon=7, n_origins=3)
    chosen = default_candidates(CALENDAR)[choice.best].fit(train).predict(28)
    naive = SeasonalNaive(CALENDAR, season="week").fit(train).predict(28)

    assert score(chosen, held_out).mase <= score(naive, held_out).mase + 1e-9
    # ... and on the folds it was chosen on, nothing eligible beat it.
    eligible = choice.summary[choice.summary["error"] == ""]
    assert eligible["mase"].min() == choice.summary.loc[choice.best, "mase"]
