"""EmptyDocumentFilter: documents without text are dropped, in a pipeline and through YAML."""

from __future__ import annotations

import pytest
from haystack import Document, Pipeline

from extractive_qa.components.empty_document_filter import EmptyDocumentFilter, has_text
from extractive_qa.testing.haystack_major import TRUST_COMPONENTS


def test_documents_without_visible_text_are_dropped_in_order() -> None:
    documents = [
        Document(content="First."),
        Document(content="\f\f\n  \t"),  # an image-only PDF as PyPDFToDocument gives it
        Document(content=None),  # HTMLToDocument's page without main text
        Document(content=""),
        Document(content="\fLast page."),
    ]
    kept = EmptyDocumentFilter().run(documents=documents)["documents"]
    assert [d.content for d in kept] == ["First.", "\fLast page."]


def test_min_chars() -> None:
    assert not has_text(Document(content=" a b "), min_chars=3) and has_text(Document(content="a b c"), min_chars=3)
    assert EmptyDocumentFilter(min_chars=3).run(documents=[Document(content="ab")])["documents"] == []
    with pytest.raises(ValueError, match="at least 1"):
        EmptyDocumentFilter(min_chars=0)


def test_round_trips_through_yaml() -> None:
    pipeline = Pipeline()
    pipeline.add_component("empty_filter", EmptyDocumentFilter(min_chars=2))
    loaded = Pipeline.loads(pipeline.dumps(), **TRUST_COMPONENTS)
    component = loaded.get_component("empty_filter")
    assert isinstance(component, EmptyDocumentFilter) and component.min_chars == 2
    assert component.to_dict() == EmptyDocumentFilter(min_chars=2).to_dict()
