"""Our model: daily volume × intraday profile, aware of the Italian calendar and campaigns.

    calls(day, interval) = volume(day) × share(weekday, interval)

- **Daily volume** (log scale): a weekday effect, the effects of special days — open holidays,
  the first open day after a closure (calls pile up), the last one before it, bridge days
  ("ponti"), August, the Christmas fortnight, the first two and the last open days of each
  month (payments, statements and monthly deadlines), and each named campaign event given as
  a regressor — plus a slowly varying trend. All are fitted at once by robust (Huber) regression
  with a piecewise-linear trend; special-day effects are shrunk towards their prior (zero, or
  a given log-multiplier) in proportion to how little evidence there is, so an event seen
  once moves the forecast less than one seen five times. The level the forecast starts from
  is then tracked by robust simple exponential smoothing of the volume adjusted for those
  effects (the short-term level correction): a one-day outage or an unflagged surge does not
  drag the level, a lasting shift does.
- **Intraday profile**: for each weekday, the share of the day's calls in each interval,
  estimated as a ratio of exponentially weighted sums over past days (recent weeks count
  more; special days are left out), shrunk towards the all-weekday profile when a weekday has
  little data, and lightly smoothed across neighbouring intervals for short intervals, where
  Poisson noise dominates the counts.

Closed days (weekends for a weekday-only service, holidays when closed) never enter the fit and
are forecast as zero by the base class.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from ascolto.contactcenter.numerics.base import ErrorModel, FittedSeries, Forecaster, expect_state
from ascolto.contactcenter.numerics.calendar import DayFlags, OperatingCalendar, SeriesData

FloatArray = npt.NDArray[np.float64]

_ALPHAS = (0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8)
_HUBER = 1.345
_TOLERANCE = 0.02
_SPECIAL = ("holiday", "after_closure", "before_closure", "bridge", "christmas")


@dataclass
class _ProfileState(FittedSeries):
    weekday_effect: dict[int, float]
    effects: dict[str, float]
    level: float
    alpha: float
    profile: dict[int, FloatArray]


class VolumeProfile(Forecaster):
    """Daily volume × intraday profile (see the module docstring).

    - `profile_halflife_days`: age in days at which a past day counts half in the profile;
    - `effect_prior_sd`: prior spread of a special-day effect (log scale): smaller shrinks more;
    - `effect_priors`: prior log-multipliers for effects with no history (e.g.
      `{"august": np.log(0.7)}` for a first August), keyed as in `DayFlags.effects()`
      (`"event:<name>"` for events);
    - `trend_knot_days`: spacing of the trend's knots;
    - `alpha`: smoothing weight of the level (None: chosen on errors up to a week ahead);
    - `smooth_profile`: smooth the profile across intervals (None: for intervals ≤ 15 min).
    """

    name = "VolumeProfile"

    def __init__(
        self,
        calendar: OperatingCalendar | None = None,
        *,
        profile_halflife_days: float = 56.0,
        effect_prior_sd: float = 0.3,
        effect_priors: Mapping[str, float] | None = None,
        trend_knot_days: int = 28,
        alpha: float | None = None,
        smooth_profile: bool | None = None,
        paths: int = 1000,
        seed: int = 0,
    ) -> None:
        super().__init__(calendar, paths=paths, seed=seed)
        self.profile_halflife_days = profile_halflife_days
        self.effect_prior_sd = effect_prior_sd
        self.effect_priors = dict(effect_priors or {})
        self.trend_knot_days = trend_knot_days
        self.alpha = alpha
        self.smooth_profile = smooth_profile

    # -- fitting --------------------------------------------------------------------------

    def _fit_series(self, data: SeriesData, events: pd.DataFrame | None) -> FittedSeries:
        totals = data.values.sum(axis=1)
        rows = data.flags.dates.get_indexer(data.dates)
        weekday = data.flags.weekday[rows]
        special = {k: v[rows] for k, v in data.flags.effects().items()}
        pos = totals > 0
        if pos.sum() < 2:
            raise ValueError(f"series {data.series_id!r}: no calls to learn from")
        z = np.log(totals[pos])
        days = (data.dates - data.dates[0]).days.to_numpy()[pos].astype(np.float64)
        weekdays = list(data.layout.weekdays)
        names = [k for k, v in special.items() if v[pos].any()]
        dow_coef, eff_coef, _ = _robust_daily_regression(
            z,
            weekday[pos],
            weekdays,
            np.column_stack([special[k][pos] for k in names]) if names else np.zeros((len(z), 0)),
            [self.effect_priors.get(k, 0.0) for k in names],
            days,
            self.trend_knot_days,
            self.effect_prior_sd,
        )
        effects = dict(zip(names, eff_coef, strict=True))
        adjusted = z - _day_offsets(weekday[pos], dow_coef, special, effects, pos)
        alpha, level, one_step = _robust_ses(adjusted, self.alpha, len(weekdays))

        profile = self._profile(data, weekday)
        fitted_totals = np.exp(one_step + (z - adjusted))
        fitted = fitted_totals[:, None] * np.stack([profile[int(d)] for d in weekday[pos]])
        warm = min(10, max(len(z) // 4, 0))
        errors = ErrorModel.from_fitted(
            data.values[pos][warm:], fitted[warm:], counts=data.counts, alpha=alpha
        )
        return _ProfileState(
            data=data,
            errors=errors,
            weekday_effect=dow_coef,
            effects=effects,
            level=level,
            alpha=alpha,
            profile=profile,
        )

    def _profile(self, data: SeriesData, weekday: npt.NDArray[np.int64]) -> dict[int, FloatArray]:
        """Share of each interval in the day, per weekday (see the module docstring)."""
        values = data.values
        slots = values.shape[1]
        if slots == 1:
            return {d: np.ones(1) for d in data.layout.weekdays}
        rows = data.flags.dates.get_indexer(data.dates)
        ordinary = np.ones(len(values), dtype=bool)
        for key in _SPECIAL:
            ordinary &= ~getattr(data.flags, key)[rows]
        ordinary &= values.sum(axis=1) > 0
        if ordinary.sum() < max(3, len(values) // 3):
            ordinary = values.sum(axis=1) > 0
        age = (data.dates.max() - data.dates).days.to_numpy().astype(np.float64)
        w = np.where(ordinary, 0.5 ** (age / self.profile_halflife_days), 0.0)
        pooled = _shares(values, w)
        smooth = data.layout.step <= 15 if self.smooth_profile is None else self.smooth_profile
        out: dict[int, FloatArray] = {}
        for d in data.layout.weekdays:
            wd = np.where(weekday == d, w, 0.0)
            if wd.sum() <= 0:
                p = pooled
            else:
                n_eff = wd.sum() ** 2 / (wd**2).sum()
                shrink = n_eff / (n_eff + 2.0)
                p = shrink * _shares(values, wd) + (1.0 - shrink) * pooled
            if smooth and slots >= 8:
                p = np.convolve(np.r_[p[0], p, p[-1]], [0.25, 0.5, 0.25], mode="valid")
            out[int(d)] = p / p.sum() if p.sum() > 0 else np.full(slots, 1.0 / slots)
        return out

    # -- forecasting ----------------------------------------------------------------------

    def _predict_series(self, state: FittedSeries, flags: DayFlags) -> FloatArray:
        st = expect_state(state, _ProfileState)
        open_ = flags.open
        weekday = flags.weekday[open_]
        log_total = np.full(int(open_.sum()), st.level)
        log_total += np.array([st.weekday_effect.get(int(d), 0.0) for d in weekday])
        for key, mask in flags.effects().items():
            gamma = st.effects.get(key, self.effect_priors.get(key, 0.0))
            log_total += gamma * mask[open_]
        shares = np.stack([st.profile[int(d)] for d in weekday])
        return np.asarray(np.exp(log_total)[:, None] * shares, dtype=np.float64)


def _shares(values: FloatArray, weights: FloatArray) -> FloatArray:
    total = float((weights * values.sum(axis=1)).sum())
    if total <= 0:
        return np.full(values.shape[1], 1.0 / values.shape[1])
    return np.asarray((weights[:, None] * values).sum(axis=0) / total, dtype=np.float64)


def _day_offsets(
    weekday: npt.NDArray[np.int64],
    dow_coef: Mapping[int, float],
    special: Mapping[str, npt.NDArray[np.bool_]],
    effects: Mapping[str, float],
    pos: npt.NDArray[np.bool_],
) -> FloatArray:
    out = np.array([dow_coef[int(d)] for d in weekday], dtype=np.float64)
    for key, gamma in effects.items():
        out += gamma * special[key][pos]
    return out


def _hat_basis(days: FloatArray, spacing: int) -> FloatArray:
    """Piecewise-linear trend basis: one hat function per knot, knots every `spacing` days."""
    span = float(days.max()) if len(days) else 0.0
    knots = np.arange(0.0, span + spacing, spacing)
    if len(knots) < 2:
        return np.ones((len(days), 1))
    basis = np.clip(1.0 - np.abs(days[:, None] - knots[None, :]) / spacing, 0.0, None)
    return np.asarray(basis, dtype=np.float64)


def _robust_daily_regression(
    z: FloatArray,
    weekday: npt.NDArray[np.int64],
    weekdays: list[int],
    special: FloatArray,
    priors: list[float],
    days: FloatArray,
    knot_days: int,
    prior_sd: float,
) -> tuple[dict[int, float], FloatArray, FloatArray]:
    """Huber regression of log daily totals on weekday, special days and a smooth trend.

    The weekday effects are centred (they average to zero over the open weekdays) so that the
    trend carries the level; special-day effects get a ridge penalty (σ/prior_sd)² pulling them
    towards their priors, the trend a second-difference penalty keeping it smooth.
    """
    n = len(z)
    dow = (weekday[:, None] == np.array(weekdays)[None, :]).astype(np.float64)
    # Sum-to-zero coding: the last weekday's effect is minus the sum of the others.
    dow_c = dow[:, :-1] - dow[:, -1:] if len(weekdays) > 1 else np.zeros((n, 0))
    trend = _hat_basis(days, knot_days)
    x = np.column_stack([dow_c, special.astype(np.float64), trend])
    k_dow, k_sp, k_tr = dow_c.shape[1], special.shape[1], trend.shape[1]
    prior = np.zeros(x.shape[1])
    prior[k_dow : k_dow + k_sp] = priors
    diff = np.diff(np.eye(k_tr), n=2, axis=0) if k_tr > 2 else np.zeros((0, k_tr))
    weights = np.ones(n)
    sigma = max(float(np.std(np.diff(z))) / np.sqrt(2.0), 0.02) if n > 2 else 0.1
    beta: FloatArray = np.zeros(x.shape[1])
    for _ in range(10):
        pen = np.zeros((x.shape[1], x.shape[1]))
        pen[np.diag_indices(k_dow)] = 1e-6
        idx = np.arange(k_dow, k_dow + k_sp)
        pen[idx, idx] = (sigma / prior_sd) ** 2
        t0 = k_dow + k_sp
        pen[t0:, t0:] += (sigma / 0.05) ** 2 * diff.T @ diff + 1e-6 * np.eye(k_tr)
        xw = x * weights[:, None]
        beta = np.asarray(np.linalg.solve(x.T @ xw + pen, xw.T @ z + pen @ prior))
        resid = z - x @ beta
        scale = 1.4826 * float(np.median(np.abs(resid - np.median(resid))))
        sigma = max(scale, 1e-3)
        weights = np.minimum(1.0, _HUBER * sigma / np.maximum(np.abs(resid), 1e-12))
    dow_values = np.r_[beta[:k_dow], -beta[:k_dow].sum()] if len(weekdays) > 1 else np.zeros(1)
    dow_coef = {int(d): float(v) for d, v in zip(weekdays, dow_values, strict=True)}
    return dow_coef, beta[k_dow : k_dow + k_sp], z - x @ beta


def _robust_ses(
    series: FloatArray, alpha: float | None, horizon: int
) -> tuple[float, float, FloatArray]:
    """Simple exponential smoothing whose updates clip innovations at 2.5 robust σ.

    Returns the smoothing weight, the final level and the one-day-ahead forecasts of `series`.
    When not given, the weight minimises the Huber loss of the forecasts 1 to `horizon` open
    days ahead (one operating week): plans are made days ahead, and a weight tuned on
    one-day-ahead errors chases day-to-day noise that does not persist.
    """
    n = len(series)
    start = float(np.median(series[: min(5, n)]))
    scale = 1.4826 * float(np.median(np.abs(np.diff(series) - np.median(np.diff(series)))))
    clip = 2.5 * max(scale / np.sqrt(2.0), 1e-3)
    warm = min(5, n - 1)
    results: list[tuple[float, float, float, FloatArray]] = []
    for a in _ALPHAS if alpha is None else (alpha,):
        level = start
        ahead = np.empty(n)
        # A plain Python loop with min/max: np.clip on scalars costs ten times as much here,
        # and this loop runs for every weight of every fit.
        for t, v in enumerate(series.tolist()):
            ahead[t] = level
            level += a * max(-clip, min(clip, v - level))
        loss = 0.0
        for k in range(1, max(1, min(horizon, n - warm - 1)) + 1):
            # ahead[t - k + 1] is the level known k days before day t.
            e = np.abs(series[warm + k - 1 :] - ahead[warm : n - k + 1])
            loss += float(np.where(e <= clip, 0.5 * e**2, clip * (e - 0.5 * clip)).mean())
        results.append((loss, a, level, ahead))
    # Parsimony: the smoothest level whose loss is within TOLERANCE of the best one. The loss
    # is flat across weights, and a level that reacts less carries less noise forward.
    floor = min(r[0] for r in results)
    best = min((r for r in results if r[0] <= floor * (1.0 + _TOLERANCE)), key=lambda r: r[1])
    return best[1], best[2], best[3]
