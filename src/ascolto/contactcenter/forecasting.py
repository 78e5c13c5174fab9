"""Forecasts of call arrivals, from intervals of a day to six months ahead (no Django).

Input is a long-format frame `(series_id, ds, y)`: calls per interval (5, 15, 30 or 60 minutes)
or per day, naive local timestamps, several series (queues, channels) at once. Every model
follows the same convention: `Model(calendar, ...).fit(df, events)` returns the model with its
learned state in attributes ending in `_`; `predict(h, start)` forecasts the `h` calendar days
from `start` (by default the day after the data), returning a `Forecast`:

- `forecast.frame`: `series_id, ds, open, yhat, lo95, lo80, hi80, hi95` per interval, zero on
  closed days;
- `forecast.aggregate("D" | "W" | "M")`: totals per day, week or month, points summed and
  80 %/95 % intervals from summed sample paths (see `numerics.base` for the interval method).

Models: `SeasonalNaive` (of the day and of the week), `MSTLModel` and `AutoETSModel`
(statsforecast), `HarmonicRegression` (Fourier terms + ARIMA errors), and ours,
`VolumeProfile`: daily volume with Italian holidays, Sant'Ambrogio, August, bridges, closures
and campaign events, times an intraday profile.
`select_model` picks one by rolling-origin cross-validation (every fold forecasts the days after
its cutoff and is scored on them; decision 0010) and returns its errors (MASE, RMSE, interval
coverage) for the caller to store with the run.

Example::

    cal = OperatingCalendar(weekdays=(0, 1, 2, 3, 4, 5))  # Monday to Saturday, Milan holidays
    events = pd.DataFrame({"name": ["tari"], "start": ["2025-11-20"], "end": ["2025-12-16"]})
    choice = select_model(calls, default_candidates(cal), horizon=28, events=events)
    model = default_candidates(cal)[choice.best].fit(calls, events)
    forecast = model.predict(28)  # the 28 days after the data
"""

from __future__ import annotations

from ascolto.contactcenter.numerics.base import (
    ErrorModel,
    Forecast,
    Forecaster,
    SeriesForecast,
    seasonal_scale,
)
from ascolto.contactcenter.numerics.baselines import (
    SEASONS,
    AutoETSModel,
    HarmonicRegression,
    MSTLModel,
    SeasonalNaive,
)
from ascolto.contactcenter.numerics.calendar import (
    DayFlags,
    OperatingCalendar,
    day_flags,
    model_weekday,
)
from ascolto.contactcenter.numerics.profile import VolumeProfile
from ascolto.contactcenter.numerics.selection import (
    ModelSelection,
    Scores,
    score,
    season_of,
    select_model,
    split,
)

__all__ = [
    "AutoETSModel",
    "DayFlags",
    "ErrorModel",
    "Forecast",
    "Forecaster",
    "HarmonicRegression",
    "MSTLModel",
    "ModelSelection",
    "OperatingCalendar",
    "Scores",
    "SeasonalNaive",
    "SeriesForecast",
    "VolumeProfile",
    "day_flags",
    "model_weekday",
    "default_candidates",
    "score",
    "season_of",
    "seasonal_scale",
    "select_model",
    "split",
]


def default_candidates(calendar: OperatingCalendar | None = None) -> dict[str, Forecaster]:
    """The candidate models, unfitted, sharing one calendar: the seasonal naive of each season
    a call series has (the day and the week), so that the choice never loses to a naive it did
    not try, the statistical baselines and ours (decision 0010)."""
    naives = [SeasonalNaive(calendar, season=season) for season in SEASONS]
    return {
        **{naive.name: naive for naive in naives},
        "MSTL": MSTLModel(calendar),
        "AutoETS": AutoETSModel(calendar),
        "HarmonicRegression": HarmonicRegression(calendar),
        "VolumeProfile": VolumeProfile(calendar),
    }
