"""Stored reader outputs: a record gives back the answers and passages the no-answer decision saw."""

from __future__ import annotations

from haystack import Document, ExtractedAnswer

from extractive_qa.evaluation.records import pipeline_record, question_key, record_answers, record_documents
from extractive_qa.evaluation.squad_metric import SquadQuestion

PARAGRAPHS = {"0:0": "The Loire runs through Orleans and Tours."}
TITLES = {"0:0": "Rivers"}
QUESTION = SquadQuestion("a", "Which river runs through Tours?", PARAGRAPHS["0:0"], "Rivers", ("Loire",), 0, 0)


def _answers() -> tuple[list[ExtractedAnswer], Document]:
    document = Document(content=PARAGRAPHS["0:0"], meta={"paragraph": "0:0", "title": "Rivers"}, score=7.25)
    real = ExtractedAnswer(
        query=QUESTION.question,
        score=0.8,
        data="Loire",
        document=document,
        context="The Loire runs",
        document_offset=ExtractedAnswer.Span(4, 9),
        context_offset=ExtractedAnswer.Span(4, 9),
        meta={"null_score_diff": -3.5, "page": 1, "nested": {"dropped": True}},
    )
    empty = ExtractedAnswer(query=QUESTION.question, score=0.2, data=None, meta={"null_score_diff": -3.5})
    return [real, empty], document


def test_a_record_gives_back_the_answers_as_the_decision_saw_them() -> None:
    answers, _ = _answers()
    record = pipeline_record(QUESTION, answers, seconds=0.123456789)
    assert (record["id"], record["key"], record["seconds"]) == ("a", question_key(QUESTION), 0.12346)
    assert "retrieved" not in record  # reader mode: no passages kept
    real, empty = record_answers(record, QUESTION.question, PARAGRAPHS, TITLES)
    assert (real.data, real.score, real.context) == ("Loire", 0.8, "The Loire runs")
    assert (real.document_offset.start, real.document_offset.end) == (4, 9)
    assert real.document.meta == {"paragraph": "0:0", "title": "Rivers"}
    assert real.meta == {"null_score_diff": -3.5, "page": 1}  # only plain values are stored
    assert (empty.data, empty.score, empty.meta) == (None, 0.2, {"null_score_diff": -3.5})


def test_an_open_mode_record_keeps_the_passages_read_with_their_scores() -> None:
    answers, document = _answers()
    record = pipeline_record(QUESTION, answers, seconds=0.5, documents=[document])
    assert (record["retrieved"], record["retrieved_scores"]) == (["0:0"], [7.25])
    (passage,) = record_documents(record, PARAGRAPHS, TITLES)
    assert (passage.content, passage.score, passage.meta) == (
        document.content,
        7.25,
        {"paragraph": "0:0", "title": "Rivers"},
    )
