"""LineBreakDehyphenator: words a layout broke at a line-end hyphen are whole again; compounds keep their hyphen."""

from __future__ import annotations

from haystack import Document, Pipeline

from extractive_qa.components.line_break_dehyphenator import (
    LineBreakDehyphenator,
    document_vocabulary,
    join_line_break_hyphens,
)
from extractive_qa.testing.haystack_major import TRUST_COMPONENTS


def test_a_word_broken_at_a_line_end_is_joined_and_the_line_break_moves_after_it() -> None:
    text = "The library handles the manip-\nulation of data.\nIt writes DER en-\ncodings, OP-\nTIONAL ones too."
    assert join_line_break_hyphens(text) == (
        "The library handles the manipulation\nof data.\nIt writes DER encodings,\nOPTIONAL\nones too."
    )


def test_a_word_ending_its_line_after_the_break_adds_no_blank_line() -> None:
    """The splitter cuts passages at blank lines: joining must not turn a line break into a paragraph break."""
    assert join_line_break_hyphens("a manip-\nulation.\nNext line") == "a manipulation.\nNext line"
    assert join_line_break_hyphens("the manip-\nulation") == "the manipulation"
    assert join_line_break_hyphens("manip-\nulation\fpage two") == "manipulation\fpage two"


def test_compounds_keep_their_hyphen_by_the_documents_own_words() -> None:
    written_so = "It is a well-known tool, and a well-\nknown one."
    assert join_line_break_hyphens(written_so) == "It is a well-known tool, and a well-known\none."
    both_halves_are_words = "A state of the art system: state-\nof the art."  # neither form elsewhere
    assert join_line_break_hyphens(both_halves_are_words).startswith("A state of the art system: state-of\n")
    written_whole = "The email arrived. An e-\nmail was sent."  # "email" elsewhere wins over the halves
    assert join_line_break_hyphens(written_whole) == "The email arrived. An email\nwas sent."


def test_numbers_hyphens_inside_lines_and_page_breaks_are_left_alone() -> None:
    for text in (
        "pages 12-\n15 of the book",
        "a well-known tool",
        "end of a page manip-\fulation",
        "no hyphen\nat all",
    ):
        assert join_line_break_hyphens(text) == text


def test_a_word_broken_over_three_lines() -> None:
    assert join_line_break_hyphens("a su-\nper-\nlong word") == "a superlong\nword"


def test_vocabulary_holds_compounds_whole_and_in_parts_but_not_broken_halves() -> None:
    words = document_vocabulary("A well-known manip-\nulation of Data.")
    assert {"well-known", "well", "known", "data", "of"} <= words
    assert "manip" not in words and "ulation" not in words


def test_documents_keep_their_meta_and_get_a_new_id_only_when_changed() -> None:
    broken = Document(content="manip-\nulation", meta={"file_path": "a.pdf"})
    whole = Document(content="Nothing to join.", meta={"file_path": "b.pdf"})
    empty = Document(content=None, meta={"file_path": "c.pdf"})
    out = LineBreakDehyphenator().run(documents=[broken, whole, empty])["documents"]
    assert [d.content for d in out] == ["manipulation", "Nothing to join.", None]
    assert [d.meta for d in out] == [broken.meta, whole.meta, empty.meta]
    assert out[0].id != broken.id and out[0].id == Document(content="manipulation", meta=broken.meta).id
    assert out[1] is whole and out[2] is empty


def test_round_trips_through_yaml() -> None:
    pipeline = Pipeline()
    pipeline.add_component("pdf_dehyphenator", LineBreakDehyphenator())
    loaded = Pipeline.loads(pipeline.dumps(), **TRUST_COMPONENTS).get_component("pdf_dehyphenator")
    assert isinstance(loaded, LineBreakDehyphenator) and loaded.to_dict() == LineBreakDehyphenator().to_dict()
