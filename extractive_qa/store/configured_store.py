"""
The document store the settings name, opened on its own (no pipeline, no model), and its errors in one line.

The store is defined once, in the query pipeline's YAML (the retriever's `document_store`), with the settings
applied; `open_store` builds it from there, so `count` and `remove` need neither the model nor the indexing
pipeline. `store_errors` turns a store that cannot be reached into one `StoreUnavailable` line.

Usage example:
```python
from extractive_qa.settings import Settings
from extractive_qa.store.configured_store import open_store, store_errors

settings = Settings.from_env()
with store_errors(settings):
    print(open_store(settings).count_documents())
```
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from haystack.document_stores.in_memory import InMemoryDocumentStore
from haystack.document_stores.types import DocumentStore

from extractive_qa.app.pipeline_loader import load_pipeline_data
from extractive_qa.errors import InvalidSettings, QAError, StoreUnavailable
from extractive_qa.settings import Settings
from extractive_qa.store import memory_file
from extractive_qa.utils import find_cause, iter_causes

CONNECTION_ERRORS = frozenset({"ConnectionError", "ConnectionTimeout", "TransportError", "ConnectionRefusedError"})


def store_definition(settings: Settings) -> dict[str, Any]:
    """The store's `{"type": ..., "init_parameters": ...}`: the query pipeline retriever's, settings applied."""
    data = load_pipeline_data(settings, "query")
    retriever = data["components"].get("retriever") or {}
    definition = (retriever.get("init_parameters") or {}).get("document_store")
    if not isinstance(definition, dict) or "type" not in definition:
        raise InvalidSettings("the query pipeline's 'retriever' has no document_store to open")
    return definition


def open_store(settings: Settings) -> DocumentStore:
    """
    Opens the configured document store; the in-memory store is filled from its file.

    :raises StoreUnavailable: When the store's file cannot be read.
    """
    from haystack.core.serialization import import_class_by_name

    definition = store_definition(settings)
    store_class = import_class_by_name(definition["type"])
    store = store_class.from_dict(definition)  # type: ignore[attr-defined]
    if isinstance(store, InMemoryDocumentStore):
        memory_file.load_documents(store, settings.store_path)
    return store


def persist(store: DocumentStore, settings: Settings) -> None:
    """Saves what was written to a store that lives in memory (the in-memory store's file); others keep it already."""
    if isinstance(store, InMemoryDocumentStore):
        memory_file.save(store, settings.store_path)


def is_connection_error(error: BaseException) -> bool:
    """Whether `error`, or what caused it, is a failed connection (to Elasticsearch)."""
    return find_cause(error, lambda cause: type(cause).__name__ in CONNECTION_ERRORS) is not None


def connection_reason(error: BaseException) -> str:
    """The operating system's words for a failed connection ("Connection refused", ...), else the error's type."""
    for cause in iter_causes(error):
        found = re.search(r"\[Errno -?\d+\] ([^)\]\[(]+)", str(cause))
        if found:
            return found.group(1).strip(" ,'\"")
        if type(cause).__name__ == "ConnectionTimeout":
            return "no answer in time (ConnectionTimeout)"
    return type(error).__name__


@contextmanager
def store_errors(settings: Settings) -> Iterator[None]:
    """Runs a block of store work, turning a store that cannot be reached into one clear `StoreUnavailable` line."""
    try:
        yield
    except QAError:
        raise
    except Exception as error:
        if is_connection_error(error):
            raise StoreUnavailable(
                f"cannot reach Elasticsearch at {settings.elasticsearch_url}: {connection_reason(error)}"
            ) from error
        raise
