"""Raking (iterative proportional fitting of unit weights) of a questionnaire's sample to the
city's population margins, and the design effect of the weights. No Django import.

Written here in numpy rather than taken from a library (decision 0023): `ipfn` fits a
contingency table, not one weight per respondent, and is unmaintained since 2021; `samplics`
and `weightipy` would each bring a data-frame stack and their own conventions for a loop of
thirty lines whose every step the tests check by hand (tests/surveys/test_raking.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

CAP = 5.0  # no weight above 5× or below 1/5 of the mean weight (trimmed at every round)
TOLERANCE = 1e-6  # largest gap between a weighted margin and its target, as a share
MAX_ROUNDS = 100


@dataclass
class Raking:
    """The weights (mean 1 over the sample), the rounds it took and whether every weighted
    margin came within `TOLERANCE` of its target."""

    weights: np.ndarray
    rounds: int
    converged: bool
    gap: float


def rake(
    codes: Sequence[np.ndarray],
    targets: Sequence[np.ndarray],
    *,
    cap: float | None = CAP,
    tolerance: float = TOLERANCE,
    max_rounds: int = MAX_ROUNDS,
) -> Raking:
    """Weights for the respondents such that, for each dimension, the weighted shares of its
    categories equal `targets` (raking ratio estimation, Deming–Stephan).

    `codes[d]` gives each respondent's category index in dimension d (-1: not answered);
    `targets[d][c]` is the population share of category c. A respondent who did not answer a
    dimension keeps their weight on it: the answered ones are fitted to the targets within the
    weight they hold together. Categories that no respondent has are dropped and the other
    targets renormalised. Each round fits every dimension in turn, then trims the weights to
    [mean/cap, mean×cap] when `cap` is set.
    """
    n = len(codes[0]) if codes else 0
    weights = np.ones(n, dtype=float)
    if n == 0:
        return Raking(weights, 0, True, 0.0)
    fitted: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for code, target in zip(codes, targets, strict=True):
        code = np.asarray(code, dtype=np.int64)
        target = np.asarray(target, dtype=float)
        # A category the margins do not give ("prefer not to say") cannot be fitted: its
        # respondents are left out of this dimension, as if they had not answered it.
        outside = (code >= len(target)) | ((code >= 0) & (target[np.clip(code, 0, None)] <= 0))
        code = np.where(outside, -1, code)
        present = np.bincount(code[code >= 0], minlength=len(target))[: len(target)] > 0
        share = np.where(present, target, 0.0)
        if share.sum() <= 0:
            continue
        # The respondents who answered, as indexes, and their categories: taken once, not at
        # each of up to a hundred rounds.
        known = np.flatnonzero(code >= 0)
        fitted.append((code[known], share / share.sum(), known))
    gap = 0.0
    for round_ in range(1, max_rounds + 1):
        for code, share, known in fitted:
            held = weights[known]
            now = np.bincount(code, weights=held, minlength=len(share))
            factor = np.divide(share * held.sum(), now, out=np.ones_like(share), where=now > 0)
            weights[known] = held * factor[code]
        if cap:
            weights = _trim(weights, cap)
        gap = _gap(weights, fitted)
        if gap < tolerance:
            return Raking(weights / weights.mean(), round_, True, gap)
    return Raking(weights / weights.mean(), max_rounds, False, gap)


def _trim(weights: np.ndarray, cap: float) -> np.ndarray:
    """The weights clipped to [mean/cap, mean×cap], again until the mean the clip moves stops
    moving (a few passes), so the cap holds for the weights returned."""
    for _pass in range(50):
        mean = weights.mean()
        clipped = np.clip(weights, mean / cap, mean * cap)
        # np.allclose(clipped, weights, rtol=1e-12, atol=0) for finite weights, without its
        # checks of its arguments: most of the time of a hundred rounds of raking.
        if (np.abs(clipped - weights) <= 1e-12 * np.abs(weights)).all():
            break
        weights = clipped
    return weights


def _gap(weights: np.ndarray, fitted: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> float:
    worst = 0.0
    for code, share, known in fitted:
        now = np.bincount(code, weights=weights[known], minlength=len(share))
        worst = max(worst, float(np.abs(now / now.sum() - share).max()))
    return worst


def design_effect(weights: np.ndarray) -> float:
    """Kish's design effect of the weights: n·Σw² / (Σw)² (1 when every weight is equal)."""
    if len(weights) == 0 or weights.sum() == 0:
        return 1.0
    return float(len(weights) * np.square(weights).sum() / np.square(weights.sum()))


def effective_n(weights: np.ndarray) -> float:
    """Kish's effective sample size: (Σw)² / Σw²."""
    total = float(np.square(weights).sum())
    return float(np.square(weights.sum()) / total) if total else 0.0
