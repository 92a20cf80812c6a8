"""AnswerDeduplicator on constructed answers and documents (no model)."""

from __future__ import annotations

import pytest
from haystack import Document, ExtractedAnswer, Pipeline

from extractive_qa.components.answer_deduplicator import AnswerDeduplicator
from extractive_qa.components.utils import normalize_answer
from extractive_qa.testing.extracted_answers import no_answer_entry, span_answer
from extractive_qa.testing.haystack_major import TRUST_COMPONENTS


def _answer(doc: Document, start: int, end: int, score: float) -> ExtractedAnswer:
    return span_answer(doc, (doc.content or "")[start:end], start=start, score=score)


def test_overlapping_spans_of_one_passage_merge_into_the_best() -> None:
    doc = Document(content="I want to go to the river in Maine tomorrow.")
    wide = _answer(doc, 16, 34, 0.6)  # "the river in Maine"
    narrow = _answer(doc, 20, 25, 0.8)  # "river"
    result = AnswerDeduplicator().run(answers=[wide, narrow])["answers"]
    assert [a.data for a in result] == ["river"]
    assert result[0].score == 0.8
    assert {s["data"] for s in result[0].meta["supporting_documents"]} == {"river", "the river in Maine"}


def test_spans_overlapping_less_than_min_overlap_stay_apart() -> None:
    doc = Document(content="I want to go to the river in Maine tomorrow.")
    first = _answer(doc, 16, 28, 0.7)  # "the river in"
    second = _answer(doc, 26, 34, 0.6)  # "in Maine"
    assert len(AnswerDeduplicator(min_overlap=0.5).run(answers=[first, second])["answers"]) == 2
    assert len(AnswerDeduplicator(min_overlap=0.25).run(answers=[first, second])["answers"]) == 1


def test_neighbouring_passages_of_one_file_share_their_overlap() -> None:
    text = "alpha beta gamma delta epsilon zeta eta theta"
    # Passages split from one file as DocumentSplitter does: source_id and split_idx_start recorded.
    first = Document(content=text[:30], meta={"source_id": "file-1", "split_idx_start": 0})
    second = Document(content=text[17:], meta={"source_id": "file-1", "split_idx_start": 17})
    in_first = _answer(first, 17, 22, 0.5)  # "delta" at 17 in the file
    in_second = _answer(second, 0, 5, 0.9)  # "delta" at 17 in the file
    assert in_first.data == in_second.data == "delta"
    result = AnswerDeduplicator(merge_same_text=False).run(answers=[in_first, in_second])["answers"]
    assert len(result) == 1
    assert result[0].document is second and result[0].score == 0.9
    assert result[0].meta["support"] == 2


def test_same_words_at_different_places_of_one_file_are_kept_apart_by_span() -> None:
    text = "delta one two three four delta"
    doc = Document(content=text, meta={"source_id": "f", "split_idx_start": 0})
    answers = [_answer(doc, 0, 5, 0.9), _answer(doc, 25, 30, 0.4)]
    assert len(AnswerDeduplicator(merge_same_text=False).run(answers=answers)["answers"]) == 2
    assert len(AnswerDeduplicator(merge_same_text=True).run(answers=answers)["answers"]) == 1


@pytest.mark.parametrize(("combination", "expected"), [("max", 0.8), ("noisy_or", 1 - 0.2 * 0.5 * 0.9)])
def test_same_text_from_several_documents_combines_scores(combination: str, expected: float) -> None:
    docs = [
        Document(content="The capital is Paris."),
        Document(content="Paris, the capital."),
        Document(content="They went to paris!"),
    ]
    answers = [_answer(docs[0], 15, 20, 0.8), _answer(docs[1], 0, 6, 0.5), _answer(docs[2], 13, 19, 0.1)]
    assert [a.data for a in answers] == ["Paris", "Paris,", "paris!"]
    result = AnswerDeduplicator(score_combination=combination).run(answers=answers)["answers"]  # type: ignore[arg-type]
    assert len(result) == 1
    assert result[0].data == "Paris"
    assert result[0].score == pytest.approx(expected)
    assert result[0].meta["support"] == 3
    assert [s["document_id"] for s in result[0].meta["supporting_documents"]] == [d.id for d in docs]


