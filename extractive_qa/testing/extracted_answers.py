"""
Answers as the reader gives them (Haystack's `ExtractedAnswer`), built by hand for the tests of what comes after the
reader: a span of a passage with its offsets and context, and the no-answer entry (`data=None`).

Usage example:
```python
from haystack import Document

from extractive_qa.testing.extracted_answers import no_answer_entry, span_answer

passage = Document(content="The engine was built in Tallinn.")
answers = [
    span_answer(passage, "Tallinn", query="Where was it built?", meta={"null_score_diff": -2.0}),
    no_answer_entry(query="Where was it built?", meta={"null_score_diff": -2.0}),
]
print(answers[0].document_offset, answers[1].data)  # Span(start=24, end=31) None
```
"""

from __future__ import annotations

from typing import Any

from haystack import Document, ExtractedAnswer


def span_answer(
    document: Document,
    text: str,
    *,
    query: str = "q",
    score: float = 0.7,
    start: int | None = None,
    meta: dict[str, Any] | None = None,
) -> ExtractedAnswer:
    """
    The reader's answer `text`, a span of `document` (whose whole content is the context).

    :param start: Where the span starts in the content; by default where `text` first occurs.
    :param meta: The answer's meta, for example the reader's `null_score_diff`.
    :raises ValueError: `text` is not in the document's content, or not at `start`.
    """
    content = document.content or ""
    start = content.index(text) if start is None else start
    end = start + len(text)
    if content[start:end] != text:
        raise ValueError(f"{text!r} is not at {start} in the document")
    return ExtractedAnswer(
        query=query,
        score=score,
        data=text,
        document=document,
        document_offset=ExtractedAnswer.Span(start, end),
        context=content,
        context_offset=ExtractedAnswer.Span(start, end),
        meta=dict(meta or {}),
    )


def no_answer_entry(*, query: str = "q", score: float = 0.1, meta: dict[str, Any] | None = None) -> ExtractedAnswer:
    """The reader's no-answer entry: no text, the reader's no-answer score, and `meta` (e.g. `null_score_diff`)."""
    return ExtractedAnswer(query=query, score=score, data=None, meta=dict(meta or {}))
