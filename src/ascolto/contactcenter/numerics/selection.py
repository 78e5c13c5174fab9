"""Forecast errors and model choice by rolling-origin cross-validation.

MASE is the mean absolute error divided by the in-sample mean absolute error of the seasonal
naive forecast on the training data (open days × intervals, empty intervals as zeros), with the
season of the series: one day of intervals for an intraday series (lag 169 for the bank's
five-minute calls), one operating week for a daily series. Below 1 a model beats, out of sample,
what repeating yesterday achieved in sample. The selection rule is decision 0010.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ascolto.contactcenter.numerics.base import Forecast, Forecaster
from ascolto.contactcenter.numerics.calendar import infer_layout


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


def score(forecast: Forecast, actual: pd.DataFrame) -> Scores:
    """Errors of `forecast` on the days of `actual` (`series_id, ds, y`), averaged over series.

    Every day of `actual` with calls is scored on all its intervals (an interval without a row
    had no calls, as in telephony exports); calls outside the series' opening intervals are
    not forecast and not scored. A day the forecast says is closed but had calls is scored
    against zero. A day of `actual` outside the forecast's days raises an error: a forecast
    scored on fewer days than it was asked for would flatter the model.
    """
    out = []
    for sid, rows in actual.groupby("series_id", sort=True):
        if sid not in forecast.series:
            raise ValueError(f"the forecast has no series {sid!r}")
        sf = forecast.series[sid]
        ds = pd.DatetimeIndex(rows["ds"])
        day = sf.dates.get_indexer(ds.normalize())
        if (day < 0).any():
            raise ValueError("the forecast does not cover every day of the actuals")
        slot_index = {m: i for i, m in enumerate(sf.layout.slots)}
        col = np.array([slot_index.get(int(m), -1) for m in ds.hour * 60 + ds.minute])
        inside = col >= 0
        days = np.unique(day[inside])
        if not len(days):
            continue
        y = np.zeros((len(sf.dates), len(sf.layout.slots)))
        np.add.at(y, (day[inside], col[inside]), rows["y"].to_numpy(dtype=np.float64)[inside])
        y, point, q = y[days].ravel(), sf.point[days].ravel(), sf.quantiles[:, days].reshape(4, -1)
        err = y - point
        out.append(
            (
                float(np.mean(np.abs(err)) / sf.scale),
                float(np.sqrt(np.mean(err**2))),
                float(np.mean((y >= q[1]) & (y <= q[2]))),
                float(np.mean((y >= q[0]) & (y <= q[3]))),
            )
        )
    if not out:
        raise ValueError("no calls to score the forecast on")
    m = np.mean(np.array(out), axis=0)
    return Scores(float(m[0]), float(m[1]), float(m[2]), float(m[3]))


@dataclass(frozen=True)
class ModelSelection:
    """Outcome of `select_model`: the winner, every candidate's errors per fold, and the folds
    that could not be scored.

    `folds` has one row per (model, scored fold) with `cutoff, mase, rmse, coverage80,
    coverage95, seconds` (fit + predict) and `error` (empty unless the candidate failed on
    that fold). `summary` has one row per candidate, best first: the mean errors over the
    scored folds, `folds` (how many it was scored on) and `error` (why it was not eligible:
    it failed on a scored fold). `dropped` lists `(cutoff, reason)` for each fold that could
    not be scored at all (no calls in its window: a closure).
    """

    best: str
    folds: pd.DataFrame
    summary: pd.DataFrame
    dropped: tuple[tuple[pd.Timestamp, str], ...] = ()

    def errors(self, model: str | None = None) -> dict[str, float]:
        """Mean errors of `model` (the winner by default), ready to store with a run."""
        row = self.summary.loc[model or self.best]
        return {k: float(row[k]) for k in ("mase", "rmse", "coverage80", "coverage95")}


def origins(df: pd.DataFrame, horizon: int, n_origins: int, step: int) -> list[pd.Timestamp]:
    """Fold cutoffs (last training day), latest first, `step` days apart: the latest leaves
    `horizon` days of data after it, so its window ends on the last day of the data."""
    last = pd.Timestamp(df["ds"].max()).normalize()
    return [last - pd.Timedelta(days=horizon + k * step) for k in range(n_origins)]


def split(
    df: pd.DataFrame, cutoff: pd.Timestamp, horizon: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training rows up to the end of `cutoff` and test rows of the `horizon` days after it:
    the same days a forecast made at `cutoff` covers (`predict(horizon, start=cutoff + 1)`)."""
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
    progress: Callable[[str], None] | None = None,
) -> ModelSelection:
    """Choose among `candidates` (unfitted; each is cloned per fold) by rolling-origin CV.

    For each of `n_origins` cutoffs, `step` days apart, every candidate is fitted on the data up
    to the cutoff and forecasts the `horizon` days after it, scored on those days (see `score`).
    A fold whose window has no calls (the line was closed) cannot be scored: it is dropped for
    every candidate and reported. A candidate that fails on a scored fold (too little data for
    its seasons, a solver error) is not eligible, with the reason in `summary.error`. The winner
    is the eligible candidate with the lowest mean MASE over the scored folds (RMSE breaks
    ties); if none is eligible the choice is refused with every candidate's reason.
    """
    if not candidates:
        raise ValueError("no candidates")
    # The folds are the same for every candidate: split the data once.
    scored: list[tuple[pd.Timestamp, pd.DataFrame, pd.DataFrame]] = []
    dropped: list[tuple[pd.Timestamp, str]] = []
    for cutoff in origins(df, horizon, n_origins, step):
        train, test = split(df, cutoff, horizon)
        if len(train) and len(test):
            scored.append((cutoff, train, test))
        else:
            dropped.append((cutoff, "no calls in its window" if len(train) else "no history"))
    rows = []
    for name, proto in candidates.items():
        if progress:
            progress(name)
        for cutoff, train, test in scored:
            started = time.perf_counter()
            try:
                start = (cutoff + pd.Timedelta(days=1)).date()
                forecast = proto.clone().fit(train, events).predict(horizon, start=start)
                s = score(forecast, test)
                error = ""
            except Exception as exc:  # one fragile candidate must not sink the choice
                s = Scores(np.nan, np.nan, np.nan, np.nan)
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
        raise ValueError("no fold leaves calls to test on: the history is too short or closed")
    folds = pd.DataFrame(rows)
    summary = _summarise(folds, list(candidates))
    eligible = summary[summary["error"] == ""]
    if eligible.empty:
        reasons = "; ".join(f"{m}: {e}" for m, e in summary["error"].items())
        raise ValueError(f"every candidate failed ({reasons})")
    return ModelSelection(
        best=str(eligible.index[0]), folds=folds, summary=summary, dropped=tuple(dropped)
    )


def _summarise(folds: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """One row per candidate: mean errors over its folds, how many, and why it is not eligible."""
    metrics = ["mase", "rmse", "coverage80", "coverage95", "seconds"]
    summary = folds.groupby("model")[metrics].mean()
    summary["folds"] = folds.groupby("model").size()
    failed = folds[folds["error"] != ""].groupby("model")["error"].first()
    summary["error"] = failed.reindex(summary.index).fillna("")
    summary = summary.reindex(names)
    summary["ok"] = summary["error"] == ""
    summary = summary.sort_values(["ok", "mase", "rmse"], ascending=[False, True, True])
    return summary.drop(columns="ok")
