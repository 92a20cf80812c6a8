"""
Answer spans from a window's start and end logits, the no-answer evidence, and the close calls worth rechecking.

Plain numpy over the logits of one window at a time (`best_spans`), the text around an answer (`answer_context`), and
the questions whose best two answers are near ties (`close_calls`), whose windows the reader runs again in fp32.

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
