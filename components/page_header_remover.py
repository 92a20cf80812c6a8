"""Removes the headers, footers and page numbers that a PDF repeats at the top or bottom of its pages."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any

from haystack import Document, component, default_from_dict, default_to_dict

from extractive_qa.components.utils import rewrite_contents

_NUMBER = re.compile(r"\d+")
_ROMAN_PAGE = re.compile(r"[\W_]*(?=[ivxlc]+\b)(c{0,3})(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})[\W_]*", re.IGNORECASE)
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}


def _roman_value(numeral: str) -> int:
    values = [_ROMAN_VALUES[c] for c in numeral.lower()]
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


def line_shape(line: str) -> tuple[str, tuple[int, ...]]:
    """
    A line's shape and its numbers: "Chapter 4: Function reference 10" -> ("Chapter #: Function reference #", (4, 10)).

    White space is collapsed. A line that is only a lower-case or upper-case Roman numeral ("iv", "- IX -") counts as
    that number, as front matter numbers its pages so; its shape sets it apart from Arabic numbers ("- #roman -").
    """
    words = " ".join(line.split())
    roman = _ROMAN_PAGE.fullmatch(words)
    if roman and any(roman.groups()):
        numeral = "".join(roman.groups())
        return words.replace(numeral, "#roman", 1), (_roman_value(numeral),)
    return _NUMBER.sub("#", words), tuple(int(n) for n in _NUMBER.findall(words))


def _edge_lines(lines: list[str], edge_lines: int) -> list[tuple[str, int]]:
    """The first and the last `edge_lines` lines holding text, each as (band, line index)."""
    filled = [i for i, line in enumerate(lines) if line.strip()]
    top = [("top", i) for i in filled[:edge_lines]]
    bottom = [("bottom", i) for i in filled[-edge_lines:] if i not in filled[:edge_lines]]
    return top + bottom


def header_footer_lines(pages: list[str], edge_lines: int = 2, min_share: float = 0.5) -> set[tuple[int, int]]:
    """
    Finds the lines that a document's layout repeats at the top or the bottom of its pages.

    Among the first and the last `edge_lines` lines of each page, a line is a header or footer when either
    - it has the shape of such lines on other pages (the same words, other numbers) and one of its numbers counts the
      pages: it grows by one from page to page ("Chapter 4: Function reference 9", then "... 10"; a page number
      alone, "9", then "10"), on all the pages with that shape, or on three of them at least, or
    - the same line, word for word, stands there on at least `min_share` of the pages (and on three at least): a
      "Confidential" or a copyright line. Its first page keeps it, as a title often stands there where later pages
      repeat it as their header.
    Anything else stays, however short: a line that merely starts two pages is text.

    :param pages: The text of each page, lines separated by line breaks.
    :param edge_lines: How many lines at the top and at the bottom of a page may be header or footer.
    :param min_share: The share of the pages an unnumbered line must be repeated on to count.
    :returns: The lines to remove, as (page index, line index within the page).
    """
    found: set[tuple[int, int]] = set()
    numbered: dict[tuple[str, str], list[tuple[int, int, tuple[int, ...]]]] = defaultdict(list)
    places: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    for page_index, page in enumerate(pages):
        lines = page.split("\n")
        for band, line_index in _edge_lines(lines, edge_lines):
            shape, numbers = line_shape(lines[line_index])
            if numbers:
                numbered[(band, shape)].append((page_index, line_index, numbers))
            places[(band, " ".join(lines[line_index].split()))].append((page_index, line_index))
    for occurrences in numbered.values():
        for position in range(len(occurrences[0][2])):
            offsets = Counter(numbers[position] - page for page, _, numbers in occurrences)
            for offset, count in offsets.items():
                # two lines that count the pages, or three when the shape has other lines too (numbers in a table)
                if count >= 3 or count == len(occurrences) >= 2:
                    found |= {(page, line) for page, line, numbers in occurrences if numbers[position] - page == offset}
    needed = max(3, min_share * len(pages))
    for lines_alike in places.values():
        if len({page for page, _ in lines_alike}) >= needed:
            first_page = lines_alike[0][0]
            found |= {(page, line) for page, line in lines_alike if page != first_page}
    return found


def remove_headers_and_footers(text: str, edge_lines: int = 2, min_share: float = 0.5) -> str:
    """
    A document's text without the headers, footers and page numbers repeated on its pages (see `header_footer_lines`).

    Pages are separated by form feeds, which stay, so every passage keeps its page number; a page that held nothing
    but a header stays as an empty page.
    """
    pages = text.split("\f")
    if len(pages) < 2:
        return text
    remove = header_footer_lines(pages, edge_lines, min_share)
    if not remove:
        return text
    kept_pages = []
    for page_index, page in enumerate(pages):
        lines = page.split("\n")
        kept = [line for line_index, line in enumerate(lines) if (page_index, line_index) not in remove]
        kept_pages.append("\n".join(kept))
    return "\f".join(kept_pages)


@component
class PageHeaderRemover:
    """
    Removes the headers, footers and page numbers that a document's layout repeats on its pages.

    Text extracted from a PDF holds, on every page, the lines the typesetter put in its margins: a running title
    with the page number ("Chapter 4: Function reference 10"), a page number alone, a copyright line. Left in, they
    cut sentences that run over a page break in two, and an answer can take them in. This component finds them by
    how they repeat: the same line with the page's number, or the same line on half the pages at least (see
    `header_footer_lines`), and removes those lines only. Form feeds stay, so page numbers stay right.

    Usage example:
    ```python
    from haystack import Document
    from extractive_qa.components.page_header_remover import PageHeaderRemover

    pages = [
        "Manual\\nThe library parses",
        "Chapter 1: Intro 2\\nASN.1 files.\\n2",
        "Chapter 1: Intro 3\\nIt is fast.\\n3",
    ]
    cleaned = PageHeaderRemover().run(documents=[Document(content="\\f".join(pages))])["documents"][0]
    assert cleaned.content == "Manual\\nThe library parses\\fASN.1 files.\\fIt is fast."
    ```
    """

    def __init__(self, edge_lines: int = 2, min_share: float = 0.5) -> None:
        """
        Creates a PageHeaderRemover.

        :param edge_lines: How many lines at the top and at the bottom of each page may be header or footer.
        :param min_share: The share of the pages (0 to 1) a line without a page number must be repeated on, word
            for word and at the same edge, to be removed; it must be on three pages at least.
        """
        if edge_lines < 1:
            raise ValueError(f"edge_lines must be at least 1, got {edge_lines}")
        if not 0.0 < min_share <= 1.0:
            raise ValueError(f"min_share must be above 0 and at most 1, got {min_share}")
        self.edge_lines = edge_lines
        self.min_share = min_share

    def to_dict(self) -> dict[str, Any]:
        """
        Serializes the component to a dictionary.

        :returns: Dictionary with serialized data.
        """
        return default_to_dict(self, edge_lines=self.edge_lines, min_share=self.min_share)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PageHeaderRemover:
        """
        Deserializes the component from a dictionary.

        :param data: Dictionary to deserialize from.
        :returns: Deserialized component.
        """
        return default_from_dict(cls, data)

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, list[Document]]:
        """
        Removes each document's repeated headers, footers and page numbers.

        :param documents: Converted documents, a PDF's pages separated by form feeds.
        :returns: A dictionary with `documents`: the same documents in order, without those lines (a new ID where the
            text changed; the meta is kept).
        """
        return {
            "documents": rewrite_contents(
                documents, lambda text: remove_headers_and_footers(text, self.edge_lines, self.min_share)
            )
        }
