"""
Running a reader over the questions that have no stored record yet, batch by batch, appending each batch's records as
it is done (so an interrupted run resumes): one loop for the pipeline's reader and for Haystack's stock reader, which
differ only in how a batch is read (`read_with_pipeline`, `read_with_stock`).

Usage example:
```python
from functools import partial
from extractive_qa.evaluation.passages import own_paragraph
from extractive_qa.evaluation.predictions import predict, read_with_stock

def passages(questions):
    return [own_paragraph(q) for q in questions]

seconds = predict(dataset, records, partial(read_with_stock, stock, passages=passages), batch_size=32, desc="stock")
```
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from haystack import Document, Pipeline

from extractive_qa.app.pipeline_loader import read_documents
from extractive_qa.evaluation.records import RecordFile, pipeline_record, stock_record
from extractive_qa.evaluation.squad_metric import SquadDataset, SquadQuestion
from extractive_qa.utils import batched

Passages = Callable[[list[SquadQuestion]], list[list[Document]]]
"""The passages each question of a batch is read over (`passages.own_paragraph`, or retrieval in open mode)."""
ReadBatch = Callable[[list[SquadQuestion]], list[dict[str, Any]]]
"""Reads a batch of questions and returns their records."""


def pending(dataset: SquadDataset, records: RecordFile) -> list[SquadQuestion]:
    """The questions of `dataset` without a record computed for them."""
    return [q for q in dataset.questions if records.get(q) is None]


def predict(
    dataset: SquadDataset,
    records: RecordFile,
    read: ReadBatch,
    *,
    batch_size: int = 32,
    desc: str = "ours",
    progress: bool = True,
    prepare: Callable[[], Any] | None = None,
) -> float:
    """
    Reads the questions of `dataset` that have no record yet in batches of `batch_size` and appends their records.

    :param read: Reads one batch (`read_with_pipeline`, `read_with_stock`).
    :param desc: The progress bar's label.
    :param progress: Whether to show the progress bar.
    :param prepare: Called once before the first batch when there is work (indexing, loading a model); not timed.
    :returns: The seconds spent reading (0 when every question had its record).
    """
    from tqdm import tqdm

    todo = pending(dataset, records)
    if not todo:
        return 0.0
    if prepare is not None:
        prepare()
    started = time.perf_counter()
    bar = tqdm(total=len(dataset), initial=len(dataset) - len(todo), unit="q", desc=desc, disable=not progress)
    try:
        for batch in batched(todo, batch_size):
            records.extend(read(batch))
            bar.update(len(batch))
    finally:
        bar.close()
    return time.perf_counter() - started


def read_with_pipeline(
    pipeline: Pipeline, questions: list[SquadQuestion], *, passages: Passages, keep_passages: bool = False
) -> list[dict[str, Any]]:
    """
    The pipeline's reader output for a batch, before the no-answer decision (`records.pipeline_record`); each
    question's seconds are the batch's (passages and reading) shared out.

    :param keep_passages: Open mode: the records keep the passages read, with their retrieval scores.
    """
    started = time.perf_counter()
    documents = passages(questions)
    answers = read_documents(pipeline, [q.question for q in questions], documents, decide=False)
    seconds = (time.perf_counter() - started) / len(questions)
    return [
        pipeline_record(question, found, seconds, docs if keep_passages else None)
        for question, found, docs in zip(questions, answers, documents, strict=True)
    ]


def read_with_stock(stock: Any, questions: list[SquadQuestion], *, passages: Passages) -> list[dict[str, Any]]:
    """The stock reader's output for a batch, one question at a time (`records.stock_record`, timed alone)."""
    found = []
    for question, documents in zip(questions, passages(questions), strict=True):
        started = time.perf_counter()
        answers = stock.run(query=question.question, documents=documents)["answers"]
        found.append(stock_record(question, answers, time.perf_counter() - started))
    return found
