"""Drops converted documents that hold no text: image-only PDF pages, empty HTML pages, blank Word files."""

from __future__ import annotations

from typing import Any

from haystack import Document, component, default_from_dict, default_to_dict


def has_text(document: Document, min_chars: int = 1) -> bool:
    """Whether a document holds at least `min_chars` visible characters (white space and form feeds do not count)."""
    if not document.content:
        return False
    if min_chars <= 1:  # the usual case: one visible character is enough, and str.isspace() scans in C
        return not document.content.isspace()
    return len("".join(document.content.split())) >= min_chars


@component
class EmptyDocumentFilter:
    """
    Passes on the documents that hold text and drops the others.

    Converters turn a source without text into a document anyway: Haystack's `PyPDFToDocument` gives an image-only
    (scanned) PDF as form feeds between empty pages, `HTMLToDocument` a page without main text as `None`. Split and
    written, such a document would become a passage without words. With this filter between the converters and the
    splitter, such a source gives no passage at all, and the indexer can say why.

    Usage example:
    ```python
    from haystack import Document
    from extractive_qa.components.empty_document_filter import EmptyDocumentFilter

    documents = [Document(content="Some text."), Document(content="\\f\\f"), Document(content=None)]
    kept = EmptyDocumentFilter().run(documents=documents)["documents"]
    assert [d.content for d in kept] == ["Some text."]
    ```
    """

    def __init__(self, min_chars: int = 1) -> None:
        """
        Creates an EmptyDocumentFilter.

        :param min_chars: The fewest visible (non-space) characters a document must hold to be kept.
        """
        if min_chars < 1:
            raise ValueError(f"min_chars must be at least 1, got {min_chars}")
        self.min_chars = min_chars

    def to_dict(self) -> dict[str, Any]:
        """
        Serializes the component to a dictionary.

        :returns: Dictionary with serialized data.
        """
        return default_to_dict(self, min_chars=self.min_chars)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EmptyDocumentFilter:
        """
        Deserializes the component from a dictionary.

        :param data: Dictionary to deserialize from.
        :returns: Deserialized component.
        """
        return default_from_dict(cls, data)

    @component.output_types(documents=list[Document])
    def run(self, documents: list[Document]) -> dict[str, list[Document]]:
        """
        Keeps the documents that hold text.

        :param documents: Converted documents.
        :returns: A dictionary with `documents`: those with at least `min_chars` visible characters, in order.
        """
        return {"documents": [document for document in documents if has_text(document, self.min_chars)]}
