"""Operators required per interval: Erlang C and Erlang A (M/M/n+M), vectorised with NumPy.

Units, everywhere in this module:

- arrival rates are in calls per second, handling times (AHT), waits, targets and patience in
  seconds; `agents_required` takes calls per interval and the interval length and converts;
- traffic (offered load) is in Erlangs: arrival rate × AHT;
- probabilities and service levels are fractions in [0, 1].

Every function broadcasts over NumPy arrays, so a year of 15-minute intervals (35,040 values) is
one call. No factorials appear anywhere: Erlang B is computed from the regularised incomplete
gamma function (B(n, A) = Poisson pmf / Poisson cdf, in log space) and then advanced with the
stable recursion B(n+1) = A·B(n) / (n + 1 + A·B(n)); Erlang A uses the closed forms of
Palm's M/M/n+M queue written as ratios of regularised incomplete gamma functions (Garnett,
Mandelbaum & Reiman 2002; Mandelbaum & Zeltyn 2007), evaluated in log space.

Erlang A definitions used here (callers must know which, because the literature varies):

- `erlang_a_service_level`: the fraction of *all* arriving calls answered within the target;
  calls abandoned before the target count as failures (the conservative definition);
- `erlang_a_average_speed_of_answer`: the mean wait of *answered* calls;
- `erlang_a_average_wait`: the mean time in queue of all calls, answered or abandoned.

The Erlang A formulas are accurate (to 1e-8 against the birth–death chain) for realistic mean
patience, seconds to hours; past about 1e7 s the incomplete gammas of huge arguments lose
digits, and Erlang C is the right model anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import special

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
ArrayLike = npt.ArrayLike

# Below this value a regularised incomplete gamma has lost its relative precision in double
# precision, and its logarithm is recomputed from the series instead.
_TINY = 1e-280


def _f(x: ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


# --------------------------------------------------------------------------------------------
# Erlang B and C
# --------------------------------------------------------------------------------------------


def erlang_b(traffic: ArrayLike, agents: ArrayLike) -> FloatArray:
    """Blocking probability of an M/M/n/n loss system (Erlang B) for traffic in Erlangs.

    B(n, A) = P(Poisson(A) = n) / P(Poisson(A) ≤ n), computed in log space with
    `gammaincc(n + 1, A)` for the cdf, so that neither A**n nor n! is ever formed.
    """
    a, n = np.broadcast_arrays(_f(traffic), _f(agents))
    if a.size and np.all(n >= 0) and np.all(n == np.floor(n)) and float(np.mean(n)) <= 300:
        return _erlang_b_by_recursion(a.ravel(), n.ravel()).reshape(a.shape)
    out = np.zeros(a.shape, dtype=np.float64)
    pos = a > 0
    out[~pos] = np.where(n[~pos] <= 0, 1.0, 0.0)
    ap, nplus = a[pos], n[pos]
    with np.errstate(divide="ignore"):
        log_pmf = nplus * np.log(ap) - ap - special.gammaln(nplus + 1.0)
        log_cdf = np.log(special.gammaincc(nplus + 1.0, ap))
    out[pos] = np.exp(np.minimum(log_pmf - log_cdf, 0.0))
    return out


def _erlang_b_by_recursion(traffic: FloatArray, agents: FloatArray) -> FloatArray:
    """Erlang B by the recursion B(0) = 1, B(k) = A·B(k−1) / (k + A·B(k−1)), all intervals at once.

    Intervals are sorted by their number of agents so that step k updates one contiguous slice
    (those needing at least k agents): the total work is the sum of the agents, with as many
    array operations as the largest of them. Faster than the incomplete gamma for the tens of
    agents of a municipal contact center; `erlang_b` switches to the gamma form beyond that.
    """
    order = np.argsort(agents, kind="stable")
    a = traffic[order]
    n = agents[order].astype(np.int64)
    b = np.ones(a.shape, dtype=np.float64)
    top = int(n[-1]) if n.size else 0
    for k in range(1, top + 1):
        start = int(np.searchsorted(n, k, side="left"))
        ab = a[start:] * b[start:]
        b[start:] = ab / (k + ab)
    out = np.empty_like(b)
    out[order] = b
    return out


def _erlang_c_from_b(a: FloatArray, n: FloatArray, b: FloatArray) -> FloatArray:
    """Erlang C from Erlang B: C = n·B / (n − A·(1 − B)), and 1 when the queue is unstable."""
    with np.errstate(divide="ignore", invalid="ignore"):
        c = n * b / (n - a * (1.0 - b))
    return np.where(n > a, np.clip(c, 0.0, 1.0), 1.0)


def erlang_c(traffic: ArrayLike, agents: ArrayLike) -> FloatArray:
    """Probability that a call waits (Erlang C) with `traffic` Erlangs offered to `agents`.

    Equal to 1 when agents ≤ traffic (the queue grows without bound); 0 when no traffic.
    """
    a, n = np.broadcast_arrays(_f(traffic), _f(agents))
    c = _erlang_c_from_b(a, n, erlang_b(a, n))
    return np.where(a > 0, c, 0.0)


def service_level(
    arrival_rate: ArrayLike, aht: ArrayLike, agents: ArrayLike, target_seconds: ArrayLike
) -> FloatArray:
    """Erlang C service level: the fraction of calls answered within `target_seconds`.

    SL = 1 − C(n, A)·exp(−(n − A)·t / AHT), with arrival rate in calls/s and AHT in seconds.
    """
    lam, h, n, t = np.broadcast_arrays(_f(arrival_rate), _f(aht), _f(agents), _f(target_seconds))
    a = lam * h
    c = erlang_c(a, n)
    with np.errstate(over="ignore", invalid="ignore"):
        sl = 1.0 - c * np.exp(-(n - a) * t / h)
    return np.where(n > a, np.clip(sl, 0.0, 1.0), np.where(a > 0, 0.0, 1.0))


def average_speed_of_answer(
    arrival_rate: ArrayLike, aht: ArrayLike, agents: ArrayLike
) -> FloatArray:
    """Erlang C average speed of answer in seconds: ASA = C(n, A)·AHT / (n − A).

    Infinite when agents ≤ traffic.
    """
    lam, h, n = np.broadcast_arrays(_f(arrival_rate), _f(aht), _f(agents))
    a = lam * h
    c = erlang_c(a, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        asa = c * h / (n - a)
    return np.where(n > a, asa, np.where(a > 0, np.inf, 0.0))


def occupancy(arrival_rate: ArrayLike, aht: ArrayLike, agents: ArrayLike) -> FloatArray:
    """Erlang C occupancy: the fraction of agents' time spent on calls, A / n, capped at 1."""
    lam, h, n = np.broadcast_arrays(_f(arrival_rate), _f(aht), _f(agents))
    a = lam * h
    with np.errstate(divide="ignore", invalid="ignore"):
        occ = np.where(n > 0, a / n, np.where(a > 0, 1.0, 0.0))
    return np.minimum(occ, 1.0)


