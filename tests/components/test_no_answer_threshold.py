"""NoAnswerThreshold on constructed answers (no model)."""

from __future__ import annotations

import pytest
from haystack import Document, ExtractedAnswer, Pipeline

from extractive_qa.components.no_answer_threshold import NoAnswerThreshold
from extractive_qa.testing.extracted_answers import no_answer_entry, span_answer
from extractive_qa.testing.haystack_major import TRUST_COMPONENTS


def _answers(diffs_scores: list[tuple[float, float]], query_diff: float) -> list[ExtractedAnswer]:
    answers = [
        ExtractedAnswer(query="q", score=score, data=f"a{i}", meta={"null_score_diff": diff})
        for i, (diff, score) in enumerate(diffs_scores)
    ]
    answers.append(no_answer_entry(score=0.2, meta={"null_score_diff": query_diff}))
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
    loaded = Pipeline.loads(pipeline.dumps(), **TRUST_COMPONENTS)
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


# ---- the question's terms and the passages read -----------------------------------------------------------------

FRESNO = Document(content="Fresno is served by Fresno Yosemite International Airport, north-east of downtown.")
ISLAND = Document(content="Veltmark is a small island in the North Sea. Its only town is Havnby.")


def _span(query: str, document: Document, text: str, diff: float = -4.0, score: float = 0.8) -> ExtractedAnswer:
    return span_answer(document, text, query=query, score=score, meta={"null_score_diff": diff})


def _entry(query: str, diff: float = -4.0) -> ExtractedAnswer:
    return no_answer_entry(query=query, meta={"null_score_diff": diff})


CHECKED = NoAnswerThreshold(threshold=0.0, min_term_coverage=0.6, name_weight=3.0)


def test_a_confident_span_in_a_passage_about_something_else_is_no_answer_saying_why() -> None:
    query = "Which airport serves Veltmark?"
    answers = [_span(query, FRESNO, "Fresno Yosemite International Airport"), _entry(query)]
    result = CHECKED.run(answers=answers, documents=[FRESNO])["answers"]
    assert result[0].data is None and result[0].meta["answerable"] is False
    assert result[0].meta["reason"] == "no passage mentions Veltmark"
    assert result[1].meta["reason"] == "its passage does not mention Veltmark"
    assert result[1].meta["term_coverage"] == pytest.approx(0.4)  # airport 1 + serves 1 of 5 (Veltmark 3)


def test_a_term_another_passage_mentions_is_named_as_missing_from_the_candidates_passage() -> None:
    query = "Which airport serves Veltmark?"
    answers = [_span(query, FRESNO, "Fresno Yosemite International Airport"), _entry(query)]
    result = CHECKED.run(answers=answers, documents=[FRESNO, ISLAND])["answers"]
    assert result[0].meta["reason"] == "the best candidate's passage does not mention Veltmark"


def test_an_answer_whose_passage_mentions_the_question_passes() -> None:
    query = "What is the only town of Veltmark?"
    answers = [_span(query, FRESNO, "Fresno", score=0.9), _span(query, ISLAND, "Havnby", score=0.7), _entry(query)]
    result = CHECKED.run(answers=answers, documents=[FRESNO, ISLAND])["answers"]
    assert [a.data for a in result] == ["Havnby", None, "Fresno"]  # the better-scored span's passage is elsewhere
    assert "reason" not in result[0].meta and "reason" not in result[1].meta
    assert result[2].meta["reason"] == "its passage does not mention Veltmark"  # the names, when any are missing


def test_below_the_threshold_is_said_so() -> None:
    query = "What is the only town of Veltmark?"
    answers = [_span(query, ISLAND, "Havnby", diff=2.0), _entry(query, diff=2.0)]
    result = CHECKED.run(answers=answers, documents=[ISLAND])["answers"]
    assert result[0].data is None and result[0].meta["reason"] == "the best candidate is below the threshold"
    assert result[1].meta["reason"] == "below the threshold"


