"""The no-answer decision's arithmetic (`extractive_qa.components.no_answer_decision`): one rule, every direction."""

from __future__ import annotations

import math

import pytest

from extractive_qa.components.no_answer_decision import (
    SIGNALS,
    clears,
    confidence,
    min_confidence,
    no_answer_probability,
    no_answer_probability_without_answer,
    ranking_key,
    threshold_for_confidence,
    threshold_of_key,
    threshold_of_no_answer_probability,
)
from extractive_qa.components.no_answer_threshold import NoAnswerThreshold

VALUES = {"null_score_diff": [-6.0, -0.5, 0.0, 0.5, 6.0], "score": [0.0, 0.2, 0.5, 0.8, 1.0]}
VALUES["calibrated"] = VALUES["score"]


def test_which_way_a_value_passes() -> None:
    assert clears("null_score_diff", -1.0, 0.0) and not clears("null_score_diff", 1.0, 0.0)
    assert clears("score", 0.6, 0.5) and not clears("score", 0.4, 0.5)
    assert clears("calibrated", 0.5, 0.5) and not clears("calibrated", 0.49, 0.5)


@pytest.mark.parametrize("signal", SIGNALS)
def test_the_component_decides_by_the_same_rule(signal: str) -> None:
    calibration = {"intercept": 0.0, "weights": {}} if signal == "calibrated" else None
    decision = NoAnswerThreshold(threshold=0.5, signal=signal, calibration=calibration)  # type: ignore[arg-type]
    for value in VALUES[signal]:
        for threshold in VALUES[signal]:
            assert decision.clears(value, threshold) == clears(signal, value, threshold)


@pytest.mark.parametrize("signal", SIGNALS)
def test_keys_probabilities_and_confidences_order_values_as_the_rule_does(signal: str) -> None:
    for value in VALUES[signal]:
        for threshold in VALUES[signal]:
            passes = clears(signal, value, threshold)
            assert passes == (ranking_key(signal, value) <= ranking_key(signal, threshold))
            assert passes == (no_answer_probability(signal, value) <= no_answer_probability(signal, threshold))
            assert passes == (confidence(signal, value) >= min_confidence(signal, threshold))
        assert ranking_key(signal, ranking_key(signal, value)) == value
        assert threshold_of_key(signal, ranking_key(signal, value)) == value
        assert threshold_of_no_answer_probability(signal, no_answer_probability(signal, value)) == pytest.approx(value)
        assert no_answer_probability_without_answer(signal) >= no_answer_probability(signal, value)


@pytest.mark.parametrize("signal", SIGNALS)
@pytest.mark.parametrize("wanted", [0.01, 0.25, 0.5, 0.9, 0.99])
def test_threshold_and_confidence_convert_both_ways(signal: str, wanted: float) -> None:
    assert min_confidence(signal, threshold_for_confidence(signal, wanted)) == pytest.approx(wanted)


def test_the_units() -> None:
    assert min_confidence("null_score_diff", 0.0) == 0.5
    assert min_confidence("null_score_diff", -2.0) == pytest.approx(1 / (1 + math.exp(-2.0)))
    assert min_confidence("score", 0.3) == 0.3
    assert threshold_for_confidence("null_score_diff", 0.5) == 0.0 and threshold_for_confidence("score", 0.5) == 0.5
    assert threshold_of_key("score", -1.5) == 1.0  # within the signal's range
    with pytest.raises(ValueError, match="between 0 and 1"):
        threshold_for_confidence("null_score_diff", 1.0)
