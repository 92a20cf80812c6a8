"""The one answer object: ids, the page of the span, a readable confidence, the threshold mark, the CLI's lines."""

from __future__ import annotations

import math

import pytest
from haystack import Document, ExtractedAnswer

from extractive_qa.answers import QAResult, answer_id, confidence_of, span_page
from extractive_qa.components.no_answer_threshold import NoAnswerThreshold
from extractive_qa.testing.extracted_answers import span_answer

PASSAGE = Document(
    content="The engine was built in Tallinn.\n\fIt weighs 40 tonnes.\n\fIt stands in Tartu.",
    meta={"file_name": "engine.pdf", "file_path": "/srv/docs/engine.pdf", "page_number": 3},
)


def _span(text: str, diff: float, score: float = 0.7, document: Document = PASSAGE) -> ExtractedAnswer:
    """A span of `document` with the reader's null-score evidence `diff`."""
    return span_answer(document, text, score=score, meta={"null_score_diff": diff})


@pytest.mark.parametrize(("text", "page"), [("Tallinn", 1), ("40 tonnes", 2), ("Tartu", 3)])
def test_the_page_of_the_span_not_of_the_passage(text: str, page: int) -> None:
    answer = QAResult.from_extracted("q", [_span(text, -2.0)]).answers[0]
    assert answer.page_number == page
    assert answer.document_meta["page_number"] == 3  # the passage's, as Haystack's splitter records it


def test_span_page_with_trailing_page_breaks() -> None:
    content = "One.\fTwo.\f\f"  # the splitter gives page 2: the text ends there
    assert span_page(content, 2, 0) == 1 and span_page(content, 2, content.index("Two")) == 2


def test_pages_only_for_paged_documents() -> None:
    text = Document(content="It weighs 40 tonnes.", meta={"file_name": "notes.txt", "page_number": 1})
    assert QAResult.from_extracted("q", [_span("40 tonnes", -1.0, document=text)]).answers[0].page_number is None


def test_confidence_is_the_odds_against_no_answer_or_the_calibrated_probability() -> None:
    # Two answers with the same reader score read very differently (the demo's "Ohio" and "8", both 0.718).
    ohio, eight = _span("Tallinn", 1.03, score=0.718), _span("40 tonnes", -3.67, score=0.718)
    assert confidence_of(ohio) == (pytest.approx(1 / (1 + math.exp(1.03))), "null_score")
    assert confidence_of(eight)[0] == pytest.approx(0.975, abs=1e-3)
    calibrated = ExtractedAnswer(query="q", score=0.7, data="x", meta={"answerable_probability": 0.31})
    assert confidence_of(calibrated) == (0.31, "calibrated")
    assert confidence_of(ExtractedAnswer(query="q", score=0.42, data="x")) == (0.42, "score")
    assert confidence_of(ExtractedAnswer(query="q", score=0.2, data=None)) == (None, None)


def test_threshold_marks_and_no_answer_confidence() -> None:
    answers = [_span("Tallinn", -2.0), _span("Tartu", 1.0), ExtractedAnswer(query="q", score=0.1, data=None)]
    ordered = NoAnswerThreshold(threshold=0.0).run(answers=answers)["answers"]
    result = QAResult.from_extracted("Where?", ordered)
    assert [a.text for a in result.answers] == ["Tallinn", None, "Tartu"]
    assert [a.below_threshold for a in result.answers] == [False, False, True]
    best = result.answers[0].confidence
    assert result.answers[1].confidence == pytest.approx(1 - best)
    assert result.answers[1].confidence_basis == "null_score"


def test_answer_ids_are_stable_and_distinct() -> None:
    first = QAResult.from_extracted("Where?", [_span("Tallinn", -2.0)]).answers[0]
    again = QAResult.from_extracted("Where?", [_span("Tallinn", -1.0)]).answers[0]
    other = QAResult.from_extracted("Where was it?", [_span("Tallinn", -2.0)]).answers[0]
    assert first.answer_id == again.answer_id == answer_id("Where?", PASSAGE.id, first.start, first.end)
    assert first.answer_id != other.answer_id and len(first.answer_id) == 24
    no_answer = QAResult.from_extracted("Where?", [ExtractedAnswer(query="q", score=1.0, data=None)]).answers[0]
    assert no_answer.answer_id is None


def test_every_field_is_in_the_json() -> None:
    data = QAResult.from_extracted("Where?", [_span("40 tonnes", -3.0)]).to_dict()["answers"][0]
    assert {"answer_id", "page_number", "confidence", "confidence_basis", "below_threshold", "source"} <= set(data)
    assert data["file_path"] == "/srv/docs/engine.pdf"  # the local ways in (CLI, Python) keep the path


def test_the_command_line_lines() -> None:
    answered = QAResult.from_extracted("q", [_span("40 tonnes", -3.67), ExtractedAnswer(query="q", score=0, data=None)])
    assert answered.format().splitlines()[0] == "1. 40 tonnes  (confidence 98%, source: engine.pdf, page 2)"
    ordered = NoAnswerThreshold(threshold=-5.0).run(answers=[_span("Tartu", 0.5)])["answers"]
    abstained = QAResult.from_extracted("q", ordered)
    assert abstained.format().splitlines()[:2] == [
        "no answer (the best candidate is below the threshold)",
        "1. Tartu  (confidence 38%, below the threshold, source: engine.pdf, page 3)",
    ]


def test_the_command_line_shows_a_span_over_a_line_break_on_one_line_and_json_keeps_it_exact() -> None:
    passage = Document(content="Covered by the GNU General Public\nLicense, version 3.", meta={"file_name": "m.pdf"})
    result = QAResult.from_extracted("q", [_span("GNU General Public\nLicense", -4.0, document=passage)])
    assert result.format().splitlines()[:2] == [
        "1. GNU General Public License  (confidence 98%, source: m.pdf)",
        "   ...Covered by the GNU General Public License, version 3....",
    ]
    assert result.to_dict()["answers"][0]["text"] == "GNU General Public\nLicense"


