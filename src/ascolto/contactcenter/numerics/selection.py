"""Forecast errors and model choice by rolling-origin cross-validation.

MASE is the mean absolute error divided by the in-sample mean absolute error of the seasonal
naive forecast on the training data, with the season of the series: one day of intervals for
an intraday series (lag 169 for the bank's five-minute calls), one operating week for a daily
series. Below 1 a model beats, out of sample, what repeating yesterday achieved in sample.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ascolto.contactcenter.numerics.base import Forecast, Forecaster
from ascolto.contactcenter.numerics.calendar import infer_layout


def seasonal_scale(train: pd.DataFrame, season: int) -> float:
    """Mean |y_t − y_{t−season}| over a training series in time order (the MASE denominator)."""
    y = train.sort_values("ds")["y"].to_numpy(dtype=np.float64)
    if len(y) <= season:
        raise ValueError("the training series is shorter than one season")
    return float(np.mean(np.abs(y[season:] - y[:-season])))


def season_of(train: pd.DataFrame, forecaster: Forecaster) -> int:
    """The MASE season of one series: intervals per day, or operating days per week."""
    return infer_layout(train, forecaster.calendar).season


@dataclass(frozen=True)
class Scores:
    """Errors of one forecast against actuals: MASE, RMSE and the coverage of its intervals."""

    mase: float
    rmse: float
    coverage80: float
    coverage95: float


def score(forecast: Forecast, actual: pd.DataFrame, train: pd.DataFrame, season: int) -> Scores:
    """Errors of `forecast` on the rows of `actual` (`series_id, ds, y`), averaged over series.

    Rows of `actual` the forecast does not cover raise an error: silently dropping them would
    flatter a model that forecasts too few intervals.
    """
    frame = forecast.frame
    merged = actual.merge(frame, on=["series_id", "ds"], how="left")
    if merged["yhat"].isna().any():
        raise ValueError("the forecast does not cover every actual row")
    out = []
    for sid, rows in merged.groupby("series_id", sort=True):
        scale = seasonal_scale(train[train["series_id"] == sid], season)
        err = rows["y"].to_numpy(dtype=np.float64) - rows["yhat"].to_numpy(dtype=np.float64)
        y = rows["y"].to_numpy(dtype=np.float64)
        out.append(
            (
                float(np.mean(np.abs(err)) / scale),
                float(np.sqrt(np.mean(err**2))),
                float(np.mean((y >= rows["lo80"]) & (y <= rows["hi80"]))),
                float(np.mean((y >= rows["lo95"]) & (y <= rows["hi95"]))),
            )
        )
    m = np.mean(np.array(out), axis=0)
    return Scores(float(m[0]), float(m[1]), float(m[2]), float(m[3]))


@dataclass(frozen=True)
class ModelSelection:
    """Outcome of `select_model`: the winner, and every candidate's errors per origin.

    `folds` has one row per (model, origin) with `cutoff, mase, rmse, coverage80, coverage95,
    seconds` (fit + predict) and `error` (empty unless the candidate failed); `summary`
    averages them per model, best MASE first.
    """

    best: str
    folds: pd.DataFrame
    summary: pd.DataFrame

    def errors(self, model: str | None = None) -> dict[str, float]:
        """Mean errors of `model` (the winner by default), ready to store with a run."""
        row = self.summary.loc[model or self.best]
        return {k: float(row[k]) for k in ("mase", "rmse", "coverage80", "coverage95")}


def origins(df: pd.DataFrame, horizon: int, n_origins: int, step: int) -> list[pd.Timestamp]:
    """Forecast origins (last training day) from the latest backwards, `step` days apart."""
    last = pd.Timestamp(df["ds"].max()).normalize()
    return [last - pd.Timedelta(days=horizon + k * step) for k in range(n_origins)]


def split(
    df: pd.DataFrame, cutoff: pd.Timestamp, horizon: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training rows up to the end of `cutoff` and test rows of the `horizon` days after it."""
    end = cutoff + pd.Timedelta(days=1)
    train = df[df["ds"] < end]
    test = df[(df["ds"] >= end) & (df["ds"] < end + pd.Timedelta(days=horizon))]
    return train, test


def select_model(
    df: pd.DataFrame,
    candidates: Mapping[str, Forecaster],
    horizon: int,
    n_origins: int = 3,
    step: int = 7,
    events: pd.DataFrame | None = None,
) -> ModelSelection:
    """Choose among `candidates` (unfitted; each is cloned per origin) by rolling-origin CV.

    For each of `n_origins` origins, `step` days apart and ending `horizon` days before the
    last day of `df`, every candidate is fitted on the data up to the origin and forecasts the
    next `horizon` days; the winner has the lowest mean MASE (RMSE breaks ties). A candidate
    that fails on an origin (too little data for its seasons, a solver error) scores infinity
    there, with the reason in `folds.error`, so one fragile model cannot sink the choice.
    """
    if not candidates:
        raise ValueError("no candidates")
    rows = []
    for cutoff in origins(df, horizon, n_origins, step):
        train, test = split(df, cutoff, horizon)
        if not len(test):
            continue
        for name, proto in candidates.items():
            started = time.perf_counter()
            try:
                forecast = proto.clone().fit(train, events).predict(horizon)
                season = season_of(train[train["series_id"] == train["series_id"].iloc[0]], proto)
                s = score(forecast, test, train, season)
                error = ""
            except Exception as exc:  # one fragile candidate must not sink the choice
                s = Scores(np.inf, np.inf, np.nan, np.nan)
                error = f"{type(exc).__name__}: {exc}"
            rows.append(
                {
                    "model": name,
                    "cutoff": cutoff,
                    "mase": s.mase,
                    "rmse": s.rmse,
                    "coverage80": s.coverage80,
                    "coverage95": s.coverage95,
                    "seconds": time.perf_counter() - started,
                    "error": error,
                }
            )
    if not rows:
        raise ValueError("no origin leaves data to test on")
    folds = pd.DataFrame(rows)
    if not np.isfinite(folds["mase"]).any():
        raise ValueError(f"every candidate failed: {folds['error'].iloc[0]}")
    summary = (
        folds.groupby("model")[["mase", "rmse", "coverage80", "coverage95", "seconds"]]
        .mean()
        .sort_values(["mase", "rmse"])
    )
    return ModelSelection(best=str(summary.index[0]), folds=folds, summary=summary)
