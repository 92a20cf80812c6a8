"""Threshold tuning on stored records: the tuned rule reproduces its figure through the pipeline's component."""

from __future__ import annotations

import pytest

from extractive_qa.components.no_answer_threshold import NoAnswerThreshold
from extractive_qa.errors import TuningError
from extractive_qa.evaluation.decisions import score_decision
from extractive_qa.evaluation.tuning import describe, tune
from tests.evaluation.stored_records import open_mode_records, synthetic_records


@pytest.mark.parametrize("signal", ["null_score_diff", "score", "calibrated"])
def test_tuned_rule_reproduces_its_figure_through_the_component(signal: str) -> None:
    dataset, records = synthetic_records()
    features = ("span_logit", "null_logit") if signal == "calibrated" else ()
    result = tune(dataset, records, signal=signal, features=features or ("span_logit",))
    scored = score_decision(dataset, records, result.decision())
    assert scored["f1"] == pytest.approx(result.f1)
    assert scored["exact"] == pytest.approx(result.exact)
    untuned = score_decision(dataset, records, NoAnswerThreshold())
    assert result.f1 >= untuned["f1"] - 1e-9 or signal == "score"


def test_tuning_keeps_the_decisions_check_of_the_question_terms() -> None:
    dataset, records = open_mode_records()
    checked = NoAnswerThreshold(min_term_coverage=0.6)
    result = tune(dataset, records, signal="null_score_diff", base=checked)
    decision = result.decision()
    assert (decision.min_term_coverage, decision.name_weight) == (0.6, 2.0)
    assert score_decision(dataset, records, decision)["f1"] == pytest.approx(result.f1) == pytest.approx(100.0)
    unchecked = tune(dataset, records, signal="null_score_diff")
    assert unchecked.f1 < 60  # without the check the reader cannot tell the passages apart
    calibrated = tune(dataset, records, signal="calibrated", features=("null_score_diff", "term_coverage"))
    assert calibrated.calibration["weights"]["term_coverage"] > 0  # a feature of the passages read
    assert calibrated.f1 == pytest.approx(100.0)


def test_describe_says_the_rule_and_the_kept_term_check() -> None:
    dataset, records = open_mode_records()
    result = tune(dataset, records, signal="null_score_diff", base=NoAnswerThreshold(min_term_coverage=0.6))
    line = describe(result)
    assert line.startswith("answer when the confidence >= ")
    assert line.endswith(
        ", and the passage mentions >= 0.6 of the question's terms (kept): F1 100.00, EM 100.00 on 300 questions"
    )


def test_an_unknown_signal_is_refused() -> None:
    dataset, records = synthetic_records(20)
    with pytest.raises(TuningError, match=r"signal must be one of .*, got 'loudness'"):
        tune(dataset, records, signal="loudness")
