"""
Weighted, L2-regularized logistic regression by Newton's method: the fit behind the `calibrated` signal's
answerability model (`calibration`).

Usage example:
```python
import numpy as np
from extractive_qa.evaluation.logistic import fit_logistic

x = np.array([[0.0], [1.0], [2.0], [3.0]])
intercept, coefficients = fit_logistic(x, np.array([0.0, 0.0, 1.0, 1.0]), np.ones(4))
```
"""

from __future__ import annotations

import numpy as np


def fit_logistic(
    x: np.ndarray, y: np.ndarray, weights: np.ndarray, l2: float = 1.0, iterations: int = 50
) -> tuple[float, np.ndarray]:
    """
    Weighted, L2-regularized logistic regression by Newton's method, on standardized features.

    :returns: `(intercept, coefficients)` for the raw (unstandardized) features.
    """
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    z = np.hstack([np.ones((x.shape[0], 1)), (x - mean) / scale])
    beta = np.zeros(z.shape[1])
    penalty = np.full(z.shape[1], l2)
    penalty[0] = 0.0  # the intercept is not shrunk
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ beta, -35, 35)))
        gradient = z.T @ (weights * (p - y)) + penalty * beta
        hessian = (z * (weights * p * (1 - p))[:, None]).T @ z + np.diag(penalty) + 1e-9 * np.eye(z.shape[1])
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    coefficients = beta[1:] / scale
    intercept = float(beta[0] - np.sum(beta[1:] * mean / scale))
    return intercept, coefficients
