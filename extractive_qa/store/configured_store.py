"""
The document store the settings name, opened on its own (no pipeline, no model), and its errors in one line.

The store is defined once, in the query pipeline's YAML (the retriever's `document_store`), with the settings
applied; `open_store` builds it from there, so `count` and `remove` need neither the model nor the indexing
pipeline. `store_errors` turns a store that cannot be reached into one `StoreUnavailable` line.

Usage example:
```python
from extractive_qa.settings import Settings, default_store_path
from extractive_qa.store.configured_store import open_store, store_errors

settings = Settings.from_env()
with store_errors(settings):
    print(open_store(settings).count_documents())
```
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

from haystack.document_stores.errors import DocumentStoreError, DuplicateDocumentError
from haystack.document_stores.in_memory import InMemoryDocumentStore
from haystack.document_stores.types import DocumentStore

from extractive_qa.app.pipeline_files import store_definition
from extractive_qa.errors import QAError, StoreUnavailable
from extractive_qa.settings import Settings, default_store_path
from extractive_qa.store import memory_file
from extractive_qa.utils import find_cause, iter_causes

logger = logging.getLogger(__name__)

CONNECTION_ERRORS = frozenset({"ConnectionError", "ConnectionTimeout", "TransportError", "ConnectionRefusedError"})


def open_store(settings: Settings) -> DocumentStore:
    """
    Opens the configured document store; the in-memory store is filled from its file. A new embedded store at the
    default place first takes in the documents of the in-memory store file earlier versions kept there.

    :raises StoreUnavailable: When the store cannot be opened (its file or directory is unusable).
    """
    from haystack.core.serialization import import_class_by_name

    definition = store_definition(settings)
    store_class = import_class_by_name(definition["type"])
    new_default_index = settings.store == "embedded" and not (settings.store_path / "meta.json").exists()
    with store_errors(settings):
        store = store_class.from_dict(definition)  # type: ignore[attr-defined]
    if isinstance(store, InMemoryDocumentStore):
        memory_file.load_documents(store, settings.store_path)
    elif new_default_index and settings.store_path == default_store_path("embedded"):
        legacy = default_store_path("memory")
        if legacy.is_file():
            with store_errors(settings):
                imported = memory_file.import_documents(store, legacy)
            logger.warning(
                "imported %d passage(s) from %s into %s (the file is kept)", imported, legacy, settings.store_path
            )
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
    """
    Runs a block of store work, turning a store that cannot be reached or opened (a connection refused, an index
    directory that is no index, another process writing for too long) into one clear `StoreUnavailable` line.
    """
    try:
        yield
    except QAError:
        raise
    except Exception as error:
        if is_connection_error(error):
            raise StoreUnavailable(
                f"cannot reach Elasticsearch at {settings.elasticsearch_url}: {connection_reason(error)}"
            ) from error
        refusal = find_cause(error, _is_store_error)
        if refusal is not None:
            raise StoreUnavailable(" ".join(str(refusal).split())) from error
        raise


def _is_store_error(error: BaseException) -> bool:
    """A store's own error about itself; a duplicate document is the caller's business, not the store's."""
    return isinstance(error, DocumentStoreError) and not isinstance(error, DuplicateDocumentError)
