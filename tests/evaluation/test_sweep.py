"""The exact threshold sweep: it finds the best threshold of the rule "the first passing answer, else no answer"."""

from __future__ import annotations

import random

import pytest

from extractive_qa.errors import TuningError
from extractive_qa.evaluation.sweep import Outcome, sweep


def _total_at(found: list[Outcome], key: float) -> float:
    total = 0.0
    for outcome in found:
        pick = next((i for i, k in enumerate(outcome.keys) if k <= key), None)
        total += outcome.empty_f1 if pick is None else outcome.f1[pick]
    return 100.0 * total / len(found)


def test_sweep_finds_the_best_threshold_of_the_first_passing_rule() -> None:
    rng = random.Random(11)
    for _ in range(40):
        found = []
        for _ in range(rng.randint(1, 30)):
            n = rng.randint(0, 4)
            answerable = rng.random() < 0.5
            found.append(
                Outcome(
                    keys=[round(rng.uniform(-5, 5), 1) for _ in range(n)],  # rounded: ties happen
                    f1=[rng.choice([0.0, 0.5, 1.0]) if answerable else 0.0 for _ in range(n)],
                    exact=[0.0] * n,
                    empty_f1=float(not answerable),
                    empty_exact=float(not answerable),
                )
            )
        result = sweep(found)
        candidates = sorted({k for o in found for k in o.keys} | {-99.0})
        brute = max(_total_at(found, k) for k in candidates)
        assert result.f1 == pytest.approx(brute)
        # the chosen threshold reproduces the figure (it lies strictly inside a step)
        assert _total_at(found, result.key) == pytest.approx(result.f1)


def test_sweep_needs_questions() -> None:
    with pytest.raises(TuningError, match="no labelled questions"):
        sweep([])
