"""
Small helpers that several components share (and the application may use): the SQuAD answer normalization and a
numerically safe logistic function.

Usage example:
```python
from extractive_qa.components.utils import normalize_answer, sigmoid

normalize_answer("The Eiffel Tower!")  # "eiffel tower"
sigmoid(0.0)  # 0.5
```
"""

from __future__ import annotations

import math
import re
import string

_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCTUATION = frozenset(string.punctuation)


def normalize_answer(text: str) -> str:
    """Lower case, no punctuation, no articles (a, an, the), single spaces: the SQuAD normalization."""
    without_punctuation = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", without_punctuation).split())


def sigmoid(x: float) -> float:
    """The logistic function 1 / (1 + e^-x), without overflow for large negative `x`."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)