def test_no_answer_entry_passes_through_and_top_k_counts_real_answers() -> None:
    doc = Document(content="one two three four five")
    answers = [_answer(doc, 0, 3, 0.9), _answer(doc, 4, 7, 0.8), _answer(doc, 8, 13, 0.7)]
    no_answer = no_answer_entry(score=0.3, meta={"null_score_diff": -1.0})
    result = AnswerDeduplicator(top_k=2).run(answers=[no_answer, *answers])["answers"]
    assert [a.data for a in result] == ["one", "two", None]
    assert result[-1] is no_answer
    assert [a.data for a in AnswerDeduplicator(top_k=2).run(answers=answers, top_k=0)["answers"]] == []


def test_output_is_in_descending_score_order() -> None:
    doc = Document(content="a b c d e f g h")
    answers = [_answer(doc, i * 2, i * 2 + 1, s) for i, s in enumerate([0.1, 0.7, 0.4, 0.9])]
    scores = [a.score for a in AnswerDeduplicator(merge_same_text=False).run(answers=answers)["answers"]]
    assert scores == sorted(scores, reverse=True) == [0.9, 0.7, 0.4, 0.1]


def test_normalize_answer_follows_the_squad_rule() -> None:
    assert normalize_answer("The  Eiffel-Tower!") == "eiffeltower"
    assert normalize_answer("an apple and a pear") == "apple and pear"
    assert normalize_answer("  ") == ""


@pytest.mark.parametrize(
    "kwargs", [{"min_overlap": 0}, {"min_overlap": 1.5}, {"score_combination": "sum"}, {"top_k": -1}]
)
def test_invalid_parameters_are_rejected(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        AnswerDeduplicator(**kwargs)


def test_yaml_round_trip() -> None:
    pipeline = Pipeline()
    pipeline.add_component("dedup", AnswerDeduplicator(min_overlap=0.3, score_combination="noisy_or", top_k=4))
    loaded = Pipeline.loads(pipeline.dumps(), **TRUST_COMPONENTS)
    component = loaded.get_component("dedup")
    assert isinstance(component, AnswerDeduplicator)
    assert (component.min_overlap, component.score_combination, component.top_k) == (0.3, "noisy_or", 4)
    assert loaded.dumps() == pipeline.dumps()


@pytest.mark.parametrize("splitter_name", ["DocumentSplitter", "RecursiveDocumentSplitter"])
def test_overlap_region_of_real_split_passages_merges(splitter_name: str) -> None:
    """Passages from Haystack's own splitters, with overlap: the same words found in both neighbours are one answer."""
    from haystack.components.preprocessors import DocumentSplitter, RecursiveDocumentSplitter

    words = [f"w{i}" for i in range(60)]
    source = Document(content=" ".join(words))
    if splitter_name == "DocumentSplitter":
        splitter = DocumentSplitter(split_by="word", split_length=30, split_overlap=10)
    else:
        splitter = RecursiveDocumentSplitter(split_length=30, split_overlap=10, split_unit="word", separators=[" "])
    if hasattr(splitter, "warm_up"):
        splitter.warm_up()
    passages = splitter.run(documents=[source])["documents"]
    first, second = passages[0], passages[1]
    shared = next(w for w in words if f" {w} " in f" {first.content} " and f" {w} " in f" {second.content} ")
    in_first = _answer(first, first.content.index(f"{shared} "), first.content.index(f"{shared} ") + len(shared), 0.6)
    at = second.content.index(f"{shared} ")
    in_second = _answer(second, at, at + len(shared), 0.7)
    merged = AnswerDeduplicator(merge_same_text=False).run(answers=[in_first, in_second])["answers"]
    assert len(merged) == 1 and merged[0].meta["support"] == 2
    # an answer elsewhere in the second passage stays separate
    other = _answer(second, len(second.content) - 3, len(second.content), 0.5)
    assert len(AnswerDeduplicator(merge_same_text=False).run(answers=[in_first, other])["answers"]) == 2
