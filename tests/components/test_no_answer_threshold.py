"""NoAnswerThreshold on constructed answers (no model)."""

from __future__ import annotations

import pytest
from haystack import ExtractedAnswer, Pipeline

from extractive_qa.components.no_answer_threshold import NoAnswerThreshold


def _answers(diffs_scores: list[tuple[float, float]], query_diff: float) -> list[ExtractedAnswer]:
    answers = [
        ExtractedAnswer(query="q", score=score, data=f"a{i}", meta={"null_score_diff": diff})
        for i, (diff, score) in enumerate(diffs_scores)
    ]
    answers.append(ExtractedAnswer(query="q", score=0.2, data=None, meta={"null_score_diff": query_diff}))
    return answers


def test_null_score_rule_places_the_no_answer_entry_after_passing_answers() -> None:
    answers = _answers([(-2.0, 0.9), (1.5, 0.8), (-0.5, 0.6)], query_diff=-2.0)
    result = NoAnswerThreshold(threshold=0.0).run(answers=answers)["answers"]
    assert [a.data for a in result] == ["a0", "a2", None, "a1"]
    assert result[2].meta["answerable"] is True
    assert result[2].score == 0.2  # the reader's own no-answer score is kept


def test_no_answer_comes_first_when_nothing_passes() -> None:
    answers = _answers([(0.5, 0.9), (3.0, 0.8)], query_diff=0.5)
    result = NoAnswerThreshold(threshold=0.0).run(answers=answers)["answers"]
    assert result[0].data is None
    assert result[0].meta["answerable"] is False
    assert [a.data for a in result[1:]] == ["a0", "a1"]


def test_run_time_threshold_overrides_including_zero() -> None:
    answers = _answers([(0.5, 0.9)], query_diff=0.5)
    component = NoAnswerThreshold(threshold=1.0)
    assert component.run(answers=answers)["answers"][0].data == "a0"
    assert component.run(answers=answers, threshold=0.0)["answers"][0].data is None
    assert component.run(answers=answers, threshold=None)["answers"][0].data == "a0"


def test_score_signal_works_without_null_evidence() -> None:
    answers = [
        ExtractedAnswer(query="q", score=0.7, data="x"),
        ExtractedAnswer(query="q", score=0.4, data="y"),
        ExtractedAnswer(query="q", score=0.5, data=None),
    ]
    result = NoAnswerThreshold(threshold=0.5, signal="score").run(answers=answers)["answers"]
    assert [a.data for a in result] == ["x", None, "y"]


def test_missing_no_answer_entry_is_added() -> None:
    result = NoAnswerThreshold(threshold=0.5, signal="score").run(
        answers=[ExtractedAnswer(query="q", score=0.1, data="x")]
    )["answers"]
    assert [a.data for a in result] == [None, "x"]
    assert NoAnswerThreshold().run(answers=[])["answers"][0].data is None


def test_null_signal_without_evidence_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="null_score_diff"):
        NoAnswerThreshold().run(answers=[ExtractedAnswer(query="q", score=0.9, data="x")])


def test_invalid_signal_is_rejected() -> None:
    with pytest.raises(ValueError, match="signal"):
        NoAnswerThreshold(signal="magic")  # type: ignore[arg-type]


def test_yaml_round_trip() -> None:
    pipeline = Pipeline()
    pipeline.add_component("threshold", NoAnswerThreshold(threshold=0.25, signal="score"))
    loaded = Pipeline.loads(pipeline.dumps())
    component = loaded.get_component("threshold")
    assert (component.threshold, component.signal) == (0.25, "score")
    assert loaded.dumps() == pipeline.dumps()


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), "1e999", True, [0.5]])
def test_thresholds_that_are_no_finite_number_are_refused(value: object) -> None:
    with pytest.raises(ValueError, match="threshold must be a"):
        NoAnswerThreshold(threshold=value)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="threshold must be a"):
        NoAnswerThreshold().run(answers=[], threshold=value)  # type: ignore[arg-type]


@pytest.mark.parametrize("signal", ["score", "calibrated"])
def test_probability_signals_take_thresholds_from_0_to_1(signal: str) -> None:
    calibration = {"intercept": 0.0, "weights": {}} if signal == "calibrated" else None
    for value in (-0.01, 1.01, -1.25):
        with pytest.raises(ValueError, match="from 0 to 1"):
            NoAnswerThreshold(threshold=value, signal=signal, calibration=calibration)  # type: ignore[arg-type]
    assert NoAnswerThreshold(threshold=1, signal=signal, calibration=calibration).threshold == 1.0  # type: ignore[arg-type]
    assert NoAnswerThreshold(threshold=-7.5).threshold == -7.5  # null_score_diff: any finite number
