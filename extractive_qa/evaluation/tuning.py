"""
No-answer threshold tuning: the threshold (and, for the `calibrated` signal, the answerability model) that
maximizes SQuAD F1 on labelled data, scored exactly as `NoAnswerThreshold` decides in the pipeline.

The search works on the reader outputs stored by an evaluation (`records.jsonl`): the exact sweep (`sweep`) over
the candidates of each question as the decision considers them (`decisions`), after fitting the answerability model
for the `calibrated` signal (`calibration`). The decision's check of the question's terms (`min_term_coverage`) is
kept as the pipeline has it. Writing the tuned rule into a pipeline YAML is `tuned_yaml`'s; scoring it on the other
half of the articles is `splits`'.

Usage example:
```python
from extractive_qa.evaluation.tuning import tune
from extractive_qa.evaluation.squad_metric import load_squad
from extractive_qa.evaluation.records import load_records

dataset = load_squad("dev-v2.0-heldout.json")
records = {r["id"]: r for r in load_records("eval-results/heldout-reader/records.jsonl")}
result = tune(dataset, records, signal="calibrated")
print(result.threshold, result.f1, result.calibration)
```
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from extractive_qa.answers import rule_text
from extractive_qa.components.no_answer_decision import threshold_for_confidence, threshold_of_key
from extractive_qa.components.no_answer_threshold import SIGNALS, NoAnswerThreshold
from extractive_qa.errors import TuningError
from extractive_qa.evaluation.calibration import DEFAULT_FEATURES, fit_calibration
from extractive_qa.evaluation.decisions import score_decision
from extractive_qa.evaluation.squad_metric import SquadDataset
from extractive_qa.evaluation.sweep import SweepResult, outcomes, sweep


@dataclass
class TuningResult:
    """A tuned decision rule with its F1 and exact match (percent) on the questions it was tuned on."""

    signal: str
    threshold: float
    f1: float
    exact: float
    questions: int
    calibration: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    base: NoAnswerThreshold | None = None
    """The decision tuned (its check of the question's terms is kept)."""

    def decision(self) -> NoAnswerThreshold:
        """The `NoAnswerThreshold` this result describes."""
        return (self.base or NoAnswerThreshold()).with_rule(self.threshold, self.signal, self.calibration)

    def to_dict(self) -> dict[str, Any]:
        data = {
            "signal": self.signal,
            "threshold": self.threshold,
            "f1": round(self.f1, 4),
            "exact": round(self.exact, 4),
            "questions": self.questions,
        }
        if self.calibration is not None:
            data["calibration"] = self.calibration
        data.update(self.extra)
        return data


def tune(
    dataset: SquadDataset,
    records: dict[str, dict[str, Any]],
    signal: str = "null_score_diff",
    features: tuple[str, ...] | list[str] = DEFAULT_FEATURES,
    l2: float = 1.0,
    base: NoAnswerThreshold | None = None,
) -> TuningResult:
    """
    Finds the decision rule for `signal` that maximizes F1 on the labelled questions of `dataset`.

    :param dataset: The labelled questions (only those with a record are used).
    :param records: Question id -> stored reader output (`records.jsonl` of an evaluation).
    :param signal: `"null_score_diff"`, `"score"` or `"calibrated"` (fits the answerability model first).
    :param features: The calibrated model's features.
    :param l2: The calibrated model's L2 penalty (on standardized features).
    :param base: The pipeline's current decision: its check of the question's terms is kept (default: none).
    """
    if signal not in SIGNALS:
        raise TuningError(f"signal must be one of {', '.join(SIGNALS)}, got {signal!r}")
    base = base or NoAnswerThreshold()
    calibration = fit_calibration(dataset, records, features, l2=l2, base=base) if signal == "calibrated" else None
    decision = base.with_rule(threshold_for_confidence(signal, 0.5), signal, calibration)  # 50%: 0 or 0.5
    threshold, best = best_threshold(dataset, records, decision)
    return TuningResult(signal, threshold, best.f1, best.exact, best.total, calibration, base=base)


def best_threshold(
    dataset: SquadDataset, records: dict[str, dict[str, Any]], decision: NoAnswerThreshold
) -> tuple[float, SweepResult]:
    """
    The threshold of `decision`'s signal (and calibration, kept) that maximizes F1 on the stored questions, and the
    scores it gives: what `tune-threshold` writes and `eval` reports as the best threshold.
    """
    best = sweep(outcomes(dataset, records, decision))
    threshold = round(threshold_of_key(decision.signal, best.key), 6)
    # rounding must not move the threshold across a step: check it reproduces the figure
    rounded = score_decision(dataset, records, decision.with_rule(threshold))
    if rounded["f1"] + 1e-6 < best.f1:
        threshold = threshold_of_key(decision.signal, best.key)
    return threshold, best


def describe(result: TuningResult) -> str:
    """One line for people."""
    rule = f"answer when the {rule_text(result.signal, result.threshold)}"
    coverage = result.decision().min_term_coverage
    if coverage:
        rule += f", and the passage mentions >= {coverage:g} of the question's terms (kept)"
    return f"{rule}: F1 {result.f1:.2f}, EM {result.exact:.2f} on {result.questions} questions"
