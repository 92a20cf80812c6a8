"""Joins the words that a PDF's layout hyphenated at a line break ("manip-\\nulation" -> "manipulation")."""

from __future__ import annotations

import re
from typing import Any

from haystack import Document, component, default_from_dict, default_to_dict

from extractive_qa.components.utils import rewrite_contents

_LETTERS = r"[^\W\d_]+"
#: A word broken at the end of a line: letters, a hyphen, the line break, letters, then what sticks to them on the
#: second line (punctuation) and the spaces after it.
_BROKEN_WORD = re.compile(rf"({_LETTERS})-[ \t]*\n[ \t]*({_LETTERS})(\S*)[ \t]*")
#: Words as they stand in running text, hyphenated compounds ("well-known") as one word.
_WORD = re.compile(rf"{_LETTERS}(?:-{_LETTERS})*")


def document_vocabulary(text: str) -> set[str]:
    """The words of a text, lower-cased, as they appear away from line-break hyphens (compounds whole and in parts)."""
    unbroken = _BROKEN_WORD.sub(" ", text)
    words = {word.lower() for word in _WORD.findall(unbroken)}
    return words | {part for word in words if "-" in word for part in word.split("-")}


def join_line_break_hyphens(text: str) -> str:
    """
    Joins the words that were hyphenated at line breaks, deciding each one by the text's own words.

    A word broken as "left-" and "right" becomes "leftright" unless the text writes "left-right" elsewhere (and never
    "leftright"), or, when it writes neither, both "left" and "right" are words of the text: then it stays "left-right"
    (a compound such as "well-known", broken at its own hyphen). The line break moves to after the word, so the text
    keeps its lines: "manip-\\nulation of data" becomes "manipulation\\nof data".
    """
    if "-" not in text:
        return text
    vocabulary = document_vocabulary(text)

    def joined(match: re.Match[str]) -> str:
        left, right, tail = match.groups()
        whole, compound = (left + right).lower(), f"{left}-{right}".lower()
        if compound in vocabulary and whole not in vocabulary:
            keep_hyphen = True
        elif whole in vocabulary:
            keep_hyphen = False
        else:
            keep_hyphen = left.lower() in vocabulary and right.lower() in vocabulary
        line_ends = match.string[match.end() : match.end() + 1] in ("", "\n", "\r", "\f")
        return (f"{left}-{right}" if keep_hyphen else f"{left}{right}") + tail + ("" if line_ends else "\n")

    text, joins = _BROKEN_WORD.subn(joined, text)
    if joins:  # a second pass for a word broken over three lines, whose middle the first one consumed
        text = _BROKEN_WORD.sub(joined, text)
    return text


@component
class LineBreakDehyphenator:
    """
    Joins the words that a document's layout hyphenated at the end of a line.

    Text extracted from a PDF keeps the typesetter's line breaks, with the hyphens of words broken across two lines
    ("manip-\\nulation"). Left so, BM25 finds neither half when asked about "manipulation", and an answer can end in
    the middle of a word. This component puts each such word back together on the first of its lines; a compound
    that the document writes with its hyphen elsewhere ("well-known") keeps it (see `join_line_break_hyphens`).
    Words broken across a page break (a form feed) are left as they are, so page numbers stay right.

    Usage example:
    ```python
    from haystack import Document
    from extractive_qa.components.line_break_dehyphenator import LineBreakDehyphenator

    document = Document(content="Libtasn1 is a library for ASN manip-\\nulation. It is well-known, and well-\\nknown.")
    cleaned = LineBreakDehyphenator().run(documents=[document])["documents"][0]
    assert cleaned.content == "Libtasn1 is a library for ASN manipulation.\\nIt is well-known, and well-known."
    ```
    """

    def to_dict(self) -> dict[str, Any]:
        """
        Serializes the component to a dictionary.

        :returns: Dictionary with serialized data.
        """
        return default_to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LineBreakDehyphenator:
        """
        Deserializes the component from a dictionary.

        :param data: Dictionary to deserialize from.
        :returns: Deserialized component.
        """
        return default_from_dict(cls, data)

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, list[Document]]:
        """
        Joins the line-break hyphens of each document's text.

        :param documents: Converted documents (a PDF's pages separated by form feeds).
        :returns: A dictionary with `documents`: the same documents in order, each with its words whole again (a new
            ID where the text changed; the meta is kept).
        """
        return {"documents": rewrite_contents(documents, join_line_break_hyphens)}
