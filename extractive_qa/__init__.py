"""
Extractive question answering over your own documents, built on Haystack 2.x.

```python
import extractive_qa

extractive_qa.index(["data/"])                      # once: files and folders into the store
print(extractive_qa.ask("Who ruled the Duchy of Normandy?").format())
print(extractive_qa.answer("Where do I live?", "My name is Wolfgang and I live in Berlin").best.text)
```
"""

from __future__ import annotations

from typing import Any

from extractive_qa.answers import Answer, QAResult
from extractive_qa.errors import (
    InvalidQuestion,
    InvalidSettings,
    ModelNotFound,
    NothingIndexed,
    QAError,
    StoreUnavailable,
)
from extractive_qa.indexing import IndexReport
from extractive_qa.service import QuestionAnswerer
from extractive_qa.settings import Settings

_default: QuestionAnswerer | None = None


def _answerer() -> QuestionAnswerer:
    global _default
    if _default is None:
        _default = QuestionAnswerer()
    return _default


def ask(question: str, **kwargs: Any) -> QAResult:
    """Answers a question from the indexed documents (settings from the environment); see `QuestionAnswerer.ask`."""
    return _answerer().ask(question, **kwargs)


def answer(question: str, context: str | list[str], **kwargs: Any) -> QAResult:
    """Answers a question from the given text(s), no store involved; see `QuestionAnswerer.answer`."""
    return _answerer().answer(question, context, **kwargs)


def index(paths: list[str], **kwargs: Any) -> IndexReport:
    """Indexes files and folders into the configured store; see `QuestionAnswerer.index`."""
    return _answerer().index(paths, **kwargs)


__all__ = [
    "Answer",
    "IndexReport",
    "InvalidQuestion",
    "InvalidSettings",
    "ModelNotFound",
    "NothingIndexed",
    "QAError",
    "QAResult",
    "QuestionAnswerer",
    "Settings",
    "StoreUnavailable",
    "answer",
    "ask",
    "index",
]