# --------------------------------------------------------------------------------------------
# Erlang A (M/M/n+M: Poisson arrivals, exponential service and exponential patience)
# --------------------------------------------------------------------------------------------


def _log_gammainc(a: FloatArray, y: FloatArray) -> FloatArray:
    """log P(a, y), the regularised lower incomplete gamma, accurate even when P underflows.

    Where scipy's value is too small to be trusted, use the series
    P(a, y) = e^−y y^a / Γ(a+1) · Σ_j y^j / ((a+1)…(a+j)), which converges quickly exactly there
    (tiny P means y well below a).
    """
    p = special.gammainc(a, y)
    with np.errstate(divide="ignore"):
        out = np.log(p)
    bad = (p < _TINY) & (y > 0)
    if np.any(bad):
        ab, yb = a[bad], y[bad]
        term = np.ones_like(ab)
        total = np.ones_like(ab)
        for j in range(1, 4000):
            term = term * yb / (ab + j)
            total += term
            if np.all(term < 1e-17 * total):
                break
        out[bad] = -yb + ab * np.log(yb) - special.gammaln(ab + 1.0) + np.log(total)
    out[y <= 0] = -np.inf
    return np.asarray(out, dtype=np.float64)


@dataclass(frozen=True)
class _PalmTerms:
    """Quantities shared by the Erlang A measures for one set of broadcast inputs."""

    shape: tuple[int, ...]
    lam: FloatArray
    aht: FloatArray
    n: FloatArray
    theta: FloatArray  # abandonment rate of a waiting caller, 1/patience (1/s)
    x: FloatArray  # n·μ/θ
    y: FloatArray  # λ/θ
    log_px: FloatArray  # log P(x, y)
    log_s: FloatArray  # log of S = Σ_j y^j / ((x+1)…(x+j)): queue states relative to state n
    p_wait: FloatArray  # probability that an arriving caller finds all agents busy


