"""Erlang C and Erlang A against exact references: rational arithmetic and the birth–death chain.

No database: plain pytest functions.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from scipy.linalg import expm

from ascolto.contactcenter.numerics import staffing

# ------------------------------------------------------------------------------------------
# Slow, obviously correct references
# ------------------------------------------------------------------------------------------


def erlang_c_exact(traffic: Fraction, agents: int) -> Fraction:
    """Erlang C from the textbook factorial formula, in exact rational arithmetic."""
    below = sum(traffic**k / math.factorial(k) for k in range(agents))
    top = traffic**agents / math.factorial(agents) * Fraction(agents) / (agents - traffic)
    return top / (below + top)


def erlang_b_exact(traffic: Fraction, agents: int) -> Fraction:
    total = sum(traffic**k / math.factorial(k) for k in range(agents + 1))
    return (traffic**agents / math.factorial(agents)) / total


def birth_death_chain(lam: float, mu: float, theta: float, n: int, states: int) -> np.ndarray:
    """Stationary distribution of the truncated M/M/n+M chain, solved as a linear system."""
    q = np.zeros((states, states))
    for k in range(states):
        if k + 1 < states:
            q[k, k + 1] = lam
        if k > 0:
            q[k, k - 1] = min(k, n) * mu + max(k - n, 0) * theta
        q[k, k] = -q[k].sum()
    # pi Q = 0 with sum(pi) = 1: replace one balance equation by the normalisation.
    m = q.T.copy()
    m[-1, :] = 1.0
    rhs = np.zeros(states)
    rhs[-1] = 1.0
    return np.linalg.solve(m, rhs)


def tagged_caller(mu: float, theta: float, n: int, ahead: int) -> tuple[np.ndarray, np.ndarray]:
    """Sub-generator of a waiting caller with i others ahead (i = 0..ahead) and answer rates."""
    size = ahead + 1
    t = np.zeros((size, size))
    for i in range(size):
        forward = n * mu + i * theta
        t[i, i] = -(forward + theta)
        if i > 0:
            t[i, i - 1] = forward
    answer = np.zeros(size)
    answer[0] = n * mu
    return t, answer


def erlang_a_by_chain(
    lam: float, aht: float, n: int, patience: float, target: float
) -> dict[str, float]:
    mu, theta = 1.0 / aht, 1.0 / patience
    states = n + 400
    pi = birth_death_chain(lam, mu, theta, n, states)
    queue = np.maximum(np.arange(states) - n, 0)
    p_wait = pi[n:].sum()
    p_abandon = theta * (queue * pi).sum() / lam
    ahead = states - n - 1
    t, answer = tagged_caller(mu, theta, n, ahead)
    t_inv = np.linalg.inv(t)
    answered_by = t_inv @ ((expm(t * target) - np.eye(ahead + 1)) @ answer)
    time_if_answered = t_inv @ (t_inv @ answer)
    waiting = pi[n:][: ahead + 1]
    sl = pi[:n].sum() + (waiting * answered_by).sum()
    asa = (waiting * time_if_answered).sum() / (1.0 - p_abandon)
    return {"p_wait": p_wait, "p_abandon": p_abandon, "sl": sl, "asa": asa}


# ------------------------------------------------------------------------------------------
# Erlang B and C
# ------------------------------------------------------------------------------------------

# The classic textbook case: 10 Erlangs offered (e.g. 100 calls in 30 minutes with a 3-minute
# handling time). P(wait) for 11..15 agents, to 4 decimals; each value is also recomputed
# exactly below, so nothing here is taken on trust.
CLASSIC_P_WAIT = {11: 0.6821, 12: 0.4494, 13: 0.2853, 14: 0.1741, 15: 0.1020}
# Service level within 20 s for the same case (100 calls / 30 min, AHT 180 s).
CLASSIC_SL_20S = {11: 0.3896, 12: 0.6402, 13: 0.7956, 14: 0.8884, 15: 0.9415}


def test_erlang_c_matches_exact_rational_formula_on_the_classic_case() -> None:
    agents = np.array(sorted(CLASSIC_P_WAIT))
    ours = staffing.erlang_c(10.0, agents)
    for n, value in zip(agents, ours, strict=True):
        exact = float(erlang_c_exact(Fraction(10), int(n)))
        assert value == pytest.approx(exact, rel=1e-12)
        assert round(exact, 4) == CLASSIC_P_WAIT[int(n)]


def test_service_level_and_asa_of_the_classic_case() -> None:
    lam = 100 / 1800
    agents = np.array(sorted(CLASSIC_SL_20S))
    sl = staffing.service_level(lam, 180.0, agents, 20.0)
    asa = staffing.average_speed_of_answer(lam, 180.0, agents)
    for n, s, w in zip(agents, sl, asa, strict=True):
        c = float(erlang_c_exact(Fraction(10), int(n)))
        assert s == pytest.approx(1 - c * math.exp(-(n - 10) * 20 / 180), rel=1e-12)
        assert round(s, 4) == CLASSIC_SL_20S[int(n)]
        assert w == pytest.approx(c * 180 / (n - 10), rel=1e-12)
    assert staffing.occupancy(lam, 180.0, 14) == pytest.approx(10 / 14)


def test_classic_case_needs_14_agents_for_80_20() -> None:
    req = staffing.agents_required(
        [100], 1800, 180, service_level=0.8, target_seconds=20, max_occupancy=1.0, shrinkage=0.3
    )
    assert req.agents.tolist() == [14]
    # 14 on the phones with 30 % shrinkage: 14 / 0.7 = 20 exactly, not 21 from rounding noise.
    assert req.scheduled.tolist() == [20]
    assert req.service_level[0] == pytest.approx(CLASSIC_SL_20S[14], abs=5e-5)


@pytest.mark.parametrize(
    ("traffic", "agents"),
    [(Fraction(1, 2), 1), (Fraction(7, 3), 4), (Fraction(45), 50), (Fraction(199, 2), 110)],
)
def test_erlang_b_and_c_exact_for_various_sizes(traffic: Fraction, agents: int) -> None:
    a = float(traffic)
    assert staffing.erlang_b(a, agents) == pytest.approx(float(erlang_b_exact(traffic, agents)))
    assert staffing.erlang_c(a, agents) == pytest.approx(float(erlang_c_exact(traffic, agents)))


def test_erlang_b_gamma_and_recursion_agree_at_scale() -> None:
    # Mean above 300 agents switches to the incomplete-gamma form; check it against the
    # recursion done one step at a time in plain floats (stable: B stays in [0, 1]).
    traffic = np.array([800.0, 1000.0, 2500.0])
    agents = np.array([820, 1040, 2600])
    gamma_form = staffing.erlang_b(traffic, agents)
    for a, n, value in zip(traffic, agents, gamma_form, strict=True):
        b = 1.0
        for k in range(1, int(n) + 1):
            b = a * b / (k + a * b)
        assert value == pytest.approx(b, rel=1e-9)


def test_unstable_queue_and_empty_intervals() -> None:
    assert staffing.erlang_c(5.0, 5).item() == 1.0
    assert staffing.service_level(5 / 180, 180.0, 4, 20.0).item() == 0.0
    assert staffing.average_speed_of_answer(5 / 180, 180.0, 5).item() == math.inf
    assert staffing.erlang_c(0.0, 3).item() == 0.0
    req = staffing.agents_required([0, 0, 10], 900, 300)
    assert req.agents[:2].tolist() == [0, 0]
    assert req.agents[2] > 0


def test_requirement_is_the_smallest_feasible_number_everywhere() -> None:
    rng = np.random.default_rng(4)
    calls = rng.gamma(2.0, 40.0, 2000)
    aht = rng.uniform(120, 420, 2000)
    req = staffing.agents_required(
        calls, 900, aht, service_level=0.8, target_seconds=20, asa_seconds=15, max_occupancy=0.9
    )
    lam = calls / 900
    for n, ok_expected in ((req.agents, True), (req.agents - 1, False)):
        sl = staffing.service_level(lam, aht, n, 20)
        asa = staffing.average_speed_of_answer(lam, aht, n)
        occ = staffing.occupancy(lam, aht, n)
        ok = (sl >= 0.8 - 1e-12) & (asa <= 15 + 1e-12) & (occ <= 0.9 + 1e-12)
        assert bool(np.all(ok)) if ok_expected else not bool(np.any(ok[req.agents > 0]))


def test_a_year_of_quarter_hours_is_one_call() -> None:
    calls = np.tile(np.r_[np.zeros(32), np.full(48, 60.0), np.zeros(16)], 365)
    req = staffing.agents_required(calls, 900, 277)
    assert req.agents.shape == (35_040,)
    # 60 calls per quarter hour at 277 s: 18.5 Erlangs.
    assert set(np.unique(req.agents)) == {0, 23}


# ------------------------------------------------------------------------------------------
# Erlang A
# ------------------------------------------------------------------------------------------

CASES = [
    # calls/s, AHT s, agents, mean patience s, SL target s
    (100 / 1800, 180.0, 11, 120.0, 20.0),
    (100 / 1800, 180.0, 8, 60.0, 20.0),  # understaffed: only abandonment keeps it stable
    (60 / 900, 277.0, 20, 300.0, 20.0),
    (0.5, 240.0, 125, 90.0, 30.0),
    (0.01, 300.0, 2, 600.0, 60.0),
]


@pytest.mark.parametrize(("lam", "aht", "n", "patience", "target"), CASES)
def test_erlang_a_matches_the_birth_death_chain(
    lam: float, aht: float, n: int, patience: float, target: float
) -> None:
    ref = erlang_a_by_chain(lam, aht, n, patience, target)
    assert staffing.erlang_a_wait_probability(lam, aht, n, patience) == pytest.approx(
        ref["p_wait"], rel=1e-8, abs=1e-13
    )
    assert staffing.erlang_a_abandonment(lam, aht, n, patience) == pytest.approx(
        ref["p_abandon"], rel=1e-8, abs=1e-13
    )
    assert staffing.erlang_a_service_level(lam, aht, n, target, patience) == pytest.approx(
        ref["sl"], rel=1e-8
    )
    assert staffing.erlang_a_average_speed_of_answer(lam, aht, n, patience) == pytest.approx(
        ref["asa"], rel=1e-7, abs=1e-10
    )
    assert staffing.erlang_a_average_wait(lam, aht, n, patience) == pytest.approx(
        ref["p_abandon"] * patience, rel=1e-8, abs=1e-10
    )


def test_erlang_a_tends_to_erlang_c_with_infinite_patience() -> None:
    # Callers who wait for days: abandonment vanishes and Erlang A becomes Erlang C (the
    # remaining gap is the O(1/patience) effect of the few who still give up).
    lam, aht, agents, patience = 100 / 1800, 180.0, np.arange(11, 16), 1e6
    assert staffing.erlang_a_wait_probability(lam, aht, agents, patience) == pytest.approx(
        staffing.erlang_c(10.0, agents), rel=1e-3
    )
    assert staffing.erlang_a_service_level(lam, aht, agents, 20.0, patience) == pytest.approx(
        staffing.service_level(lam, aht, agents, 20.0), rel=5e-3
    )
    assert staffing.erlang_a_average_speed_of_answer(lam, aht, agents, patience) == pytest.approx(
        staffing.average_speed_of_answer(lam, aht, agents), abs=1.0
    )
    assert staffing.erlang_a_abandonment(lam, aht, agents, patience) == pytest.approx(0, abs=1e-3)


def test_erlang_a_stays_finite_in_extreme_regimes() -> None:
    # Many agents and very patient callers make the incomplete gammas underflow.
    lam = np.array([2.0, 2.0, 0.001])
    values = [
        staffing.erlang_a_service_level(lam, 300.0, [700, 650, 50], 20.0, 1e5),
        staffing.erlang_a_abandonment(lam, 300.0, [700, 650, 50], 1e5),
        staffing.erlang_a_average_speed_of_answer(lam, 300.0, [700, 650, 50], 1e5),
    ]
    for v in values:
        assert np.all(np.isfinite(v))
    assert values[0][0] == pytest.approx(1.0, abs=1e-6)


def test_erlang_a_requirement_is_minimal_and_below_erlang_c() -> None:
    rng = np.random.default_rng(7)
    calls = rng.uniform(1, 150, 300)
    a_req = staffing.agents_required(calls, 900, 277, patience_seconds=180, asa_seconds=30)
    c_req = staffing.agents_required(calls, 900, 277, asa_seconds=30)
    assert np.all(a_req.agents <= c_req.agents)
    lam = calls / 900

    def ok(n: np.ndarray) -> np.ndarray:
        sl = staffing.erlang_a_service_level(lam, 277, n, 20, 180)
        asa = staffing.erlang_a_average_speed_of_answer(lam, 277, n, 180)
        occ = staffing.erlang_a_occupancy(lam, 277, n, 180)
        return (sl >= 0.8 - 1e-12) & (asa <= 30 + 1e-12) & (occ <= 0.85 + 1e-12)

    assert np.all(ok(a_req.agents))
    assert not np.any(ok(a_req.agents - 1))
    assert np.all(np.isfinite(a_req.abandonment))
    assert np.all(np.isnan(c_req.abandonment))


# ------------------------------------------------------------------------------------------
# Patience
# ------------------------------------------------------------------------------------------


def test_patience_mle_on_a_hand_example() -> None:
    # Two abandonments after 30 s and 50 s; three answered calls waited 10, 20, 90 s.
    assert staffing.estimate_patience([30, 50], [10, 20, 90]) == pytest.approx(100.0)
    assert staffing.estimate_patience([], [10]) == math.inf


def test_patience_mle_recovers_the_truth_from_censored_waits() -> None:
    rng = np.random.default_rng(11)
    patience = rng.exponential(180.0, 200_000)
    offered_wait = rng.exponential(60.0, 200_000)
    abandoned = patience < offered_wait
    estimate = staffing.estimate_patience(patience[abandoned], offered_wait[~abandoned])
    assert estimate == pytest.approx(180.0, rel=0.02)


def test_the_published_erlang_c_worked_example() -> None:
    """Call Centre Helper's "Erlang C formula made simple" example: 100 calls in 30 minutes,
    3-minute handling time (10 Erlangs), 80 % within 20 s → 14 agents (probability of waiting
    17.4 %, service level 88.8 %), 20 rostered with 30 % shrinkage; with 11–13 agents the
    probability of waiting is 68.2 %, 44.9 % and 28.5 %."""
    from ascolto.contactcenter.numerics import staffing

    waits = [float(staffing.erlang_c(10.0, n)) for n in (11, 12, 13, 14)]
    assert [round(w, 3) for w in waits] == [0.682, 0.449, 0.285, 0.174]

    need = staffing.agents_required(
        np.array([100.0]),
        1800,
        180,
        service_level=0.8,
        target_seconds=20,
        max_occupancy=1.0,
        shrinkage=0.3,
    )
    assert (int(need.agents[0]), int(need.scheduled[0])) == (14, 20)
    assert round(float(need.service_level[0]), 3) == 0.888
