"""
The exact threshold sweep: the threshold of a decision's signal that maximizes SQuAD F1 on stored questions.

At a threshold the pipeline predicts the first answer that passes, or "no answer"; F1 as a function of the threshold
is a step function, and the sweep evaluates every step, so the threshold found reproduces its F1 when written into
the YAML. The candidates are those `decisions.stored_questions` gives: answers whose passage fails the decision's
check of the question's terms never pass, whatever the threshold.

Usage example:
```python
from extractive_qa.components.no_answer_threshold import NoAnswerThreshold
from extractive_qa.evaluation.sweep import outcomes, sweep

best = sweep(outcomes(dataset, records, NoAnswerThreshold()))
print(best.key, best.f1, best.exact)
```
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from extractive_qa.components.no_answer_threshold import NoAnswerThreshold
from extractive_qa.errors import TuningError
from extractive_qa.evaluation.decisions import decision_key, stored_questions
from extractive_qa.evaluation.squad_metric import SquadDataset, exact_match, f1


@dataclass
class Outcome:
    """One question under one signal: its candidates' keys and scores, and the score of answering nothing."""

    keys: list[float]
    f1: list[float]
    exact: list[float]
    empty_f1: float
    empty_exact: float


def outcomes(dataset: SquadDataset, records: dict[str, dict[str, Any]], decision: NoAnswerThreshold) -> list[Outcome]:
    """The per-question outcomes the sweep needs, for the questions of `dataset` found in `records`."""
    found = []
    for stored in stored_questions(dataset, records, decision):
        gold, ordered = stored.question.gold, stored.ordered
        found.append(
            Outcome(
                keys=[decision_key(decision, a, stored.answers, stored.documents) for a in ordered],
                f1=[max(f1(g, a.data or "") for g in gold) for a in ordered],
                exact=[float(max(exact_match(g, a.data or "") for g in gold)) for a in ordered],
                empty_f1=float(not stored.question.has_answer),
                empty_exact=float(not stored.question.has_answer),
            )
        )
    return found


@dataclass
class SweepResult:
    """The best threshold (in key units) and the scores it gives, in percent."""

    key: float
    f1: float
    exact: float
    total: int


def sweep(found: list[Outcome]) -> SweepResult:
    """
    Finds the threshold that maximizes total F1 (ties: higher exact match, then the lower threshold).

    Exact for the pipeline's rule "the first passing answer, else no answer": each question's prediction changes
    only where the threshold crosses one of its candidates' keys.
    """
    if not found:
        raise TuningError("no labelled questions to tune on")
    events: list[tuple[float, float, float]] = []
    base_f1 = base_exact = 0.0
    for outcome in found:
        base_f1 += outcome.empty_f1
        base_exact += outcome.empty_exact
        current = -1  # index of the candidate predicted; -1 is "no answer"
        for index in sorted(range(len(outcome.keys)), key=lambda i: (outcome.keys[i], i)):
            if current == -1 or index < current:
                old_f1 = outcome.empty_f1 if current == -1 else outcome.f1[current]
                old_exact = outcome.empty_exact if current == -1 else outcome.exact[current]
                events.append((outcome.keys[index], outcome.f1[index] - old_f1, outcome.exact[index] - old_exact))
                current = index
    events.sort(key=lambda e: e[0])
    best_total, best_exact = base_f1, base_exact
    best_key = events[0][0] - 1.0 if events else 0.0
    total_f1, total_exact = base_f1, base_exact
    position = 0
    while position < len(events):
        key = events[position][0]
        while position < len(events) and events[position][0] == key:
            total_f1 += events[position][1]
            total_exact += events[position][2]
            position += 1
        better = total_f1 > best_total + 1e-9
        if better or (abs(total_f1 - best_total) <= 1e-9 and total_exact > best_exact):
            following = events[position][0] if position < len(events) else key + 2.0
            best_total, best_exact, best_key = total_f1, total_exact, (key + following) / 2.0
    count = len(found)
    return SweepResult(key=best_key, f1=100.0 * best_total / count, exact=100.0 * best_exact / count, total=count)
