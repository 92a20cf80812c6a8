"""Texts given in memory (an HTTP request body, a Python list) to index: their checks, names and metadata."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from extractive_qa.errors import InvalidText
from extractive_qa.indexing.names import name_problem
from extractive_qa.store.sources import SOURCE_META_KEYS

# Metadata the indexing pipeline sets itself; a text's own metadata may not use these keys.
RESERVED_META_KEYS = frozenset(
    {"file_path", "file_name", "source_id", "parent_id", "split_id", "split_idx_start", "page_number", "encoding"}
    | SOURCE_META_KEYS
)


@dataclass(frozen=True)
class Text:
    """One text to index: its content, the name that identifies it in the store, and its own metadata."""

    content: str
    name: str
    meta: dict[str, Any]


def text_name(content: str) -> str:
    """The name of a text that was given without one: a digest of its content."""
    return "text-" + hashlib.sha256(content.encode("utf-8")).hexdigest()[:16]


def as_text(given: str | Mapping[str, Any], position: int, field: str = "texts") -> Text:
    """
    Checks one given text and returns it as a `Text`.

    :param given: A string, or a mapping with `content` and optionally `name` and `meta`.
    :param position: The text's position in its request, used in error messages (`texts[2].content`).
    :param field: The name of the list in error messages.
    :raises InvalidText: When the content is missing, not text or blank, or the metadata is not a mapping of
        names to values, or uses a key the pipeline sets itself.
    """
    where = f"{field}[{position}]"
    if isinstance(given, str):
        given = {"content": given}
    if not isinstance(given, Mapping):
        raise InvalidText(f"{where} must be text or an object with 'content', got {type(given).__name__}")
    content = given.get("content")
    if not isinstance(content, str):
        raise InvalidText(f"{where}.content must be text, got {type(content).__name__}")
    if not content.strip():
        raise InvalidText(f"{where}.content is empty")
    meta = given.get("meta")
    if meta is None:
        meta = {}
    if not isinstance(meta, Mapping):
        raise InvalidText(f"{where}.meta must be an object, got {type(meta).__name__}")
    for key in meta:
        if not isinstance(key, str) or not key or key.startswith("_") or key in RESERVED_META_KEYS:
            raise InvalidText(
                f"{where}.meta key {key!r} is reserved or invalid (keys starting with '_' and "
                f"{', '.join(sorted(RESERVED_META_KEYS))} are set by the indexing pipeline; use 'name')"
            )
        value = meta[key]
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidText(f"{where}.meta[{key!r}] must be a finite number, got {value!r}")
    name = given.get("name")
    if name is None or name == "":
        name = text_name(content)
    if not isinstance(name, str) or not name.strip():
        raise InvalidText(f"{where}.name must be non-empty text, got {name!r}")
    name = name.strip()
    problem = name_problem(name)
    if problem is not None:
        raise InvalidText(f"{where}.name: {problem}")
    return Text(content=content, name=name, meta=dict(meta))


__all__ = ["RESERVED_META_KEYS", "Text", "as_text", "text_name"]
