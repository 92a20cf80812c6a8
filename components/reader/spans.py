"""
Answer spans from a window's start and end logits, the no-answer evidence, and the close calls worth rechecking.

Plain numpy over the logits of one window at a time (`best_spans`, on CPU), the same for a whole batch on the device
its logits are on (`best_spans_batch`, on a GPU), the text around an answer (`answer_context`), and the questions
whose best two answers are near ties (`close_calls`), whose windows the reader runs again in fp32.

Usage example:
```python
import numpy as np

from extractive_qa.components.reader.spans import best_spans

# window: a `Window` from `tokenize_windows`; start, end: its logits
null_logit, spans = best_spans(start, end, window, max_answer_length=30, answers_per_seq=20)
```
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from extractive_qa.components.reader.windows import Window

#: A span as (first token, last token, span logit = start logit + end logit).
Span = tuple[int, int, float]


def best_spans(
    start: np.ndarray, end: np.ndarray, window: Window, max_answer_length: int, answers_per_seq: int
) -> tuple[float, list[Span]]:
    """
    The window's null logit (CLS start + end) and its best spans inside the passage, best first.

    :param start: The window's start logits (one per token, no padding).
    :param end: The window's end logits.
    :param window: The window (which tokens belong to the passage).
    :param max_answer_length: The longest span, in tokens.
    :param answers_per_seq: The most spans returned.
    """
    context = np.array([i for i, s in enumerate(window.sequence_ids) if s == 1], dtype=np.int64)
    null_logit = float(start[0] + end[0])  # CLS sits first for BERT- and RoBERTa-style tokenizers
    if context.size == 0:
        return null_logit, []
    # Context tokens of one window are contiguous, so a span of length l is start[i] + end[i + l].
    s = start[context]
    e = end[context]
    n = context.size
    longest = min(max_answer_length, n)
    scores = np.full((longest, n), -np.inf, dtype=np.float64)
    for length in range(longest):
        scores[length, : n - length] = s[: n - length] + e[length:]
    flat = scores.ravel()
    k = min(answers_per_seq, int(np.isfinite(flat).sum()))
    top = np.argpartition(-flat, k - 1)[:k]
    top = top[np.argsort(-flat[top])]
    spans = []
    for index in top:
        length, first = divmod(int(index), n)
        spans.append((int(context[first]), int(context[first + length]), float(flat[index])))
    return null_logit, spans


def best_spans_batch(
    start: Any, end: Any, windows: Sequence[Window], searches: Sequence[Any]
) -> list[tuple[float, list[Span]]]:
    """
    `best_spans` for a whole batch at once, on the device its logits are on (a GPU): the span scores of every window
    are formed and ranked there, and only each window's best spans come back.

    :param start: The batch's start logits, a float tensor shaped (windows, tokens), padded rows allowed.
    :param end: The batch's end logits.
    :param windows: The batch's windows, in row order.
    :param searches: Each window's span search (`max_answer_length`, `answers_per_seq`).
    :returns: Each window's null logit and best spans, best first, as `best_spans` gives them.
    """
    import torch

    rows, width = start.shape
    device = start.device
    first_context = []
    after_context = []
    for window in windows:
        context = [i for i, s in enumerate(window.sequence_ids) if s == 1]
        first_context.append(context[0] if context else 0)
        after_context.append(context[-1] + 1 if context else 0)
    longest = max(search.max_answer_length for search in searches)
    longest = max(1, min(longest, width))
    c0 = torch.tensor(first_context, device=device).view(rows, 1, 1)
    c1 = torch.tensor(after_context, device=device).view(rows, 1, 1)
    max_length = torch.tensor([s.max_answer_length for s in searches], device=device).view(rows, 1, 1)
    start = start.float()
    end = end.float()
    scores = torch.full((rows, longest, width), float("-inf"), device=device)
    for length in range(longest):
        scores[:, length, : width - length] = start[:, : width - length] + end[:, length:]
    position = torch.arange(width, device=device).view(1, 1, width)
    lengths = torch.arange(longest, device=device).view(1, longest, 1)
    valid = (position >= c0) & (position + lengths < c1) & (lengths < max_length)
    scores = scores.masked_fill(~valid, float("-inf")).view(rows, -1)
    k = min(max(search.answers_per_seq for search in searches), scores.shape[1])
    values, indices = torch.topk(scores, k, dim=1)
    null = (start[:, 0] + end[:, 0]).cpu().numpy()
    values_np = values.cpu().numpy()
    indices_np = indices.cpu().numpy()
    results: list[tuple[float, list[Span]]] = []
    for row, search in enumerate(searches):
        spans: list[Span] = []
        for value, index in zip(values_np[row], indices_np[row], strict=True):
            if len(spans) == search.answers_per_seq or not np.isfinite(value):
                break
            length, first = divmod(int(index), width)
            spans.append((first, first + length, float(value)))
        results.append((float(null[row]), spans))
    return results


def answer_context(text: str, start: int, end: int, window: int) -> tuple[str, int, int]:
    """
    The text around `text[start:end]`, `window` characters on each side widened to whole words, and the answer's
    offsets inside it.
    """
    left = max(0, start - window)
    right = min(len(text), end + window)
    while left > 0 and not text[left - 1].isspace():
        left -= 1
    while right < len(text) and not text[right].isspace():
        right += 1
    return text[left:right], start - left, end - left


def close_calls(windows: list[Window], window_spans: list[tuple[float, list[Span]]], margin: float) -> list[int]:
    """
    The windows to run again in full precision: for every question whose best and next-best answers (distinct
    character spans, over all its windows) are within `margin` logits, the windows holding a span that close to
    the best. Rounding moves span logits by far less than the margin, so no other span can become the best.

    :param windows: The windows read.
    :param window_spans: Each window's `best_spans`.
    :param margin: The logit gap under which two answers are a close call.
    :returns: The indices of the windows to run again, ascending.
    """
    # question -> (document, char start, char end) -> (best span logit, windows holding it)
    spans_by_query: dict[int, dict[tuple[int, int, int], tuple[float, set[int]]]] = {}
    for index, (window, (_, spans)) in enumerate(zip(windows, window_spans, strict=True)):
        found = spans_by_query.setdefault(window.query_index, {})
        for start_token, end_token, span_logit in spans:
            key = (window.document_index, window.offsets[start_token][0], window.offsets[end_token][1])
            if key[2] <= key[1]:
                continue
            best, holders = found.get(key, (-math.inf, set()))
            found[key] = (max(best, span_logit), holders | {index})
    recheck: set[int] = set()
    for found in spans_by_query.values():
        ranked = sorted(found.values(), key=lambda entry: entry[0], reverse=True)
        if len(ranked) < 2 or ranked[0][0] - ranked[1][0] >= margin:
            continue
        for span_logit, holders in ranked:
            if ranked[0][0] - span_logit >= margin:
                break
            recheck |= holders
    return sorted(recheck)