def test_a_candidate_whose_passage_is_about_something_else_is_shown_with_its_reason() -> None:
    question = "Which engine did Veltmark build?"
    START = PASSAGE.content.index("40 tonnes")
    decided = NoAnswerThreshold(threshold=0.0, min_term_coverage=0.6).run(
        answers=[
            ExtractedAnswer(
                query=question,
                score=0.9,
                data="40 tonnes",
                document=PASSAGE,
                document_offset=ExtractedAnswer.Span(START, START + 9),
                meta={"null_score_diff": -6.0},
            )
        ],
        documents=[PASSAGE],
    )["answers"]
    result = QAResult.from_extracted(question, decided)
    entry, candidate = result.answers
    assert (
        entry.reason == "no passage mentions Veltmark" and candidate.reason == "its passage does not mention Veltmark"
    )
    assert entry.confidence == 1.0  # the reader's confidence in a span about something else is no evidence
    assert result.format().splitlines() == [
        "no answer (no passage mentions Veltmark)",
        "1. 40 tonnes  (confidence >99%, below the threshold: its passage does not mention Veltmark, "
        "source: engine.pdf, page 2)",
    ]
    assert result.to_dict()["answers"][0]["reason"] == "no passage mentions Veltmark"


def test_one_order_by_the_confidence_shown_and_candidates_below_the_threshold_marked() -> None:
    # the pipeline's order is the reader's score; what people see is the confidence: the two disagree here
    answers = [
        _span("Tallinn", -0.5, score=0.9),  # 62%
        _span("Tartu", -1.0, score=0.8),  # 73%
        _span("40 tonnes", 1.5, score=0.7),  # 18%, below
        _span("engine", 0.4, score=0.6),  # 40%, below
    ]
    decided = NoAnswerThreshold(threshold=0.0).run(answers=answers)["answers"]
    result = QAResult.from_extracted("q", decided)
    assert [a.text for a in result.answers] == ["Tartu", "Tallinn", None, "engine", "40 tonnes"]
    assert [a.below_threshold for a in result.answers] == [False, False, False, True, True]
    assert result.best is not None and result.best.text == "Tartu"
    lines = [line for line in result.format().splitlines() if not line.startswith("   ...")]
    assert lines == [
        "1. Tartu  (confidence 73%, source: engine.pdf, page 3)",
        "2. Tallinn  (confidence 62%, source: engine.pdf, page 1)",
        "3. engine  (confidence 40%, below the threshold, source: engine.pdf, page 1)",
        "4. 40 tonnes  (confidence 18%, below the threshold, source: engine.pdf, page 2)",
    ]
    data = result.to_dict()["answers"]  # the JSON (and so HTTP, MCP and the page) in the same order
    assert [a["text"] for a in data] == ["Tartu", "Tallinn", None, "engine", "40 tonnes"]
    assert [a["below_threshold"] for a in data] == [False, False, False, True, True]


def test_the_threshold_in_the_unit_of_the_confidence_shown() -> None:
    from extractive_qa.answers import rule_text
    from extractive_qa.components.no_answer_decision import min_confidence, threshold_for_confidence

    assert min_confidence("null_score_diff", 0.0) == 0.5
    assert min_confidence("null_score_diff", 0.936789) == pytest.approx(0.2816, abs=1e-4)
    assert min_confidence("calibrated", 0.4) == 0.4 and min_confidence("score", 0.7) == 0.7
    for signal in ("null_score_diff", "score", "calibrated"):
        assert min_confidence(signal, threshold_for_confidence(signal, 0.3)) == pytest.approx(0.3)
    with pytest.raises(ValueError, match="between 0 and 1"):
        threshold_for_confidence("null_score_diff", 1.0)
    assert rule_text("null_score_diff", 0.936789) == "confidence >= 28% (null-score difference <= 0.936789)"
    # an answer at the threshold's confidence passes, one just below does not
    diff = threshold_for_confidence("null_score_diff", 0.47)
    at, below = _span("Tallinn", diff - 1e-6), _span("Tartu", diff + 0.01)
    decided = NoAnswerThreshold(threshold=diff).run(answers=[at, below])["answers"]
    assert [a.data for a in decided] == ["Tallinn", None, "Tartu"]


def test_a_result_carries_the_threshold_it_was_decided_by_as_a_confidence() -> None:
    diff = 0.936789
    decided = NoAnswerThreshold(threshold=diff).run(answers=[_span("Tallinn", -2.0), _span("Tartu", 1.5)])["answers"]
    result = QAResult.from_extracted("q", decided)
    assert result.min_confidence == pytest.approx(0.2816, abs=1e-4)
    data = result.to_dict()
    assert data["min_confidence"] == result.min_confidence
    # an answer is above the threshold exactly when its confidence is at least the one the result names
    for answer in data["answers"]:
        if answer["text"] is not None:
            assert answer["below_threshold"] == (answer["confidence"] < data["min_confidence"])
    assert QAResult(question="q", answers=[]).to_dict()["min_confidence"] is None


def test_under_the_score_signal_the_confidence_is_the_score() -> None:
    decided = NoAnswerThreshold(signal="score", threshold=0.5).run(answers=[_span("Tartu", -3.0, score=0.42)])
    result = QAResult.from_extracted("q", decided["answers"])
    candidate = result.answers[1]
    assert (candidate.confidence, candidate.confidence_basis) == (0.42, "score") and candidate.below_threshold
