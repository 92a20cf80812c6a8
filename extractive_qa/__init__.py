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

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names below load on first use, so that `extractive-qa --help` imports nothing heavy
    from extractive_qa.answers import Answer, QAResult
    from extractive_qa.app.question_answerer import QuestionAnswerer
    from extractive_qa.errors import (
        InvalidQuestion,
        InvalidSettings,
        ModelNotFound,
        NothingIndexed,
        QAError,
        StoreUnavailable,
    )
    from extractive_qa.indexing.report import IndexReport
    from extractive_qa.settings import Settings

_LAZY = {
    "Answer": "extractive_qa.answers",
    "QAResult": "extractive_qa.answers",
    "QuestionAnswerer": "extractive_qa.app.question_answerer",
    "IndexReport": "extractive_qa.indexing.report",
    "Settings": "extractive_qa.settings",
    **dict.fromkeys(
        ("InvalidQuestion", "InvalidSettings", "ModelNotFound", "NothingIndexed", "QAError", "StoreUnavailable"),
        "extractive_qa.errors",
    ),
}

_default: QuestionAnswerer | None = None


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'extractive_qa' has no attribute {name!r}")


def _answerer() -> QuestionAnswerer:
    global _default
    if _default is None:
        from extractive_qa.app.question_answerer import QuestionAnswerer

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
