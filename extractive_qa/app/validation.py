"""
The checks every way in (CLI, Python, HTTP, MCP) applies to a question and its numbers, with one message each.

`QuestionAnswerer.ask` and `answer` apply them, whichever way a question came; the HTTP and MCP schemas state the
same bounds from these constants (`extractive_qa.http.models`: `TopK`, `RetrieverTopK`).
"""

from __future__ import annotations

from typing import Any

from extractive_qa.errors import InvalidQuestion

#: The answers a question gets unless it asks for another number (`top_k`), from the Python API, HTTP and MCP.
DEFAULT_TOP_K = 5
#: The most answers one question may ask for (`top_k`), whatever the way in.
MAX_TOP_K = 100
#: The most passages the reader may read for one question (`retriever_top_k`), whatever the way in.
MAX_RETRIEVER_TOP_K = 50


def validate_question(question: Any, max_chars: int) -> str:
    """Returns the question stripped of surrounding white space, or raises `InvalidQuestion`."""
    if not isinstance(question, str):
        raise InvalidQuestion(f"the question must be text, got {type(question).__name__}")
    stripped = question.strip()
    if not stripped:
        raise InvalidQuestion("the question is empty")
    if len(stripped) > max_chars:
        raise InvalidQuestion(f"the question is too long ({len(stripped)} characters; the limit is {max_chars})")
    return stripped


def validate_count(value: Any, name: str, limit: int) -> int:
    """Returns `value` when it is a whole number from 1 to `limit`, or raises `InvalidQuestion` naming it."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidQuestion(f"{name} must be a whole number, got {value!r}")
    if not 1 <= value <= limit:
        raise InvalidQuestion(f"{name} must be between 1 and {limit}, got {value}")
    return value
