"""
The no-answer decision's arithmetic, the one place it is written, for `NoAnswerThreshold` and everything that sets,
tunes, scores or shows its threshold: which values a threshold may take for each signal, which way a value passes
it, the threshold <-> confidence conversion and the no-answer probability of a value. No Haystack import, so
settings and the command line can check a threshold before anything heavy loads.

| signal | an answer passes when | a threshold is | the confidence of a value v |
|---|---|---|---|
| `null_score_diff` | its null-score difference is at most the threshold | any finite number | sigmoid(-v) |
| `score` | its score is at least the threshold | a number from 0 to 1 | v |
| `calibrated` | its answerability probability is at least the threshold | a number from 0 to 1 | v |

Usage example:
```python
from extractive_qa.components.no_answer_decision import clears, min_confidence, threshold_for_confidence
from extractive_qa.components.no_answer_decision import validate_threshold

validate_threshold(0.5, "score")  # 0.5
validate_threshold(float("nan"))  # ValueError: threshold must be a finite number, got nan
assert clears("null_score_diff", -1.0, 0.0) and not clears("score", 0.4, 0.5)
min_confidence("null_score_diff", 0.0)  # 0.5: the confidence an answer needs
threshold_for_confidence("null_score_diff", 0.5)  # 0.0
```
"""

from __future__ import annotations

import math
from typing import Any

from extractive_qa.components.utils import sigmoid

SIGNALS: tuple[str, ...] = ("null_score_diff", "score", "calibrated")
#: Signals whose values are probabilities or scores: a threshold between 0 and 1.
BOUNDED_SIGNALS = frozenset({"score", "calibrated"})


def validate_threshold(value: Any, signal: str | None = None) -> float:
    """
    A threshold as a float, refused unless it is a finite number (and from 0 to 1 for the `score` and `calibrated`
    signals; `signal=None` checks only that it is finite).

    :raises ValueError: With a message that says what was wrong and what is accepted.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"threshold must be a number, got {type(value).__name__}")
    try:
        number = float(value)
    except (ValueError, OverflowError):
        raise ValueError(f"threshold must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"threshold must be a finite number, got {value!r}")
    if signal in BOUNDED_SIGNALS and not 0.0 <= number <= 1.0:
        raise ValueError(f"threshold must be from 0 to 1 for the {signal!r} signal, got {value!r}")
    return number


def nearest_threshold(value: float, signal: str) -> float:
    """
    The threshold within the signal's range that decides as `value` does: for `score` and `calibrated`, below 0
    answers everything as 0 does, above 1 nothing as 1 does (but for a value of exactly 1, which these signals give
    only in the limit).
    """
    return min(1.0, max(0.0, value)) if signal in BOUNDED_SIGNALS else value


def clears(signal: str, value: float, threshold: float) -> bool:
    """Whether a value of the signal clears a threshold: at most it for `null_score_diff`, at least it otherwise."""
    return value <= threshold if signal == "null_score_diff" else value >= threshold


def ranking_key(signal: str, value: float) -> float:
    """
    A value of the signal turned so that smaller is more confident: a value clears a threshold when its key is at
    most the threshold's key. The key of a key is the value again.
    """
    return value if signal == "null_score_diff" else -value


def threshold_of_key(signal: str, key: float) -> float:
    """The threshold (within the signal's range) whose key is `key`: the threshold a sweep over keys chose."""
    return nearest_threshold(ranking_key(signal, key), signal)


def no_answer_probability(signal: str, value: float) -> float:
    """
    A value of the signal as the official SQuAD 2.0 metric's `na_probs` take it: larger means more likely no answer
    (the null-score difference itself; 1 minus a score or probability).
    """
    return value if signal == "null_score_diff" else 1.0 - value


def no_answer_probability_without_answer(signal: str) -> float:
    """The no-answer probability of a question without any candidate answer: above every value's."""
    return 1e9 if signal == "null_score_diff" else 1.0


def threshold_of_no_answer_probability(signal: str, probability: float) -> float:
    """The threshold of the signal that the official metric's best no-answer-probability threshold stands for."""
    return no_answer_probability(signal, probability)


def confidence(signal: str, value: float) -> float:
    """A value of the signal as a confidence from 0 to 1: sigmoid(-value) for `null_score_diff`, else the value."""
    return sigmoid(-float(value)) if signal == "null_score_diff" else float(value)


def min_confidence(signal: str, threshold: float) -> float:
    """
    The confidence an answer needs to clear a threshold of the signal: the threshold in the unit people see (for
    `null_score_diff` 0 is 50%; for `score` and `calibrated` the threshold itself).
    """
    return confidence(signal, threshold)


def threshold_for_confidence(signal: str, wanted: float) -> float:
    """The threshold of the signal that answers from the confidence `wanted` up (0 < wanted < 1)."""
    if not 0.0 < wanted < 1.0:
        raise ValueError(f"a confidence must be between 0 and 1 (exclusive), got {wanted!r}")
    return math.log((1.0 - wanted) / wanted) if signal == "null_score_diff" else float(wanted)
