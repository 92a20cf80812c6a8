"""
Gives every passage the page its text ends on, counted in the document it was split from: the same `page_number`
under Haystack 2.x and Haystack 3, whose splitters count differently.
"""

from __future__ import annotations

import bisect
from dataclasses import replace
from typing import Any

from haystack import Document, component, default_from_dict, default_to_dict

PAGE_BREAK = "\f"


def page_breaks(source_content: str) -> list[int]:
    """The positions of a document's page breaks (form feeds), ascending: found once per document."""
    breaks = []
    position = source_content.find(PAGE_BREAK)
    while position != -1:
        breaks.append(position)
        position = source_content.find(PAGE_BREAK, position + 1)
    return breaks


def passage_end_page(breaks: list[int], start: int, passage_content: str) -> int:
    """
    The page the last character of a passage that is no page break stands on (pages are separated by form feeds).

    A passage of page breaks alone stands on the page it starts on.

    :param breaks: The page breaks of the document the passage was split from (`page_breaks`).
    :param start: Where the passage starts in it (the splitter's `split_idx_start`).
    :param passage_content: The passage's text.
    """
    end = start + len(passage_content.rstrip(PAGE_BREAK))
    return 1 + bisect.bisect_left(breaks, end)


@component
class PassagePageNumbers:
    """
    Sets each passage's `meta["page_number"]` to the page its text ends on, counted in the document it was split from.

    Haystack 2.x's `RecursiveDocumentSplitter` gives a passage the page its text ends on; Haystack 3's gives the page
    it starts on. Between the splitter and the writer, this component makes the stored number the same under both
    majors (2.x's: what stores indexed under 2.x hold, and what `extractive_qa.answers.span_page` counts back from to
    the page of an answer's span). Passages keep their ids; those whose source is not given, that have no
    `page_number` or no `split_idx_start`, are passed on as they are.

    Usage example:
    ```python
    from haystack import Document
    from extractive_qa.components.passage_page_numbers import PassagePageNumbers

    source = Document(content="Page one.\\fPage two.\\fPage three.")
    passage = Document(
        content="Page two.\\fPage three.", meta={"source_id": source.id, "split_idx_start": 10, "page_number": 2}
    )
    fixed = PassagePageNumbers().run(documents=[passage], sources=[source])["documents"]
    assert fixed[0].meta["page_number"] == 3 and fixed[0].id == passage.id
    ```
    """

    def to_dict(self) -> dict[str, Any]:
        """
        Serializes the component to a dictionary.

        :returns: Dictionary with serialized data.
        """
        return default_to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PassagePageNumbers:
        """
        Deserializes the component from a dictionary.

        :param data: Dictionary to deserialize from.
        :returns: Deserialized component.
        """
        return default_from_dict(cls, data)

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document], sources: list[Document] | None = None) -> dict[str, list[Document]]:
        """
        Sets the passages' page numbers.

        :param documents: The splitter's passages.
        :param sources: The documents they were split from (the splitter's input).
        :returns: A dictionary with `documents`: the passages, in order, with the same ids.
        """
        by_id = {source.id: source for source in sources or []}
        breaks_of: dict[str, list[int]] = {}  # per source, found once: a count per passage would be quadratic
        passages = []
        for passage in documents:
            meta = passage.meta
            source = by_id.get(meta.get("source_id") or meta.get("parent_id"))
            start = meta.get("split_idx_start")
            if (
                source is None
                or source.content is None
                or passage.content is None
                or "page_number" not in meta
                or not isinstance(start, int)
            ):
                passages.append(passage)
                continue
            if source.id not in breaks_of:
                breaks_of[source.id] = page_breaks(source.content)
            page = passage_end_page(breaks_of[source.id], start, passage.content)
            if page == meta["page_number"]:
                passages.append(passage)
            else:
                passages.append(replace(passage, meta={**meta, "page_number": page}))  # the id is kept
        return {"documents": passages}
