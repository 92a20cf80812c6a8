"""
The reader's model input: (question, passage) windows, and batches of them that carry no padding on CPU.

A passage longer than the model's input is cut into overlapping windows (`stride` tokens shared), each one row of
the model's input. `plan_batches` groups windows of similar length, `spread_over_workers` cuts the groups so that
several CPU workers share the work, and `batch_arrays` turns each group into the arrays the model reads.

Usage example:
```python
from haystack import Document
from transformers import AutoTokenizer

from extractive_qa.components.reader.windows import batch_arrays, plan_batches, tokenize_windows

tokenizer = AutoTokenizer.from_pretrained("deepset/roberta-base-squad2")
windows, documents = tokenize_windows(tokenizer, ["Who?"], [[Document(content="Ada wrote it.")]], 384, 128)
plan = plan_batches([len(w.input_ids) for w in windows], max_batch_size=16)
arrays = batch_arrays(windows, plan, pad_id=tokenizer.pad_token_id)
```
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from haystack import Document, logging

logger = logging.getLogger(__name__)


@dataclass
class Window:
    """One tokenized (question, passage) window: a single row of the model's input."""

    query_index: int
    document_index: int
    input_ids: list[int]
    token_type_ids: list[int] | None
    offsets: list[tuple[int, int]]
    sequence_ids: list[int | None]

    def model_inputs(self) -> dict[str, list[list[int]]]:
        """The window alone as a batch of one, for the model."""
        inputs: dict[str, list[list[int]]] = {"input_ids": [self.input_ids]}
        if self.token_type_ids is not None:
            inputs["token_type_ids"] = [self.token_type_ids]
        return inputs


def truncate_query(tokenizer: Any, query: str, max_query_length: int) -> str:
    """The question cut to its first `max_query_length` tokens (as text), or as it is when it is short enough."""
    offsets = tokenizer(query, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]
    if len(offsets) <= max_query_length:
        return query
    logger.warning("The question has {n} tokens; only the first {m} are used.", n=len(offsets), m=max_query_length)
    return query[: offsets[max_query_length - 1][1]]


def tokenize_windows(
    tokenizer: Any, queries: list[str], documents: list[list[Document]], max_seq_length: int, stride: int
) -> tuple[list[Window], list[Document]]:
    """
    Tokenizes every (question, document) pair into windows of at most `max_seq_length` tokens.

    :param tokenizer: A fast Hugging Face tokenizer (its offsets map answers back to the text).
    :param queries: The questions.
    :param documents: The documents of each question.
    :param max_seq_length: The most tokens in one window (question, passage and special tokens).
    :param stride: The tokens neighbouring windows of one passage share.
    :returns: The windows, and the documents they point into (`Window.document_index`); documents without text
        are left out.
    """
    pair_queries: list[str] = []
    pair_texts: list[str] = []
    pair_query_index: list[int] = []
    flat_documents: list[Document] = []
    for query_index, (query, docs) in enumerate(zip(queries, documents, strict=True)):
        for doc in docs:
            if not doc.content or not doc.content.strip():
                logger.warning("Document {doc_id} has no text and is ignored.", doc_id=doc.id)
                continue
            pair_queries.append(query)
            pair_texts.append(doc.content)
            pair_query_index.append(query_index)
            flat_documents.append(doc)
    if not pair_texts:
        return [], flat_documents
    encoded = tokenizer(
        pair_queries,
        pair_texts,
        truncation="only_second",
        max_length=max_seq_length,
        stride=stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
        padding=False,
    )
    uses_token_types = "token_type_ids" in tokenizer.model_input_names and "token_type_ids" in encoded
    windows = [
        Window(
            query_index=pair_query_index[pair_index],
            document_index=pair_index,
            input_ids=encoded["input_ids"][row],
            token_type_ids=encoded["token_type_ids"][row] if uses_token_types else None,
            offsets=encoded["offset_mapping"][row],
            sequence_ids=encoded.sequence_ids(row),
        )
        for row, pair_index in enumerate(encoded["overflow_to_sample_mapping"])
    ]
    return windows, flat_documents


def plan_batches(lengths: Sequence[int], max_batch_size: int, max_padding: float = 0.0) -> list[list[int]]:
    """
    Groups windows into batches of similar length, so that padding costs (almost) nothing.

    Windows are taken shortest first; a batch grows while it has fewer than `max_batch_size` windows and its padded
    size (windows x the longest window) exceeds the windows' total length by at most `max_padding` of that total.

    :param lengths: The length of each window, in tokens.
    :param max_batch_size: The most windows in one batch.
    :param max_padding: The padding allowed in a batch, as a fraction of its real tokens (0: none at all).
    :returns: The batches, as lists of window indices.

    Usage example:
    ```python
    plan_batches([5, 3, 5, 4], max_batch_size=8)  # [[1], [3], [0, 2]]
    ```
    """
    if max_batch_size < 1:
        raise ValueError(f"max_batch_size must be at least 1, got {max_batch_size}")
    if max_padding < 0:
        raise ValueError(f"max_padding must not be negative, got {max_padding}")
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    batches: list[list[int]] = []
    current: list[int] = []
    total = 0
    for index in order:
        n = lengths[index]
        if current:
            # sorted ascending: the newcomer is the longest, so it sets the batch's width
            grown_total = total + n
            if len(current) < max_batch_size and n * (len(current) + 1) - grown_total <= max_padding * grown_total:
                current.append(index)
                total = grown_total
                continue
            batches.append(current)
        current, total = [index], n
    if current:
        batches.append(current)
    return batches


def spread_over_workers(plan: list[list[int]], workers: int) -> list[list[int]]:
    """
    Cuts batches so that `workers` running side by side share the windows: no batch holds more than an even share.

    Usage example:
    ```python
    spread_over_workers([[0, 1, 2, 3], [4]], workers=2)  # [[0, 1, 2], [3], [4]]
    ```
    """
    if workers <= 1:
        return plan
    share = max(1, math.ceil(sum(len(batch) for batch in plan) / workers))
    return [batch[i : i + share] for batch in plan for i in range(0, len(batch), share)]


def batch_arrays(windows: Sequence[Window], plan: list[list[int]], pad_id: int) -> list[dict[str, np.ndarray]]:
    """
    The model's input arrays for each planned batch: `input_ids`, `attention_mask` only where a batch is padded,
    and `token_type_ids` for models that use them.
    """
    batches: list[dict[str, np.ndarray]] = []
    for batch_indices in plan:
        batch = [windows[i] for i in batch_indices]
        width = max(len(window.input_ids) for window in batch)
        input_ids = np.full((len(batch), width), pad_id, dtype=np.int64)
        attention_mask = np.zeros((len(batch), width), dtype=np.int64)
        token_type_ids = np.zeros((len(batch), width), dtype=np.int64)
        for row, window in enumerate(batch):
            n = len(window.input_ids)
            input_ids[row, :n] = window.input_ids
            attention_mask[row, :n] = 1
            if window.token_type_ids is not None:
                token_type_ids[row, :n] = window.token_type_ids
        inputs: dict[str, np.ndarray] = {"input_ids": input_ids}
        if not attention_mask.all():
            inputs["attention_mask"] = attention_mask
        if batch[0].token_type_ids is not None:
            inputs["token_type_ids"] = token_type_ids
        batches.append(inputs)
    return batches
