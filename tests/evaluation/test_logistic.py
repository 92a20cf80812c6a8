"""The weighted, L2-regularized logistic fit behind the calibrated signal."""

from __future__ import annotations

import numpy as np
import pytest

from extractive_qa.evaluation.logistic import fit_logistic


def test_fit_logistic_recovers_known_coefficients() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20000, 2)) * [1.0, 0.5] + [1.0, -3.0]
    z = 0.5 + 1.0 * x[:, 0] - 1.0 * x[:, 1]
    y = (rng.random(20000) < 1 / (1 + np.exp(-z))).astype(float)
    intercept, coefficients = fit_logistic(x, y, np.ones(len(y)), l2=0.0)
    # the maximum-likelihood solution: the gradient of the log loss vanishes
    p = 1 / (1 + np.exp(-(intercept + x @ coefficients)))
    assert np.abs(x.T @ (p - y)).max() < 1e-6 and abs(np.sum(p - y)) < 1e-6
    assert intercept == pytest.approx(0.5, abs=0.3)
    assert coefficients == pytest.approx([1.0, -1.0], abs=0.1)


def test_fit_logistic_weights_count_like_repetitions() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 1))
    y = (x[:, 0] + rng.normal(size=300) > 0).astype(float)
    weights = rng.integers(1, 4, size=300).astype(float)
    weighted = fit_logistic(x, y, weights, l2=0.0)
    repeated = fit_logistic(
        np.repeat(x, weights.astype(int), axis=0),
        np.repeat(y, weights.astype(int)),
        None or np.ones(int(weights.sum())),
        l2=0.0,
    )
    assert weighted[0] == pytest.approx(repeated[0], abs=1e-6)
    assert weighted[1] == pytest.approx(repeated[1], abs=1e-6)
