"""
Cross-split scoring of a tuned no-answer rule: tuned on the articles at even title positions and scored on the odd
ones, and the other way round, so the figure is never one of the questions the rule was tuned on.

Usage example:
```python
from extractive_qa.evaluation.splits import cross_split

crossed = cross_split(dataset, records, "calibrated")
print(crossed["pooled"]["f1"], [run["direction"] for run in crossed["runs"]])
```
"""

from __future__ import annotations

from typing import Any

from extractive_qa.components.no_answer_threshold import NoAnswerThreshold
from extractive_qa.evaluation.calibration import DEFAULT_FEATURES
from extractive_qa.evaluation.decisions import pipeline_predictions
from extractive_qa.evaluation.squad_metric import SquadDataset, evaluate
from extractive_qa.evaluation.tuning import tune


def halves(dataset: SquadDataset) -> tuple[SquadDataset, SquadDataset]:
    """The articles at even / odd positions of the sorted titles (the SCORES.md split)."""
    return dataset.half("even"), dataset.half("odd")


def cross_split(
    dataset: SquadDataset,
    records: dict[str, dict[str, Any]],
    signal: str,
    features: tuple[str, ...] | list[str] = DEFAULT_FEATURES,
    l2: float = 1.0,
    base: NoAnswerThreshold | None = None,
) -> dict[str, Any]:
    """
    Tunes on one half of the articles and scores on the other, both ways round (`base`: see `tuning.tune`).

    :returns: Per direction the tuned rule and its scores on the other half, their average F1 / EM, and the
        pooled scores (every question scored by the rule tuned on the half it is not in).
    """
    half_a, half_b = halves(dataset)
    runs = []
    pooled: dict[str, str] = {}
    for name, train, test in (("A->B", half_a, half_b), ("B->A", half_b, half_a)):
        tuned = tune(train, records, signal, features, l2, base=base)
        test = test.subset([q.id for q in test.questions if q.id in records])
        decision = tuned.decision()
        predictions, _, _ = pipeline_predictions(test, records, decision, decision.threshold)
        answers = {q.id: p for q, p in zip(test.questions, predictions, strict=True)}
        pooled.update(answers)
        runs.append({"direction": name, "tuned": tuned.to_dict(), "scored": evaluate(test, answers)})
    return {
        "signal": signal,
        "runs": runs,
        "average_f1": sum(r["scored"]["f1"] for r in runs) / len(runs),
        "average_exact": sum(r["scored"]["exact"] for r in runs) / len(runs),
        "pooled": evaluate(dataset.subset(list(pooled)), pooled),
    }