def _palm(
    arrival_rate: ArrayLike, aht: ArrayLike, agents: ArrayLike, patience: ArrayLike
) -> _PalmTerms:
    shape = np.broadcast_shapes(*(np.shape(v) for v in (arrival_rate, aht, agents, patience)))
    lam, h, n, pat = np.broadcast_arrays(_f(arrival_rate), _f(aht), _f(agents), _f(patience))
    # Work on 1-d copies (boolean-mask assignment needs arrays); callers reshape back.
    lam, h, n, pat = (np.array(v, dtype=np.float64).reshape(-1) for v in (lam, h, n, pat))
    theta = 1.0 / pat
    # Keep x and y strictly positive so that the logs below are finite; the cases with no
    # agents or no arrivals are overwritten by the callers.
    x = np.maximum(n, 1e-12) / h / theta
    y = np.maximum(lam, 1e-300) / theta
    log_px = _log_gammainc(x, y)
    # S = Γ(x+1) e^y y^−x P(x, y): the stationary mass of states ≥ n relative to state n.
    log_s = special.gammaln(x + 1.0) + y - x * np.log(y) + log_px
    b = erlang_b(lam * h, n)
    with np.errstate(divide="ignore", over="ignore"):
        # P(wait) = S·B / (1 − B + S·B), written to stay finite when S·B is huge.
        p_wait = 1.0 / (1.0 + (1.0 - b) * np.exp(-(log_s + np.log(b))))
    p_wait = np.where(n <= 0, 1.0, np.where(lam <= 0, 0.0, p_wait))
    return _PalmTerms(shape, lam, h, n, theta, x, y, log_px, log_s, p_wait)


def erlang_a_wait_probability(
    arrival_rate: ArrayLike, aht: ArrayLike, agents: ArrayLike, patience: ArrayLike
) -> FloatArray:
    """Erlang A probability that an arriving caller must queue (all agents busy)."""
    t = _palm(arrival_rate, aht, agents, patience)
    return t.p_wait.reshape(t.shape)


def _abandonment(t: _PalmTerms) -> FloatArray:
    # E[queue]·θ/λ with E[queue] = p_n (x + (y − x) S), rewritten with P(wait) = p_n S.
    with np.errstate(over="ignore", invalid="ignore"):
        pab = t.p_wait * (t.y - t.x + t.x * np.exp(-t.log_s)) / t.y
    pab = np.where(t.n <= 0, 1.0, np.where(t.lam <= 0, 0.0, pab))
    return np.clip(np.nan_to_num(pab, nan=0.0), 0.0, 1.0)


