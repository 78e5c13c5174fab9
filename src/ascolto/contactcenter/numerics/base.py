"""The fit/predict protocol shared by every forecaster, prediction intervals and aggregation.

A forecaster is fitted on a long-format frame (`series_id`, `ds`, `y`): one row per interval
(5, 15, 30 or 60 minutes) or per day, several series at once. `fit` returns the forecaster;
learned state ends in `_`. `predict(h)` forecasts the `h` calendar days after each series'
last day: one row per opening interval of every day, with zeros on closed days.

Prediction intervals come from sample paths, the same way for every model:

- a day-level factor exp(e) multiplies the whole day, where e is drawn from the model's own
  one-day-ahead errors of the daily total (log scale, resampled: the empirical distribution,
  heavy tails included). When the model carries a level forward (our model's exponential
  smoothing, weight α), errors accumulate as in simple exponential smoothing:
  e_j = ε_j + α·(ε_1 + … + ε_{j−1}) for the j-th open day ahead, so intervals widen with the
  horizon;
- within the day, counts are negative binomial around the day's profile (a Poisson–gamma
  mixture with the over-dispersion measured in-sample), or gamma-distributed for series that
  are measures rather than counts.

Interval forecasts are quantiles of the paths; aggregates (per day, week, month) sum the
paths first, so their intervals account for the within-day and day-to-day correlation (a sum
of per-interval quantiles would be far too wide). Point forecasts are the models' own (the
median day level times the profile); an interval is widened to contain its point where a
discrete distribution's quantile falls just short of a fractional forecast.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field
from typing import Self, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from ascolto.contactcenter.numerics.calendar import (
    DayFlags,
    Layout,
    OperatingCalendar,
    SeriesData,
    future_flags,
    infer_layout,
    series_matrix,
)

FloatArray = npt.NDArray[np.float64]
MAX_LEAD_DAYS = 366  # how far after the data a forecast may start
_QUANTILES = np.array([0.025, 0.10, 0.90, 0.975])
INTERVAL_COLUMNS = ["lo95", "lo80", "hi80", "hi95"]


@dataclass(frozen=True)
class ErrorModel:
    """What a fitted model knows about its own errors (see the module docstring)."""

    day_errors: FloatArray  # one-day-ahead errors of log daily totals, median-centred
    alpha: float  # how much of each day's error carries into later days (0: none)
    inverse_dispersion: float  # 1/k: within-day variance beyond Poisson, var = m + m²/k
    counts: bool

    @classmethod
    def from_fitted(
        cls, actual: FloatArray, fitted: FloatArray, *, counts: bool, alpha: float = 0.0
    ) -> ErrorModel:
        """Estimate from in-sample forecasts `fitted` of `actual` (both days × intervals)."""
        tot_a, tot_f = actual.sum(axis=1), fitted.sum(axis=1)
        ok = (tot_a > 0) & (tot_f > 0)
        if ok.sum() < 3:
            return cls(np.zeros(1), alpha, 0.0, counts)
        errors = np.log(tot_a[ok] / tot_f[ok])
        errors = errors - np.median(errors)
        # Within-day spread around the fitted profile rescaled to the actual day total.
        m = fitted[ok] * (tot_a[ok] / tot_f[ok])[:, None]
        y = actual[ok]
        excess = ((y - m) ** 2 - (m if counts else 0.0)).sum()
        inv_k = max(float(excess / max((m**2).sum(), 1e-12)), 0.0)
        return cls(errors.astype(np.float64), float(alpha), inv_k, counts)


@dataclass
class SeriesForecast:
    """Forecast of one series: points and quantiles per interval, and daily sample paths."""

    series_id: object
    layout: Layout
    dates: pd.DatetimeIndex  # every forecast calendar day
    open: npt.NDArray[np.bool_]
    point: FloatArray  # (days, slots)
    quantiles: FloatArray  # (4, days, slots): 2.5 %, 10 %, 90 %, 97.5 %
    day_paths: FloatArray  # (paths, days): simulated daily totals
    scale: float = 1.0  # in-sample seasonal-naive mean absolute error: the MASE denominator


@dataclass
class Forecast:
    """A forecast of several series: `frame` per interval, `aggregate` per day/week/month."""

    model: str
    series: dict[object, SeriesForecast] = field(default_factory=dict)

    @property
    def frame(self) -> pd.DataFrame:
        """One row per series and interval: `series_id, ds, open, yhat, lo95, lo80, hi80, hi95`."""
        parts = []
        for sid, sf in self.series.items():
            slots = np.asarray(sf.layout.slots, dtype=np.int64)
            ds = np.repeat(sf.dates.to_numpy(), len(slots)) + np.tile(
                slots, len(sf.dates)
            ) * np.timedelta64(1, "m")
            part = pd.DataFrame(
                {
                    "series_id": sid,
                    "ds": ds,
                    "open": np.repeat(sf.open, len(slots)),
                    "yhat": sf.point.ravel(),
                }
            )
            for name, q in zip(INTERVAL_COLUMNS, sf.quantiles, strict=True):
                part[name] = q.ravel()
            parts.append(part)
        if not parts:
            return pd.DataFrame(columns=["series_id", "ds", "open", "yhat", *INTERVAL_COLUMNS])
        return pd.concat(parts, ignore_index=True)

    def aggregate(self, freq: str = "D") -> pd.DataFrame:
        """Totals per day (`"D"`), week starting Monday (`"W"`) or calendar month (`"M"`).

        The point is the sum of the interval points; the intervals are quantiles of the summed
        sample paths. `days` says how many forecast days fall in the period (a partial first
        or last week or month has fewer).
        """
        if freq not in {"D", "W", "M"}:
            raise ValueError("freq must be 'D', 'W' or 'M'")
        rows = []
        for sid, sf in self.series.items():
            if freq == "D":
                period = sf.dates
            elif freq == "W":
                period = sf.dates - pd.to_timedelta(sf.dates.day_of_week, unit="D")
            else:
                period = sf.dates.to_period("M").to_timestamp()
            keys, inverse = np.unique(period.to_numpy(), return_inverse=True)
            day_points = sf.point.sum(axis=1)
            points = np.bincount(inverse, weights=day_points, minlength=len(keys)).astype(
                np.float64
            )
            paths = np.zeros((sf.day_paths.shape[0], len(keys)))
            for j in range(len(keys)):
                paths[:, j] = sf.day_paths[:, inverse == j].sum(axis=1)
            q = np.quantile(paths, _QUANTILES, axis=0)
            q = _contain(points, q)
            frame = pd.DataFrame(
                {
                    "series_id": sid,
                    "ds": keys,
                    "days": np.bincount(inverse, minlength=len(keys)),
                    "yhat": points,
                }
            )
            for name, values in zip(INTERVAL_COLUMNS, q, strict=True):
                frame[name] = values
            rows.append(frame)
        return pd.concat(rows, ignore_index=True)


def _contain(point: FloatArray, q: FloatArray) -> FloatArray:
    """Order the quantiles and widen them to contain the point (see the module docstring)."""
    lo95 = np.minimum(q[0], point)
    lo80 = np.clip(q[1], lo95, point)
    hi95 = np.maximum(q[3], point)
    hi80 = np.clip(q[2], point, hi95)
    return np.stack([lo95, lo80, hi80, hi95])


@dataclass
class FittedSeries:
    """Per-series learned state common to every model; models subclass it for their own."""

    data: SeriesData
    errors: ErrorModel


StateT = TypeVar("StateT", bound=FittedSeries)


def expect_state(state: FittedSeries, kind: type[StateT]) -> StateT:
    """`state` as the model's own state class (a model only ever receives its own)."""
    if not isinstance(state, kind):
        raise TypeError(f"expected {kind.__name__}, got {type(state).__name__}")
    return state


