"""span_answer and no_answer_entry: reader answers as Haystack's reader shapes them."""

from __future__ import annotations

import pytest
from haystack import Document, ExtractedAnswer

from extractive_qa.testing.extracted_answers import no_answer_entry, span_answer

PASSAGE = Document(content="Tartu is a city in Estonia. Tartu has a university.")


def test_a_span_carries_its_offsets_in_the_document_and_the_context() -> None:
    answer = span_answer(PASSAGE, "Estonia", query="Where?", score=0.9, meta={"null_score_diff": -2.0})
    assert (answer.query, answer.score, answer.data, answer.document) == ("Where?", 0.9, "Estonia", PASSAGE)
    assert answer.document_offset == answer.context_offset == ExtractedAnswer.Span(19, 26)
    assert answer.context == PASSAGE.content and answer.meta == {"null_score_diff": -2.0}


def test_a_later_occurrence_by_its_start_and_a_wrong_start_refused() -> None:
    assert span_answer(PASSAGE, "Tartu", start=28).document_offset == ExtractedAnswer.Span(28, 33)
    with pytest.raises(ValueError, match="'Tartu' is not at 3"):
        span_answer(PASSAGE, "Tartu", start=3)
    with pytest.raises(ValueError):
        span_answer(PASSAGE, "Riga")


def test_the_no_answer_entry_has_no_text() -> None:
    entry = no_answer_entry(query="Where?", meta={"null_score_diff": 1.5})
    assert (entry.query, entry.score, entry.data, entry.document, entry.meta) == (
        "Where?",
        0.1,
        None,
        None,
        {"null_score_diff": 1.5},
    )
