"""The chi-square test of a cross-tabulation (`surveys.summary._test`): a table computed by
hand, the empty rows and columns left out, Cochran's warning, and the same figures as scipy's
`chi2_contingency` without continuity correction, which it stands in for (no database)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import chi2_contingency

from ascolto.surveys.summary import _test


def test_a_two_by_three_table_by_hand() -> None:
    # Rows 60 and 60, columns 30, 40 and 50 of 120: expected 15, 20, 25 in each row.
    # X² = 2·(5²/15 + 0 + 5²/25) = 16/3; two degrees of freedom, so p = exp(-X²/2).
    statistic, p, sparse = _test(np.array([[10.0, 20.0, 30.0], [20.0, 20.0, 20.0]]))
    assert statistic == pytest.approx(16 / 3)
    assert p == pytest.approx(math.exp(-8 / 3))  # 0.0695: not significant at 5 %
    assert sparse is False


def test_empty_rows_and_columns_are_left_out() -> None:
    table = np.array([[10.0, 0.0, 20.0, 30.0], [0.0, 0.0, 0.0, 0.0], [20.0, 0.0, 20.0, 20.0]])
    assert _test(table) == _test(np.array([[10.0, 20.0, 30.0], [20.0, 20.0, 20.0]]))
    assert _test(np.array([[3.0, 4.0], [0.0, 0.0]])) == (None, None, False)  # one row left


def test_small_expected_counts_are_flagged() -> None:
    # women 3 yes 1 no, men 0 yes 4 no: every expected count (1.5, 2.5) is below 5.
    statistic, p, sparse = _test(np.array([[3.0, 1.0], [0.0, 4.0]]))
    assert statistic == pytest.approx(4.8)
    assert p == pytest.approx(0.02846, abs=1e-5)
    assert sparse is True


@pytest.mark.parametrize("weighted", [False, True])
def test_same_figures_as_scipy(weighted: bool) -> None:
    rng = np.random.default_rng(23)
    for _ in range(200):
        rows, columns = rng.integers(2, 10), rng.integers(2, 11)
        table = rng.poisson(rng.uniform(0.5, 60), size=(rows, columns)).astype(float)
        if weighted:  # a raked table scaled to Kish's effective n
            table *= rng.uniform(0.2, 5.0, size=table.shape) * 0.83
        statistic, p, sparse = _test(table)
        kept = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
        if min(kept.shape) < 2:
            assert (statistic, p) == (None, None)
            continue
        expected_statistic, expected_p, _dof, expected = chi2_contingency(kept, correction=False)
        assert statistic == pytest.approx(expected_statistic, rel=1e-12)
        assert p == pytest.approx(expected_p, rel=1e-9, abs=1e-300)
        assert sparse == bool((expected < 5).mean() > 0.2)