def test_without_the_passages_read_the_terms_are_not_checked() -> None:
    query = "Which airport serves Veltmark?"
    answers = [_span(query, FRESNO, "Fresno Yosemite International Airport"), _entry(query)]
    assert CHECKED.run(answers=answers)["answers"][0].data == "Fresno Yosemite International Airport"
    unchecked = NoAnswerThreshold().run(answers=answers, documents=[FRESNO])["answers"]  # term checks off by default
    assert unchecked[0].data == "Fresno Yosemite International Airport" and "reason" not in unchecked[0].meta


def test_nothing_retrieved_or_nothing_found() -> None:
    query = "Which airport serves Veltmark?"
    assert CHECKED.run(answers=[_entry(query)], documents=[])["answers"][0].meta["reason"] == (
        "no passage matches the question"
    )
    assert CHECKED.run(answers=[_entry(query)], documents=[FRESNO])["answers"][0].meta["reason"] == (
        "no passage mentions Veltmark"
    )
    assert CHECKED.run(answers=[_entry("Where is Fresno?")], documents=[FRESNO])["answers"][0].meta["reason"] == (
        "no answer was found in the passages"
    )


def _retrieved(document: Document, score: float = 7.5) -> Document:
    return Document(id=document.id, content=document.content, meta=document.meta, score=score)


@pytest.mark.parametrize("query", ["What is it?", "Who won?", "Where is it located?"])
def test_a_question_that_names_nothing_gets_no_answer_over_retrieved_passages(query: str) -> None:
    match = Document(content="The Broncos won the final. It is located in the North Sea.")
    span = "The Broncos" if "won" in query else "the North Sea"
    answers = [_span(query, match, span), _entry(query)]
    result = CHECKED.run(answers=answers, documents=[_retrieved(match)])["answers"]
    assert result[0].data is None and result[0].meta["reason"] == "the question does not say what it asks about"
    assert result[1].meta["covers_question"] is False and result[1].meta["reason"] == result[0].meta["reason"]
    # over a given text (no retrieval score) the text says what it is about; min_question_weight 0 turns it off
    assert CHECKED.run(answers=answers, documents=[match])["answers"][0].data == span
    off = NoAnswerThreshold(min_term_coverage=0.6, min_question_weight=0.0)
    assert off.run(answers=answers, documents=[_retrieved(match)])["answers"][0].data == span


def test_one_name_or_two_words_say_enough() -> None:
    for query, span in (("Who founded Havnby?", "Veltmark"), ("Which island town?", "Havnby")):
        answers = [_span(query, ISLAND, span), _entry(query)]
        assert CHECKED.run(answers=answers, documents=[_retrieved(ISLAND)])["answers"][0].data == span


def test_term_settings_round_trip_and_are_checked() -> None:
    pipeline = Pipeline()
    pipeline.add_component("threshold", NoAnswerThreshold(threshold=-1.5, min_term_coverage=0.5, name_weight=3.0))
    loaded = Pipeline.loads(pipeline.dumps(), **TRUST_COMPONENTS).get_component("threshold")
    assert (loaded.min_term_coverage, loaded.name_weight, loaded.threshold) == (0.5, 3.0, -1.5)
    assert loaded.min_question_weight == 2.0
    for bad in (-0.1, 1.5, float("nan"), "0.5", True):
        with pytest.raises(ValueError, match="min_term_coverage"):
            NoAnswerThreshold(min_term_coverage=bad)  # type: ignore[arg-type]
    for bad in (-1, float("inf"), "2"):
        with pytest.raises(ValueError, match="min_question_weight"):
            NoAnswerThreshold(min_question_weight=bad)  # type: ignore[arg-type]
    pipeline = Pipeline()
    pipeline.add_component("threshold", NoAnswerThreshold(min_term_coverage=0.6, min_question_weight=3.0))
    assert Pipeline.loads(pipeline.dumps(), **TRUST_COMPONENTS).get_component("threshold").min_question_weight == 3.0