def erlang_a_abandonment(
    arrival_rate: ArrayLike, aht: ArrayLike, agents: ArrayLike, patience: ArrayLike
) -> FloatArray:
    """Erlang A probability that a caller hangs up before being answered.

    Patience is exponential with mean `patience` seconds.
    """
    t = _palm(arrival_rate, aht, agents, patience)
    return _abandonment(t).reshape(t.shape)


def _service_level_a(t: _PalmTerms, target: FloatArray) -> FloatArray:
    # A caller who finds j others waiting is answered within t with probability
    # x/(x+j+1)·I_{1−e^{−θt}}(j+1, x+1); summed over the stationary queue this collapses to
    # P(wait)·(x/y)·[P(x+1, y) − P(x+1, y e^{−θt})] / P(x, y).
    y_t = t.y * np.exp(-t.theta * target)
    with np.errstate(over="ignore", invalid="ignore"):
        upper = np.exp(_log_gammainc(t.x + 1.0, t.y) - t.log_px)
        lower = np.exp(_log_gammainc(t.x + 1.0, y_t) - t.log_px)
        queued = t.p_wait * (t.x / t.y) * (upper - lower)
    sl = (1.0 - t.p_wait) + np.nan_to_num(queued, nan=0.0)
    sl = np.where(t.n <= 0, 0.0, np.where(t.lam <= 0, 1.0, sl))
    return np.clip(sl, 0.0, 1.0)


def erlang_a_service_level(
    arrival_rate: ArrayLike,
    aht: ArrayLike,
    agents: ArrayLike,
    target_seconds: ArrayLike,
    patience: ArrayLike,
) -> FloatArray:
    """Erlang A service level: the fraction of all calls answered within `target_seconds`.

    Calls that abandon count as not answered, whatever their wait.
    """
    t = _palm(arrival_rate, aht, agents, patience)
    target = np.broadcast_to(_f(target_seconds), t.shape).reshape(-1)
    return _service_level_a(t, target).reshape(t.shape)


def erlang_a_average_wait(
    arrival_rate: ArrayLike, aht: ArrayLike, agents: ArrayLike, patience: ArrayLike
) -> FloatArray:
    """Erlang A mean time in queue over all calls, answered or abandoned, in seconds.

    By Little's law E[W] = E[queue]/λ = P(abandon)·patience.
    """
    t = _palm(arrival_rate, aht, agents, patience)
    return (_abandonment(t) / t.theta).reshape(t.shape)


def _asa_a(t: _PalmTerms) -> FloatArray:
    # E[W; answered] = P(wait)·(x/y) / (θ·P(x, y)) · Σ_k P(x+1+k, y)/(x+1+k): integrate the
    # answered-within-t curve above. The series terms come from one gammainc and the downward
    # recurrence P(a+1, y) = P(a, y) − e^−y y^a / Γ(a+1), stopped once the terms are negligible.
    a = t.x + 1.0
    log_p = _log_gammainc(a, t.y)
    p_rel = np.ones_like(a)  # P(a+k, y) / P(a, y)
    total = 1.0 / a
    log_y = np.log(t.y)
    # log of e^−y y^(a+k) / Γ(a+k+1) / P(a, y), advanced by log y − log(a+k+1) each step.
    log_step = a * log_y - t.y - special.gammaln(a + 1.0) - log_p
    active = np.ones(a.shape, dtype=bool)
    ak = a.copy()
    for _ in range(1_000_000):
        with np.errstate(over="ignore", under="ignore"):
            step = np.exp(log_step)
        p_rel = np.where(active, np.maximum(p_rel - step, 0.0), p_rel)
        ak = ak + 1.0
        log_step = log_step + log_y - np.log(ak)
        total = np.where(active, total + p_rel / ak, total)
        # Past the peak (a+k > y) the remaining terms shrink geometrically and sum to at most
        # p_rel/(a+k−y); p_rel itself bottoms out at rounding noise of the subtraction.
        past = ak > t.y + 1.0
        negligible = (p_rel < 1e-12) | (p_rel / np.maximum(ak - t.y, 1.0) < 1e-14 * total)
        active &= ~(past & negligible)
        if not active.any():
            break
    with np.errstate(over="ignore", invalid="ignore"):
        ratio = np.exp(log_p - t.log_px)  # P(x+1, y) / P(x, y)
        w_answered = t.p_wait * (t.x / t.y) * ratio * total / t.theta
        asa = w_answered / (1.0 - _abandonment(t))
    asa = np.where(t.lam <= 0, 0.0, np.nan_to_num(asa, nan=0.0, posinf=np.inf))
    return np.where(t.n <= 0, np.inf, asa)


