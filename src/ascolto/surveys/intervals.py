"""The 95 % intervals of the survey results (no Django: numbers in, numbers out).

- a share (the response rate, the CSAT as the share of 4–5 stars) has Wilson's score interval,
  right near 0 % and 100 % and with few answers, where the normal approximation is not;
- a mean (the CSAT as the mean of the stars) has the normal interval mean ± 1.96 · s / √n, with
  s the sample standard deviation;
- the NPS (promoters 9–10 minus detractors 0–6, ×100) is the mean of a score worth +1, 0 or −1
  per respondent; its variance is p + d − (p − d)² over n (p, d: the shares of promoters and
  detractors), and its interval NPS ± 1.96 · 100 · √variance, clipped to −100…100.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z = 1.96  # 95 % two-sided


@dataclass(frozen=True)
class Estimate:
    """A figure with its 95 % interval and the number of answers it rests on."""

    value: float | None
    low: float | None
    high: float | None
    n: int

    def rounded(self, digits: int = 1) -> Estimate:
        def r(x: float | None) -> float | None:
            return None if x is None else round(x, digits) + 0.0  # no "-0.0"

        return Estimate(r(self.value), r(self.low), r(self.high), self.n)


NONE = Estimate(None, None, None, 0)


def wilson(k: int, n: int, z: float = Z) -> Estimate:
    """The share k/n in percent with Wilson's score interval."""
    if n <= 0:
        return Estimate(None, None, None, n)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return Estimate(100 * p, 100 * max(0.0, centre - half), 100 * min(1.0, centre + half), n)


def mean_interval(total: float, squares: float, n: int, z: float = Z) -> Estimate:
    """The mean of n values from their sum and sum of squares, ± z standard errors (sample
    standard deviation; no interval for a single value)."""
    if n <= 0:
        return Estimate(None, None, None, n)
    mean = total / n
    if n == 1:
        return Estimate(mean, None, None, n)
    variance = max(0.0, (squares - n * mean * mean) / (n - 1))
    half = z * math.sqrt(variance / n)
    return Estimate(mean, mean - half, mean + half, n)


def nps_interval(promoters: int, detractors: int, n: int, z: float = Z) -> Estimate:
    """The NPS (−100…100) with the interval of a difference of two shares of one sample."""
    if n <= 0:
        return Estimate(None, None, None, n)
    p, d = promoters / n, detractors / n
    variance = max(0.0, p + d - (p - d) ** 2) / n
    half = 100 * z * math.sqrt(variance)
    nps = 100 * (p - d)
    return Estimate(nps, max(-100.0, nps - half), min(100.0, nps + half), n)
