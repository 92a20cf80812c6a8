"""PassagePageNumbers: a passage's page_number is the page its text ends on, under Haystack 2.x and 3 alike."""

from __future__ import annotations

import pytest
from haystack import Document, Pipeline
from haystack.components.preprocessors import RecursiveDocumentSplitter

from extractive_qa.components.passage_page_numbers import PassagePageNumbers, page_breaks, passage_end_page
from extractive_qa.testing.haystack_major import TRUST_COMPONENTS


def _last_text_page(source: str, start: int, passage: str) -> int:
    """Brute force: the page of the passage's last character that is no form feed (its first page when none)."""
    positions = [start + i for i, c in enumerate(passage) if c != "\f"] or [start]
    return 1 + source[: positions[-1]].count("\f")


@pytest.mark.parametrize(
    ("source", "start", "passage", "page"),
    [
        ("One.\fTwo.\fThree.", 0, "One.", 1),
        ("One.\fTwo.\fThree.", 0, "One.\f", 1),
        ("One.\fTwo.\fThree.", 0, "One.\fTwo.", 2),
        ("One.\fTwo.\fThree.", 4, "\fTwo.", 2),
        ("One.\fTwo.\fThree.", 5, "Two.\fThree.", 3),
        ("One.\f\f\fFour.", 4, "\f\f\f", 1),
    ],
)
def test_the_page_a_passage_ends_on(source: str, start: int, passage: str, page: int) -> None:
    assert source[start : start + len(passage)] == passage
    assert passage_end_page(page_breaks(source), start, passage) == page == _last_text_page(source, start, passage)


def test_the_splitters_passages_get_the_page_their_text_ends_on() -> None:
    pages = [" ".join(f"page{p}word{i}" for i in range(130)) + "\n\n" + f"Page {p} ends here." for p in range(1, 6)]
    source = Document(content="\f".join(pages) + "\f", meta={"file_path": "a.pdf"})
    splitter = RecursiveDocumentSplitter(split_length=200, split_overlap=0, separators=["\n\n", "\n", ". ", " "])
    splitter.warm_up()
    passages = splitter.run(documents=[source])["documents"]
    fixed = PassagePageNumbers().run(documents=passages, sources=[source])["documents"]
    assert [p.id for p in fixed] == [p.id for p in passages]  # the ids the indexer counts stay
    assert [p.content for p in fixed] == [p.content for p in passages]
    expected = [_last_text_page(source.content, p.meta["split_idx_start"], p.content) for p in passages]
    assert [p.meta["page_number"] for p in fixed] == expected
    assert len(set(expected)) == 5


def test_passages_it_cannot_place_pass_unchanged() -> None:
    lone = Document(content="No source.", meta={"page_number": 7, "split_idx_start": 0, "source_id": "x"})
    no_page = Document(content="No page.", meta={"split_idx_start": 0})
    kept = PassagePageNumbers().run(documents=[lone, no_page])["documents"]
    assert kept == [lone, no_page]


def test_round_trip_through_yaml() -> None:
    pipeline = Pipeline()
    pipeline.add_component("pages", PassagePageNumbers())
    loaded = Pipeline.loads(pipeline.dumps(), **TRUST_COMPONENTS)
    assert isinstance(loaded.get_component("pages"), PassagePageNumbers)
    assert loaded.dumps() == pipeline.dumps()