def erlang_a_average_speed_of_answer(
    arrival_rate: ArrayLike, aht: ArrayLike, agents: ArrayLike, patience: ArrayLike
) -> FloatArray:
    """Erlang A average speed of answer: the mean wait of answered calls, in seconds."""
    t = _palm(arrival_rate, aht, agents, patience)
    return _asa_a(t).reshape(t.shape)


def erlang_a_occupancy(
    arrival_rate: ArrayLike, aht: ArrayLike, agents: ArrayLike, patience: ArrayLike
) -> FloatArray:
    """Erlang A occupancy: carried traffic A·(1 − P(abandon)) over agents, in [0, 1]."""
    t = _palm(arrival_rate, aht, agents, patience)
    carried = t.lam * t.aht * (1.0 - _abandonment(t))
    with np.errstate(divide="ignore", invalid="ignore"):
        occ = np.where(t.n > 0, carried / t.n, 0.0)
    return np.clip(occ, 0.0, 1.0).reshape(t.shape)


# --------------------------------------------------------------------------------------------
# Requirements
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffingRequirement:
    """Operators required per interval and what they achieve.

    `agents` are operators on the phones (the queueing requirement); `scheduled` are operators
    to put on the plan once shrinkage (breaks, training, absence) is accounted for:
    ceil(agents / (1 − shrinkage)). Measures are those achieved with `agents`; `abandonment`
    is NaN under Erlang C (no abandonment model).
    """

    traffic: FloatArray
    agents: IntArray
    scheduled: IntArray
    service_level: FloatArray
    average_speed_of_answer: FloatArray
    occupancy: FloatArray
    abandonment: FloatArray
    model: str


