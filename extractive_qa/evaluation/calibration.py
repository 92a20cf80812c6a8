"""
The `calibrated` signal's answerability model, fitted on labelled questions: which reader features it uses by default,
and the fit (a weighted logistic regression, `logistic.fit_logistic`).

Usage example:
```python
from extractive_qa.evaluation.calibration import DEFAULT_FEATURES, fit_calibration

calibration = fit_calibration(dataset, records, DEFAULT_FEATURES)
print(calibration["intercept"], calibration["weights"])
```
"""

from __future__ import annotations

from typing import Any

import numpy as np

from extractive_qa.components.no_answer_threshold import ANSWERABILITY_FEATURES, NoAnswerThreshold
from extractive_qa.errors import TuningError
from extractive_qa.evaluation.decisions import stored_questions
from extractive_qa.evaluation.logistic import fit_logistic
from extractive_qa.evaluation.squad_metric import SquadDataset, f1

# The features of the passages read (term coverage, retrieval rank and score, agreement): available to
# `--features`, but not fitted by default. With the decision's term check in place they lowered the cross-split
# open-mode F1 on the held-out sample (51.6 against 55.0 without them; docs/evaluation.md): the check already
# uses that evidence, and the extra weights overfit half of the articles.
RETRIEVAL_FEATURES: tuple[str, ...] = (
    "term_coverage",
    "missing_terms",
    "unmentioned_terms",
    "unmentioned_names",
    "retrieval_rank",
    "retrieval_score_ratio",
    "answer_support",
)
# The features the calibrated signal is fitted on by default.
DEFAULT_FEATURES: tuple[str, ...] = tuple(f for f in ANSWERABILITY_FEATURES if f not in RETRIEVAL_FEATURES)


def fit_calibration(
    dataset: SquadDataset,
    records: dict[str, dict[str, Any]],
    features: tuple[str, ...] | list[str] = DEFAULT_FEATURES,
    l2: float = 1.0,
    base: NoAnswerThreshold | None = None,
) -> dict[str, Any]:
    """
    Fits the `calibrated` signal's answerability model on labelled questions (the top candidate of each that
    `base`'s check of the question's terms lets through).

    Each question contributes its top answer: the target is whether giving it beats answering "no answer", weighted
    by how much (its F1 for an answerable question; 1 for an unanswerable one), so the model learns the F1 gain
    of answering.

    :returns: The `calibration` init parameter of `NoAnswerThreshold`.
    """
    unknown = [f for f in features if f not in ANSWERABILITY_FEATURES]
    if unknown:
        raise TuningError(f"unknown feature(s) {', '.join(unknown)}; known: {', '.join(ANSWERABILITY_FEATURES)}")
    probe = (base or NoAnswerThreshold()).with_rule(
        0.5, "calibrated", {"intercept": 0.0, "weights": dict.fromkeys(features, 0.0)}
    )
    rows_x: list[list[float]] = []
    targets: list[float] = []
    weights: list[float] = []
    for stored in stored_questions(dataset, records, probe):
        question = stored.question
        if not stored.ordered:
            continue
        top = stored.ordered[0]
        gain = max(f1(g, top.data or "") for g in question.gold) - float(not question.has_answer)
        if gain == 0:
            continue
        values = probe.features(top, stored.answers, stored.documents)
        rows_x.append([values[name] for name in features])
        targets.append(1.0 if gain > 0 else 0.0)
        weights.append(abs(gain))
    if len(set(targets)) < 2:
        raise TuningError("fitting the calibrated signal needs both answerable and unanswerable questions")
    intercept, coefficients = fit_logistic(np.array(rows_x), np.array(targets), np.array(weights), l2=l2)
    return {
        "intercept": round(intercept, 6),
        "weights": {name: round(float(c), 6) for name, c in zip(features, coefficients, strict=True)},
    }