class Forecaster:
    """Base class: subclasses implement `_fit_series` and `_predict_series`.

    `calendar` says which days are open and which are holidays; `paths` and `seed` set the
    sample paths of the prediction intervals (results are deterministic for a given seed).
    """

    name = "forecaster"

    def __init__(
        self, calendar: OperatingCalendar | None = None, *, paths: int = 1000, seed: int = 0
    ) -> None:
        self.calendar = calendar if calendar is not None else OperatingCalendar()
        self.paths = paths
        self.seed = seed

    def clone(self) -> Self:
        """An unfitted copy with the same settings."""
        twin = copy.copy(self)
        for attr in [a for a in vars(twin) if a.endswith("_")]:
            delattr(twin, attr)
        return twin

    def fit(self, df: pd.DataFrame, events: pd.DataFrame | None = None) -> Self:
        """Fit every series of `df` (`series_id, ds, y`); `events` are rows (name, start, end)
        of known campaigns with inclusive dates, past and future, optionally per `series_id`."""
        _check_frame(df)
        self.events_ = events
        self.end_: dt.date = pd.Timestamp(df["ds"].max()).date()
        self.series_: dict[object, FittedSeries] = {}
        for sid, frame in df.groupby("series_id", sort=True):
            ev = _events_for(events, sid)
            layout = infer_layout(frame, self.calendar)
            data = series_matrix(frame, layout, self.calendar, ev)
            if len(data.dates) < 2:
                raise ValueError(f"series {sid!r}: at least two open days of data are needed")
            self.series_[sid] = self._fit_series(data, ev)
        return self

    def predict(self, h: int, start: dt.date | None = None) -> Forecast:
        """Forecast the `h` calendar days from `start`, by default the day after the data."""
        if not hasattr(self, "series_"):
            raise RuntimeError("fit the forecaster before predicting")
        if h < 1:
            raise ValueError("h must be at least one day")
        first = self.end_ + dt.timedelta(days=1) if start is None else start
        if first <= self.end_:
            raise ValueError(
                f"the forecast must start after the data, which ends on {self.end_.isoformat()}"
            )
        if (first - self.end_).days > MAX_LEAD_DAYS:
            raise ValueError(
                f"the forecast can start at most {MAX_LEAD_DAYS} days after the data "
                f"(which ends on {self.end_.isoformat()})"
            )
        last = first + dt.timedelta(days=h - 1)
        out = Forecast(model=self.name)
        rng = np.random.default_rng(self.seed)
        for sid, state in self.series_.items():
            ev = _events_for(self.events_, sid)
            # From the series' own last day of data, so that models stepping through open days
            # count the ones before `start` too; those are dropped below.
            stepped_from = state.data.dates.max().date() + dt.timedelta(days=1)
            flags = future_flags(state.data, self.calendar, stepped_from, last, ev)
            slots = len(state.data.layout.slots)
            point = np.zeros((len(flags.dates), slots))
            if flags.open.any():
                point[flags.open] = np.maximum(self._predict_series(state, flags), 0.0)
            keep = flags.dates >= pd.Timestamp(first)
            point, is_open = point[keep], flags.open[keep]
            quantiles, day_paths = _simulate(point, is_open, state.errors, self.paths, rng)
            out.series[sid] = SeriesForecast(
                series_id=sid,
                layout=state.data.layout,
                dates=flags.dates[keep],
                open=is_open,
                point=point,
                quantiles=quantiles,
                day_paths=day_paths,
                scale=seasonal_scale(state.data.values, state.data.layout.season),
            )
        return out

    # -- to implement ---------------------------------------------------------------------

    def _fit_series(self, data: SeriesData, events: pd.DataFrame | None) -> FittedSeries:
        raise NotImplementedError

    def _predict_series(self, state: FittedSeries, flags: DayFlags) -> FloatArray:
        """Points for the open days of `flags` (rows: open days in order; columns: slots)."""
        raise NotImplementedError