def _measures(
    lam: FloatArray,
    h: FloatArray,
    n: FloatArray,
    target: FloatArray,
    patience: FloatArray | None,
    need_asa: bool,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Service level, ASA (NaN when not needed), occupancy and abandonment for given agents."""
    if patience is None:
        a = lam * h
        b = erlang_b(a, n)
        c = np.where(a > 0, _erlang_c_from_b(a, n, b), 0.0)
        return _erlang_c_measures(a, h, n, target, c)
    t = _palm(lam, h, n, patience)
    sl = _service_level_a(t, target)
    pab = _abandonment(t)
    asa = _asa_a(t) if need_asa else np.full(n.shape, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        occ = np.where(n > 0, np.clip(lam * h * (1.0 - pab) / n, 0.0, 1.0), 0.0)
    return sl, asa, occ, pab


def _erlang_c_measures(
    a: FloatArray, h: FloatArray, n: FloatArray, target: FloatArray, c: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    stable = n > a
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        sl = np.where(stable, np.clip(1.0 - c * np.exp(-(n - a) * target / h), 0.0, 1.0), 0.0)
        asa = np.where(stable, c * h / (n - a), np.inf)
        occ = np.where(n > 0, np.minimum(a / n, 1.0), 0.0)
    zero = a <= 0
    sl = np.where(zero, 1.0, sl)
    asa = np.where(zero, 0.0, asa)
    return sl, asa, occ, np.full(a.shape, np.nan)


def agents_required(
    arrivals: ArrayLike,
    interval_seconds: float,
    aht_seconds: ArrayLike,
    *,
    service_level: float = 0.8,
    target_seconds: float = 20.0,
    asa_seconds: float | None = None,
    max_occupancy: float = 0.85,
    shrinkage: float = 0.30,
    patience_seconds: float | None = None,
) -> StaffingRequirement:
    """Smallest number of agents per interval that meets every constraint at once.

    `arrivals` are calls per interval (forecast volumes), `interval_seconds` the interval length,
    `aht_seconds` the average handling time (scalar or one per interval). Constraints:
    service level ≥ `service_level` within `target_seconds`; ASA ≤ `asa_seconds` if given;
    occupancy ≤ `max_occupancy`. With `patience_seconds` the Erlang A model is used (callers
    abandon after an exponential patience with that mean), otherwise Erlang C.

    Intervals with no arrivals need no agents. The search is vectorised: every interval starts
    from a lower bound (just above the offered traffic under Erlang C, or the occupancy bound)
    and the ones still short of a target advance together, one agent at a time, so the cost
    is a few array passes rather than a loop over intervals. Under Erlang C, Erlang B is carried
    from one step to the next by the stable recursion B(n+1) = A·B(n)/(n+1+A·B(n)).
    """
    if not 0.0 <= shrinkage < 1.0:
        raise ValueError("shrinkage must be in [0, 1)")
    if not 0.0 < max_occupancy <= 1.0:
        raise ValueError("max_occupancy must be in (0, 1]")
    if not 0.0 <= service_level < 1.0:
        raise ValueError("service_level must be in [0, 1)")
    if interval_seconds <= 0:
        raise ValueError("interval_seconds must be positive")
    calls = np.atleast_1d(_f(arrivals))
    if np.any(calls < 0) or not np.all(np.isfinite(calls)):
        raise ValueError("arrivals must be finite and non-negative")
    h = np.broadcast_to(_f(aht_seconds), calls.shape).astype(np.float64)
    if np.any(h <= 0):
        raise ValueError("aht_seconds must be positive")
    lam = calls / float(interval_seconds)
    a = lam * h
    target = np.full(calls.shape, float(target_seconds))
    pat = None if patience_seconds is None else np.full(calls.shape, float(patience_seconds))
    if pat is not None and patience_seconds is not None and patience_seconds <= 0:
        raise ValueError("patience_seconds must be positive")

    # Lower bound: the occupancy cap, and stability under Erlang C. Under Erlang A the queue is
    # always stable, but the occupancy bound on carried traffic still needs a start below it.
    occ_floor = np.ceil(a / max_occupancy - 1e-9)
    if pat is None:
        n = np.maximum(np.floor(a) + 1.0, occ_floor)
    else:
        n = np.maximum(np.floor(a * 0.5), 1.0)
    n = np.where(a > 0, n, 0.0)

    if pat is None:
        n, b = _search_erlang_c(a, h, n, target, service_level, asa_seconds, max_occupancy)
        c = np.where(a > 0, _erlang_c_from_b(a, n, b), 0.0)
        sl, asa, occ, pab = _erlang_c_measures(a, h, n, target, c)
    else:
        n = _search_generic(lam, h, n, target, pat, service_level, asa_seconds, max_occupancy)
        sl, asa, occ, pab = _measures(lam, h, n, target, pat, asa_seconds is not None)
    agents = n.astype(np.int64)
    scheduled = np.ceil(n / (1.0 - shrinkage) - 1e-9).astype(np.int64)
    return StaffingRequirement(
        traffic=a,
        agents=agents,
        scheduled=scheduled,
        service_level=sl,
        average_speed_of_answer=asa,
        occupancy=occ,
        abandonment=pab,
        model="erlang_a" if pat is not None else "erlang_c",
    )


def _search_erlang_c(
    a: FloatArray,
    h: FloatArray,
    n0: FloatArray,
    target: FloatArray,
    sl_goal: float,
    asa_goal: float | None,
    max_occ: float,
) -> tuple[FloatArray, FloatArray]:
    """Erlang C search; returns the agents and Erlang B at those agents."""
    n = n0.copy()
    b = np.zeros_like(n)
    idx = np.flatnonzero(a > 0)
    ai, hi, ni, ti = a[idx], h[idx], n[idx], target[idx]
    bi = erlang_b(ai, ni)
    while idx.size:
        ci = _erlang_c_from_b(ai, ni, bi)
        sl, asa, occ, _ = _erlang_c_measures(ai, hi, ni, ti, ci)
        ok = (sl >= sl_goal - 1e-12) & (occ <= max_occ + 1e-12)
        if asa_goal is not None:
            ok &= asa <= asa_goal + 1e-12
        n[idx[ok]] = ni[ok]
        b[idx[ok]] = bi[ok]
        keep = ~ok
        idx, ai, hi, ni, ti, bi = idx[keep], ai[keep], hi[keep], ni[keep], ti[keep], bi[keep]
        ni = ni + 1.0
        bi = ai * bi / (ni + ai * bi)
    return n, b


def _search_generic(
    lam: FloatArray,
    h: FloatArray,
    n0: FloatArray,
    target: FloatArray,
    patience: FloatArray,
    sl_goal: float,
    asa_goal: float | None,
    max_occ: float,
) -> FloatArray:
    """Erlang A search: gallop upwards until every constraint holds, then bisect, all vectorised.

    Every Erlang A measure improves monotonically with agents, so the first feasible n is found
    by doubling the step from the lower bound and then halving the bracket.
    """
    n = n0.copy()
    idx = np.flatnonzero(lam > 0)
    if not idx.size:
        return n

    def feasible(sel: IntArray, agents: FloatArray) -> npt.NDArray[np.bool_]:
        sl, asa, occ, _ = _measures(
            lam[sel], h[sel], agents, target[sel], patience[sel], asa_goal is not None
        )
        ok = (sl >= sl_goal - 1e-12) & (occ <= max_occ + 1e-12)
        if asa_goal is not None:
            ok &= asa <= asa_goal + 1e-12
        return ok

    lo = np.zeros(idx.size)  # no agents never meets a target while calls arrive
    hi = n[idx].copy()
    step = np.ones_like(hi)
    pending = np.arange(idx.size)
    while pending.size:
        ok = feasible(idx[pending], hi[pending])
        bad = pending[~ok]
        lo[bad] = hi[bad]
        hi[bad] = hi[bad] + step[bad]
        step[bad] *= 2.0
        pending = bad
    while True:
        gap = np.flatnonzero(hi - lo > 1.0)
        if not gap.size:
            break
        mid = np.floor((lo[gap] + hi[gap]) / 2.0)
        ok = feasible(idx[gap], mid)
        hi[gap[ok]] = mid[ok]
        lo[gap[~ok]] = mid[~ok]
    n[idx] = hi
    return n


# --------------------------------------------------------------------------------------------
# Patience
# --------------------------------------------------------------------------------------------


def estimate_patience(
    wait_seconds_of_abandoned: ArrayLike, wait_seconds_of_answered: ArrayLike
) -> float:
    """Maximum-likelihood mean patience (seconds) of callers, assuming exponential patience.

    An abandoned call reveals its caller's patience (its wait); an answered call only tells that
    patience exceeded its wait (right-censored). For exponential patience the MLE of the mean
    is the total observed time (all waits, both kinds) divided by the number of abandonments.
    Returns inf when nobody abandoned (no evidence of finite patience).
    """
    abandoned = np.atleast_1d(_f(wait_seconds_of_abandoned))
    answered = np.atleast_1d(_f(wait_seconds_of_answered))
    if np.any(abandoned < 0) or np.any(answered < 0):
        raise ValueError("waits must be non-negative")
    if abandoned.size == 0:
        return float("inf")
    return float((abandoned.sum() + answered.sum()) / abandoned.size)
