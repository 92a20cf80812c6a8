"""Span selection over logits, the answer's context, and the close calls worth rechecking in fp32."""

from __future__ import annotations

import numpy as np

from extractive_qa.components.reader.spans import answer_context, best_spans, close_calls
from extractive_qa.components.reader.windows import Window


def _window(query_index: int, document_index: int, n: int = 8) -> Window:
    # token i covers characters [10 i, 10 i + 5)
    return Window(query_index, document_index, [0] * n, None, [(10 * i, 10 * i + 5) for i in range(n)], [1] * n)


def test_close_calls_picks_the_windows_holding_near_ties() -> None:
    windows = [_window(0, 0), _window(0, 1), _window(0, 2), _window(1, 3), _window(1, 4)]
    spans = [
        (0.0, [(1, 2, 5.00), (3, 3, 1.0)]),  # question 0: best span
        (0.0, [(2, 2, 4.98)]),  # question 0: within 0.05 of the best -> both rechecked
        (0.0, [(4, 5, 4.50)]),  # question 0: far below -> kept
        (0.0, [(1, 1, 7.0), (1, 2, 6.0)]),  # question 1: clear winner -> nothing to check
        (0.0, []),
    ]
    assert close_calls(windows, spans, margin=0.05) == [0, 1]
    assert close_calls(windows, spans, margin=0.6) == [0, 1, 2]
    assert close_calls(windows, spans, margin=1.5) == [0, 1, 2, 3]
    # the same span seen in two overlapping windows is one answer, not a near tie with itself
    same = [_window(0, 0), _window(0, 0)]
    assert close_calls(same, [(0.0, [(1, 2, 3.0)]), (0.0, [(1, 2, 3.01)])], margin=0.05) == []


def test_best_spans_takes_passage_tokens_only_and_ranks_by_span_logit() -> None:
    # tokens: CLS, question, SEP, passage x4, SEP
    window = Window(
        0,
        0,
        [0] * 8,
        None,
        [(0, 0)] * 3 + [(0, 3), (4, 7), (8, 11), (12, 15)] + [(0, 0)],
        [None, 0, None, 1, 1, 1, 1, None],
    )
    start = np.array([1.0, 9.0, 0.0, 2.0, 5.0, 0.0, 0.0, 9.0])
    end = np.array([0.5, 9.0, 0.0, 0.0, 1.0, 4.0, 0.0, 9.0])
    null_logit, spans = best_spans(start, end, window, max_answer_length=2, answers_per_seq=3)
    assert null_logit == 1.5
    assert spans[0] == (4, 5, 9.0)  # start token 4 + end token 5
    assert all(3 <= first <= last <= 6 and last - first < 2 for first, last, _ in spans)
    assert [s[2] for s in spans] == sorted((s[2] for s in spans), reverse=True)


def test_answer_context_widens_to_whole_words() -> None:
    text = "The quick brown fox jumps over the lazy dog"
    context, start, end = answer_context(text, text.index("fox"), text.index("fox") + 3, window=5)
    assert context == "brown fox jumps"  # 5 characters each side reach into "brown" and "jumps": whole words
    assert context[start:end] == "fox"
