"""Raking of a sample to population margins, checked against a table raked by hand, and the
design effect of the weights (no database)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ascolto.surveys.weighting import design_effect, effective_n, rake


def units(cells: dict[tuple[int, int], int]) -> tuple[np.ndarray, np.ndarray]:
    gender = np.concatenate([np.full(n, g) for (g, _a), n in cells.items()])
    age = np.concatenate([np.full(n, a) for (_g, a), n in cells.items()])
    return gender, age


def test_a_two_by_two_sample_raked_to_half_and_half_matches_the_hand_computation() -> None:
    # 100 respondents: men young 40, men old 20, women young 10, women old 30; the city is half
    # men and half young. Raking keeps the sample's odds ratio (40·30)/(20·10) = 6, so the
    # raked table is [[a, 50-a], [50-a, a]] with a/(50-a) = √6: a = 50·√6/(1+√6) = 35.505.
    gender, age = units({(0, 0): 40, (0, 1): 20, (1, 0): 10, (1, 1): 30})
    result = rake([gender, age], [np.array([0.5, 0.5]), np.array([0.5, 0.5])])

    a = 50 * math.sqrt(6) / (1 + math.sqrt(6))
    expected = {(0, 0): a / 40, (0, 1): (50 - a) / 20, (1, 0): (50 - a) / 10, (1, 1): a / 30}
    assert result.converged
    for (g, y), weight in expected.items():
        chosen = result.weights[(gender == g) & (age == y)]
        assert chosen == pytest.approx(weight, abs=1e-5)
    assert result.weights.mean() == pytest.approx(1.0)
    assert np.bincount(gender, weights=result.weights) == pytest.approx([50, 50], abs=1e-4)
    assert np.bincount(age, weights=result.weights) == pytest.approx([50, 50], abs=1e-4)
    # by hand: 0.8876, 0.7247, 1.4495, 1.1835
    assert [round(w, 4) for w in expected.values()] == [0.8876, 0.7247, 1.4495, 1.1835]


def test_first_round_by_hand() -> None:
    # One round only: gender 60/40 → 50/50 (× 5/6, × 5/4), then age 45.83/54.17 → 50/50.
    gender, age = units({(0, 0): 40, (0, 1): 20, (1, 0): 10, (1, 1): 30})
    result = rake([gender, age], [np.array([0.5, 0.5])] * 2, max_rounds=1, cap=None)
    young, old = 50 / (40 * 5 / 6 + 10 * 5 / 4), 50 / (20 * 5 / 6 + 30 * 5 / 4)
    assert not result.converged and result.rounds == 1
    assert result.weights[(gender == 0) & (age == 0)][0] == pytest.approx(5 / 6 * young)
    assert result.weights[(gender == 1) & (age == 1)][0] == pytest.approx(5 / 4 * old)


def test_missing_answers_keep_their_weight_and_empty_categories_are_dropped() -> None:
    gender = np.array([0, 0, 0, 1, -1])
    # target for a third category nobody is in: dropped, the others renormalised to 0.5/0.5
    result = rake([gender], [np.array([0.4, 0.4, 0.2])])
    w = result.weights / result.weights[4]
    assert w[:3] == pytest.approx([4 / 6] * 3)
    assert w[3] == pytest.approx(2.0)


def test_weights_are_capped() -> None:
    gender = np.array([0] * 99 + [1])
    result = rake([gender], [np.array([0.5, 0.5])], cap=5.0)
    assert result.weights.max() / result.weights.mean() <= 5.0 + 1e-9
    assert not result.converged  # the cap keeps the one woman from standing for half the city


def test_design_effect_and_effective_n() -> None:
    weights = np.array([0.5] * 4 + [1.5] * 4)
    assert design_effect(weights) == pytest.approx(1.25)  # 8 · 10 / 64
    assert effective_n(weights) == pytest.approx(6.4)
    assert design_effect(np.ones(10)) == pytest.approx(1.0)
