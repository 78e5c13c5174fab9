"""Baseline forecasters: what our model has to beat.

- `SeasonalNaive`: each interval as one season earlier: the last open day (`season="day"`) or
  the same weekday last week, the latest open one (`season="week"`);
- `MSTLModel`: statsforecast's MSTL (daily and weekly seasonal components, AutoETS trend) on
  the open intervals laid end to end (days missing from the data are simply skipped, as
  when FPP fits it to the bank calls, so the weekly phase slips by a day after each gap);
- `AutoETSModel`: statsforecast's AutoETS. ETS cannot take a 169- or 96-interval season (R's
  `ets` refuses seasons over 24 and statsforecast's run on the bank calls takes ten minutes
  for a flat forecast), so for intraday series it forecasts the daily totals with a weekly
  season and splits them by the average profile of the last four weeks (top-down);
- `HarmonicRegression`: dynamic harmonic regression as in Forecasting: Principles and Practice
  for the bank calls: Fourier terms for the daily and weekly cycles on log(1 + y), with ARIMA
  errors (statsforecast AutoARIMA, stationary, on the regression residuals of the last four
  weeks: the errors are short-memory, older residuals add time and nothing else).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from ascolto.contactcenter.numerics.base import ErrorModel, FittedSeries, Forecaster, expect_state
from ascolto.contactcenter.numerics.calendar import DayFlags, OperatingCalendar, SeriesData

FloatArray = npt.NDArray[np.float64]


def _statsforecast() -> Any:
    """statsforecast.models, imported on first use: importing statsforecast takes seconds,
    which every process importing the forecasting module would otherwise pay."""
    import statsforecast.models as models

    return models


def _same_weekday_rows(
    weekday: npt.NDArray[np.int64], history: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """For each weekday, the index of the latest history row on that weekday (or the last)."""
    latest = {int(d): i for i, d in enumerate(history)}
    return np.array([latest.get(int(d), len(history) - 1) for d in weekday], dtype=np.int64)


# -------------------------------------------------------------------------------------------


@dataclass
class _NaiveState(FittedSeries):
    weekday: npt.NDArray[np.int64]


class SeasonalNaive(Forecaster):
    """Each interval as it was one season earlier, the season being the day or the week.

    - `season="day"`: every day ahead as the last open day with data (interval by interval):
      the seasonal naive of an intraday series, the naive of a daily one;
    - `season="week"`: each day as the latest open day on the same weekday.
    """

    name = "SeasonalNaive"

    def __init__(
        self,
        calendar: OperatingCalendar | None = None,
        *,
        season: str = "week",
        paths: int = 1000,
        seed: int = 0,
    ) -> None:
        if season not in SEASONS:
            raise ValueError(f"season must be one of {SEASONS}")
        super().__init__(calendar, paths=paths, seed=seed)
        self.season = season
        self.name = f"SeasonalNaive({season})"

    def _fit_series(self, data: SeriesData, events: pd.DataFrame | None) -> FittedSeries:
        weekday = data.weekday
        fitted = np.full_like(data.values, np.nan)
        if self.season == "day":
            fitted[1:] = data.values[:-1]
        else:
            latest: dict[int, int] = {}
            for i, d in enumerate(weekday):
                if int(d) in latest:
                    fitted[i] = data.values[latest[int(d)]]
                latest[int(d)] = i
        ok = ~np.isnan(fitted[:, 0])
        errors = ErrorModel.from_fitted(data.values[ok], fitted[ok], counts=data.counts)
        return _NaiveState(data=data, errors=errors, weekday=weekday)

    def _predict_series(self, state: FittedSeries, flags: DayFlags) -> FloatArray:
        st = expect_state(state, _NaiveState)
        n = int(flags.open.sum())
        if self.season == "day":
            rows = np.full(n, len(st.weekday) - 1, dtype=np.int64)
        else:
            rows = _same_weekday_rows(flags.weekday[flags.open], st.weekday)
        return np.asarray(st.data.values[rows], dtype=np.float64)


SEASONS = ("day", "week")


# -------------------------------------------------------------------------------------------


@dataclass
class _ModelState(FittedSeries):
    model: Any
    profile: dict[int, FloatArray] | None = None
    extra: Any = None


def _seasons(data: SeriesData) -> list[int]:
    n = data.values.size
    per_day = len(data.layout.slots)
    week = len(data.layout.weekdays)
    candidates = [week] if data.layout.daily else [per_day, per_day * week]
    return [s for s in candidates if s > 1 and 2 * s < n]


class MSTLModel(Forecaster):
    """statsforecast MSTL with daily and weekly seasons (see the module docstring)."""

    name = "MSTL"

    def _fit_series(self, data: SeriesData, events: pd.DataFrame | None) -> FittedSeries:
        y = data.values.ravel()
        seasons = _seasons(data)
        sf = _statsforecast()
        model = sf.MSTL(season_length=seasons) if seasons else sf.AutoETS(model="ZZN")
        model.fit(y)
        if seasons:
            # In-sample day-ahead forecasts for the error model: the seasonal components plus
            # the trend as it stood a day earlier. statsforecast's own in-sample values are
            # one interval ahead and would make the intervals far too narrow.
            parts = model.model_
            lag = 1 if data.layout.daily else len(data.layout.slots)
            trend = parts["trend"].to_numpy(dtype=np.float64)
            seasonal = parts.filter(like="seasonal").sum(axis=1).to_numpy(dtype=np.float64)
            fitted = seasonal + np.r_[np.full(lag, trend[0]), trend[:-lag]]
        else:
            fitted = np.asarray(model.predict_in_sample()["fitted"], dtype=np.float64)
        fitted = np.maximum(np.nan_to_num(fitted, nan=float(np.mean(y))), 0.0)
        errors = ErrorModel.from_fitted(
            data.values, fitted.reshape(data.values.shape), counts=data.counts
        )
        return _ModelState(data=data, errors=errors, model=model)

    def _predict_series(self, state: FittedSeries, flags: DayFlags) -> FloatArray:
        st = expect_state(state, _ModelState)
        slots = len(st.data.layout.slots)
        steps = int(flags.open.sum()) * slots
        mean = np.asarray(st.model.predict(h=steps)["mean"], dtype=np.float64)
        return mean.reshape(-1, slots)


def _recent_profile(data: SeriesData, days: int = 28) -> dict[int, FloatArray]:
    """Mean share of each interval per weekday over the last `days` calendar days."""
    recent = data.dates >= data.dates.max() - pd.Timedelta(days=days - 1)
    weekday = data.weekday
    slots = data.values.shape[1]
    out: dict[int, FloatArray] = {}
    for d in data.layout.weekdays:
        rows = data.values[recent & (weekday == d)]
        if not len(rows) or rows.sum() <= 0:
            rows = data.values[recent]
        total = rows.sum()
        out[int(d)] = rows.sum(axis=0) / total if total > 0 else np.full(slots, 1.0 / slots)
    return out


class AutoETSModel(Forecaster):
    """statsforecast AutoETS on daily totals, split by the recent profile (module docstring)."""

    name = "AutoETS"

    def _fit_series(self, data: SeriesData, events: pd.DataFrame | None) -> FittedSeries:
        totals = data.values.sum(axis=1)
        week = len(data.layout.weekdays)
        season = week if len(totals) >= 3 * week and week > 1 else 1
        model = _statsforecast().AutoETS(season_length=season).fit(totals)
        profile = _recent_profile(data)
        fitted_tot = np.asarray(model.predict_in_sample()["fitted"], dtype=np.float64)
        fitted_tot = np.nan_to_num(fitted_tot, nan=float(totals.mean()))
        weekday = data.weekday
        fitted = np.maximum(fitted_tot, 0.0)[:, None] * np.stack([profile[int(d)] for d in weekday])
        errors = ErrorModel.from_fitted(data.values, fitted, counts=data.counts)
        return _ModelState(data=data, errors=errors, model=model, profile=profile)

    def _predict_series(self, state: FittedSeries, flags: DayFlags) -> FloatArray:
        st = expect_state(state, _ModelState)
        profile = st.profile or {}
        weekday = flags.weekday[flags.open]
        totals = np.asarray(st.model.predict(h=len(weekday))["mean"], dtype=np.float64)
        shares = np.stack([profile[int(d)] for d in weekday])
        return np.asarray(np.maximum(totals, 0.0)[:, None] * shares, dtype=np.float64)


# -------------------------------------------------------------------------------------------


class HarmonicRegression(Forecaster):
    """Dynamic harmonic regression: Fourier terms + ARIMA errors (see the module docstring).

    `daily_terms` and `weekly_terms` are the numbers of Fourier pairs (FPP uses 10 and 5 for
    the bank calls); they are capped by what the series' intervals can resolve.
    """

    name = "HarmonicRegression"

    def __init__(
        self,
        calendar: OperatingCalendar | None = None,
        *,
        daily_terms: int = 10,
        weekly_terms: int = 5,
        arima_days: int = 20,
        paths: int = 1000,
        seed: int = 0,
    ) -> None:
        super().__init__(calendar, paths=paths, seed=seed)
        self.daily_terms = daily_terms
        self.weekly_terms = weekly_terms
        self.arima_days = arima_days

    def _design(self, data: SeriesData, weekday: npt.NDArray[np.int64]) -> FloatArray:
        """Fourier terms for each (day, interval), days given by their weekday."""
        slots = len(data.layout.slots)
        week = list(data.layout.weekdays)
        position = np.array([week.index(int(d)) if int(d) in week else 0 for d in weekday])
        u = np.tile((np.arange(slots) + 0.5) / slots, len(weekday))  # phase within the day
        v = (np.repeat(position, slots) + u) / len(week)  # phase within the operating week
        cols = [np.ones_like(u)]
        kd = min(self.daily_terms, slots // 2) if slots > 1 else 0
        kw = min(self.weekly_terms, (len(week) * slots - 1) // 2)
        for k in range(1, kd + 1):
            cols += [np.cos(2 * np.pi * k * u), np.sin(2 * np.pi * k * u)]
        for k in range(1, kw + 1):
            cols += [np.cos(2 * np.pi * k * v), np.sin(2 * np.pi * k * v)]
        return np.column_stack(cols)

    def _fit_series(self, data: SeriesData, events: pd.DataFrame | None) -> FittedSeries:
        weekday = data.weekday
        x = self._design(data, weekday)
        y = data.values.ravel()
        log = bool(np.all(y >= 0))
        target = np.log1p(y) if log else y
        beta, *_ = np.linalg.lstsq(x, target, rcond=None)
        resid = target - x @ beta
        keep = min(len(resid), self.arima_days * len(data.layout.slots))
        # Stationary errors (d = 0): the Fourier terms carry the level, and an integrated error
        # would carry the last interval's deviation across every day of the horizon.
        arima = _statsforecast().AutoARIMA(d=0, seasonal=False, max_p=3, max_q=3)
        arima = arima.fit(resid[-keep:])
        regression = x @ beta
        fitted = np.expm1(regression) if log else regression
        errors = ErrorModel.from_fitted(
            data.values, np.maximum(fitted, 0.0).reshape(data.values.shape), counts=data.counts
        )
        return _ModelState(data=data, errors=errors, model=arima, extra=(beta, log))

    def _predict_series(self, state: FittedSeries, flags: DayFlags) -> FloatArray:
        st = expect_state(state, _ModelState)
        beta, log = st.extra
        weekday = flags.weekday[flags.open].astype(np.int64)
        x = self._design(st.data, weekday)
        resid = np.asarray(st.model.predict(h=len(x))["mean"], dtype=np.float64)
        value = x @ beta + resid
        out = np.expm1(value) if log else value
        return np.asarray(out.reshape(len(weekday), -1), dtype=np.float64)
