"""
The passages an evaluated question is read over: its own paragraph (reader mode), or what the query pipeline's
retriever finds among the file's paragraphs (open mode), indexed as `paragraph_documents` makes them.

Usage example:
```python
from extractive_qa.evaluation.passages import own_paragraph, paragraph_documents
from extractive_qa.evaluation.squad_metric import load_squad

dataset = load_squad("dev-v2.0-heldout.json")
print(own_paragraph(dataset.questions[0])[0].meta, len(paragraph_documents(dataset)))
```
"""

from __future__ import annotations

from typing import Any

from haystack import Document, Pipeline

from extractive_qa.evaluation.squad_metric import SquadDataset, SquadQuestion


def own_paragraph(question: SquadQuestion) -> list[Document]:
    """Reader mode: the question's own paragraph, as the one document it is read over."""
    return [Document(content=question.context, meta={"title": question.title, "paragraph": question.paragraph_key})]


def paragraph_documents(dataset: SquadDataset) -> list[Document]:
    """Open mode: every paragraph of the file as a document to index, named by its paragraph key."""
    titles = {q.paragraph_key: q.title for q in dataset.questions}
    return [
        Document(content=text, meta={"title": titles.get(key, ""), "paragraph": key, "file_name": key})
        for key, text in dataset.paragraphs.items()
    ]


def retrieve(pipeline: Pipeline, question: SquadQuestion, top_k: int | None = None) -> list[Document]:
    """Open mode: the passages the pipeline's `retriever` finds for the question (`top_k`: `None` is its own)."""
    kwargs: dict[str, Any] = {"query": question.question}
    if top_k is not None:
        kwargs["top_k"] = top_k
    return pipeline.get_component("retriever").run(**kwargs)["documents"]