def seasonal_scale(values: FloatArray, season: int) -> float:
    """Mean |y_t − y_{t−season}| over a training series laid out as open days × intervals, in
    time order (the MASE denominator); for a series flat over every season, or shorter than
    one, the mean |y| (or 1), so that errors stay finite and comparable between candidates."""
    y = np.asarray(values, dtype=np.float64).ravel()
    if len(y) > season:
        scale = float(np.mean(np.abs(y[season:] - y[:-season])))
        if scale > 0:
            return scale
    level = float(np.mean(np.abs(y))) if len(y) else 0.0
    return level if level > 0 else 1.0


def _check_frame(df: pd.DataFrame) -> None:
    missing = {"series_id", "ds", "y"} - set(df.columns)
    if missing:
        raise ValueError(f"missing columns: {sorted(missing)}")
    if not len(df):
        raise ValueError("no data")


def _events_for(events: pd.DataFrame | None, sid: object) -> pd.DataFrame | None:
    if events is None or not len(events):
        return None
    missing = {"name", "start", "end"} - set(events.columns)
    if missing:
        raise ValueError(f"events lack columns: {sorted(missing)}")
    if "series_id" in events.columns:
        return events[events["series_id"].isna() | (events["series_id"] == sid)]
    return events


def _simulate(
    point: FloatArray,
    is_open: npt.NDArray[np.bool_],
    errors: ErrorModel,
    paths: int,
    rng: np.random.Generator,
) -> tuple[FloatArray, FloatArray]:
    """Quantiles per interval and daily totals per path (see the module docstring)."""
    days, slots = point.shape
    quantiles = np.zeros((4, days, slots))
    day_paths = np.zeros((paths, days))
    open_idx = np.flatnonzero(is_open)
    if not open_idx.size:
        return quantiles, day_paths
    eps = rng.choice(errors.day_errors, size=(paths, open_idx.size), replace=True)
    carried = np.cumsum(eps, axis=1) - eps  # errors of the earlier open days
    factor = np.exp(eps + errors.alpha * carried)
    inv_k = errors.inverse_dispersion
    chunk = max(1, 2_000_000 // max(paths * slots, 1))
    for s in range(0, open_idx.size, chunk):
        rows = open_idx[s : s + chunk]
        mean = point[rows][None, :, :] * factor[:, s : s + chunk, None]
        if inv_k > 0:
            shape = 1.0 / inv_k
            mean = mean * rng.gamma(shape, 1.0 / shape, size=mean.shape)
        draws = rng.poisson(mean).astype(np.float64) if errors.counts else mean
        quantiles[:, rows, :] = np.quantile(draws, _QUANTILES, axis=0)
        day_paths[:, rows] = draws.sum(axis=2)
    flat = _contain(point[open_idx].ravel(), quantiles[:, open_idx, :].reshape(4, -1))
    quantiles[:, open_idx, :] = flat.reshape(4, open_idx.size, slots)
    return quantiles, day_paths
