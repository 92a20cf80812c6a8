"""PageHeaderRemover: lines a layout repeats at the edges of its pages go, with the page's number or word for word;
text that merely looks alike stays, and page breaks stay where they were."""

from __future__ import annotations

import pytest
from haystack import Document, Pipeline

from extractive_qa.components.page_header_remover import (
    PageHeaderRemover,
    header_footer_lines,
    line_shape,
    remove_headers_and_footers,
)
from extractive_qa.testing.haystack_major import TRUST_COMPONENTS


def test_line_shape_gives_the_words_and_the_numbers() -> None:
    assert line_shape("Chapter 4:  Function reference 10") == ("Chapter #: Function reference #", (4, 10))
    assert line_shape("  12 ") == ("#", (12,))
    assert line_shape("- iv -") == ("- #roman -", (4,))
    assert line_shape("XIX") == ("#roman", (19,))
    assert line_shape("Table of Contents") == ("Table of Contents", ())
    assert line_shape("I like it") == ("I like it", ())  # a Roman numeral only when it is the whole line
    assert line_shape("civil") == ("civil", ())


def test_running_titles_with_page_numbers_and_bare_page_numbers_are_removed() -> None:
    pages = [
        "The Quorvex Manual\nThe engine was designed",
        "Chapter 1: History 2\nin Tallinn in 1911.\n2",
        "Chapter 1: History 3\nIt weighs 40 tonnes.\n3",
        "Chapter 1: History 4\nIt runs on peat.\n4",
    ]
    assert remove_headers_and_footers("\f".join(pages)) == (
        "The Quorvex Manual\nThe engine was designed\fin Tallinn in 1911.\fIt weighs 40 tonnes.\fIt runs on peat."
    )


def test_numbers_must_count_the_pages_not_merely_repeat() -> None:
    """The same shape with numbers that do not grow with the page is text: list items, years, sections."""
    pages = [
        "Step 1 of the install\nplug it in.",
        "Step 1 of the install\nstarts it.",
        "Year 1911 was the start\nof it all.",
        "Year 1968 was the end\nof it all.",
    ]
    assert header_footer_lines(pages) == set()


def test_page_numbers_are_found_whatever_the_first_number_is() -> None:
    """Front matter shifts the printed numbers: page 5 of the file is printed "1"; Roman numerals before it."""
    pages = ["Title page", "Copyright", "i\nContents", "ii\nMore contents", "1\nIntroduction", "2\nText", "3\nMore"]
    assert header_footer_lines(pages, edge_lines=1) == {(2, 0), (3, 0), (4, 0), (5, 0), (6, 0)}


def test_unnumbered_lines_go_when_on_half_the_pages_and_the_first_page_keeps_its_title() -> None:
    pages = [f"Shared Database\nText about topic {letter}.\nConfidential" for letter in "abcdef"]
    text = remove_headers_and_footers("\f".join(pages))
    out = text.split("\f")
    assert out[0] == pages[0]  # a title stands on the first page where later pages repeat it as their header
    assert out[1:] == [f"Text about topic {letter}." for letter in "bcdef"]
    rare = ["Note\nfirst", "Note\nsecond", "Other\nthird", "Other\nfourth", "Other\nfifth", "More\nsixth", "x\ny"]
    assert header_footer_lines(rare) == set()  # three of seven pages is not half


def test_only_the_edges_of_a_page_count() -> None:
    page = "Top {0}\nfirst {0}\nsecond {0}\nChapter 1: Intro {1}\nthird {0}\nBottom {0} {2}"
    pages = [page.format(letter, n, n * 3) for n, letter in enumerate("abcde")]
    assert header_footer_lines(pages, edge_lines=2) == set()
    assert {line for _, line in header_footer_lines(pages, edge_lines=3)} == {3}


def test_a_single_page_or_a_text_without_edges_is_left_alone() -> None:
    for text in ("Chapter 1: Intro 1\nText.\n1", "", "\f\f", "a\fb"):
        assert remove_headers_and_footers(text) == text


def test_a_page_holding_only_its_header_stays_an_empty_page() -> None:
    pages = ["Manual 1\nText one.", "Manual 2", "Manual 3\nText three."]
    assert remove_headers_and_footers("\f".join(pages)) == "Text one.\f\fText three."


def test_documents_keep_their_meta_and_get_a_new_id_only_when_changed() -> None:
    paged = Document(content="Guide 1\nOne.\fGuide 2\nTwo.", meta={"file_path": "a.pdf"})
    plain = Document(content="Nothing to remove.", meta={"file_path": "b.pdf"})
    empty = Document(content=None, meta={"file_path": "c.pdf"})
    out = PageHeaderRemover().run(documents=[paged, plain, empty])["documents"]
    assert [d.content for d in out] == ["One.\fTwo.", "Nothing to remove.", None]
    assert [d.meta for d in out] == [paged.meta, plain.meta, empty.meta]
    assert out[0].id != paged.id and out[0].id == Document(content="One.\fTwo.", meta=paged.meta).id
    assert out[1] is plain and out[2] is empty


def test_settings_are_checked_and_round_trip_through_yaml() -> None:
    with pytest.raises(ValueError, match="edge_lines"):
        PageHeaderRemover(edge_lines=0)
    with pytest.raises(ValueError, match="min_share"):
        PageHeaderRemover(min_share=0.0)
    pipeline = Pipeline()
    pipeline.add_component("pdf_header_remover", PageHeaderRemover(edge_lines=3, min_share=0.75))
    loaded = Pipeline.loads(pipeline.dumps(), **TRUST_COMPONENTS).get_component("pdf_header_remover")
    assert isinstance(loaded, PageHeaderRemover) and (loaded.edge_lines, loaded.min_share) == (3, 0.75)
