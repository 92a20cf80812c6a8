"""
Small helpers that several components share (and the application may use): the SQuAD answer normalization, a
numerically safe logistic function, and documents with their text rewritten.

Usage example:
```python
from haystack import Document
from extractive_qa.components.utils import normalize_answer, rewrite_contents, sigmoid

normalize_answer("The Eiffel Tower!")  # "eiffel tower"
sigmoid(0.0)  # 0.5
rewrite_contents([Document(content="a b")], str.upper)[0].content  # "A B"
```
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only a type here, so that the logistic function loads without Haystack
    from haystack import Document

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


def rewrite_contents(documents: list[Document], rewrite: Callable[[str], str]) -> list[Document]:
    """
    The documents in order, each with its text passed through `rewrite`.

    A document whose text does not change, or that has none, is passed on as it is; one whose text changes is a new
    document with the same meta and a new ID (computed from its new content).
    """
    rewritten = []
    for document in documents:
        text = rewrite(document.content) if document.content else document.content
        rewritten.append(document if text == document.content else replace(document, id="", content=text))
    return rewritten
