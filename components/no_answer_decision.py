"""
The no-answer decision's rules, for `NoAnswerThreshold` and everything that sets or shows its threshold: which values
a threshold may take for each signal. No Haystack import, so settings and the command line can check a threshold
before anything heavy loads.

| signal | an answer passes when | a threshold is |
|---|---|---|
| `null_score_diff` | its null-score difference is at most the threshold | any finite number |
| `score` | its score is at least the threshold | a number from 0 to 1 |
| `calibrated` | its answerability probability is at least the threshold | a number from 0 to 1 |

Usage example:
```python
from extractive_qa.components.no_answer_decision import validate_threshold

validate_threshold(0.5, "score")  # 0.5
validate_threshold(float("nan"))  # ValueError: threshold must be a finite number, got nan
```
"""

from __future__ import annotations

import math
from typing import Any

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
