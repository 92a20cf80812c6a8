"""Indexes texts given in memory (an HTTP request body, a Python list) with the indexing pipeline's components."""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from haystack import Pipeline
from haystack.dataclasses import ByteStream

from extractive_qa.elasticsearch_store import make_searchable
from extractive_qa.errors import QAError, StoreWriteFailed
from extractive_qa.indexing import IndexReport, _remove_stale, _store_refusal, _writer_store

# Metadata the indexing pipeline sets itself; a text's own metadata may not use these keys.
RESERVED_META_KEYS = frozenset(
    {"file_path", "file_name", "source_id", "parent_id", "split_id", "split_idx_start", "page_number", "encoding"}
)


class InvalidText(QAError):
    """A text given for indexing is empty, not text, or carries metadata the application sets itself."""

    http_status = 422


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
    name = given.get("name")
    if name is None or name == "":
        name = text_name(content)
    if not isinstance(name, str) or not name.strip():
        raise InvalidText(f"{where}.name must be non-empty text, got {name!r}")
    return Text(content=content, name=name.strip(), meta=dict(meta))


def index_texts(pipeline: Pipeline, texts: Iterable[str | Mapping[str, Any]]) -> IndexReport:
    """
    Indexes texts with the indexing pipeline (router, converter, cleaner, splitter and writer), in one run.

    Each text is identified by its name (stored as `meta.file_path` and `meta.file_name`, like a file's path):
    indexing a text under a name used before replaces that text's passages, and passages the new content no
    longer has are removed after the new ones are written. All texts are checked before anything is written.

    :param pipeline: The indexing pipeline (its components must include `router`, `splitter` and `writer`).
    :param texts: Strings, or mappings with `content` and optionally `name` and `meta` (metadata for every passage,
        usable in filters, e.g. `{"topic": "history"}`).
    :returns: The report: `files_read` counts the texts indexed, `skipped` lists texts that gave no passage.
    :raises InvalidText: When a text is invalid (nothing is written then), or two texts share one name.
    :raises StoreWriteFailed: When the store refused the passages.
    """
    started = time.perf_counter()
    checked = [as_text(given, position) for position, given in enumerate(texts)]
    names = [text.name for text in checked]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise InvalidText(f"texts share the name(s) {', '.join(map(repr, duplicates))}; names must be unique")
    report = IndexReport()
    if not checked:
        return report

    sources = [
        ByteStream.from_string(
            text.content, mime_type="text/plain", meta={**text.meta, "file_path": text.name, "file_name": text.name}
        )
        for text in checked
    ]
    store = _writer_store(pipeline)
    try:
        try:
            result = pipeline.run({"router": {"sources": sources}}, include_outputs_from={"splitter"})
        except Exception as error:
            refusal = _store_refusal(error)
            if refusal is None:
                raise
            reason = " ".join(str(refusal).split())
            raise StoreWriteFailed(f"the document store refused the passages of the texts: {reason}") from error
        passages = result.get("splitter", {}).get("documents", [])
        report.passages_written = result.get("writer", {}).get("documents_written", 0)
        by_name: dict[str, set[str]] = {}
        for passage in passages:
            by_name.setdefault(str(passage.meta.get("file_path")), set()).add(passage.id)
        for name in names:
            if name in by_name:
                report.files_read += 1
            else:
                report.skipped.append((name, "no text could be extracted"))
        report.passages_removed = _remove_stale(store, by_name, names)
    finally:
        with contextlib.suppress(Exception):  # keep the first error; the store may be what failed
            make_searchable(store)  # Elasticsearch: the new passages are searchable when this returns
    report.seconds = time.perf_counter() - started
    return report


__all__ = ["RESERVED_META_KEYS", "InvalidText", "Text", "as_text", "index_texts", "text_name"]
