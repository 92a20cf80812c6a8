"""
The document store the settings name, opened on its own (no pipeline, no model), and its errors in one line.

The store is defined once, in the query pipeline's YAML (the retriever's `document_store`), with the settings
applied; `open_store` builds it from there, so `count` and `remove` need neither the model nor the indexing
pipeline. `store_errors` turns a store that cannot be reached into one `StoreUnavailable` line (`StoreDamaged` for
a damaged index, which a retry cannot mend). `store_health` is the cheap health check a server calls.

Usage example:
```python
from extractive_qa.settings import Settings
from extractive_qa.store.configured_store import open_store, store_errors, store_health

settings = Settings.from_env()
with store_errors(settings):
    print(open_store(settings).count_documents())

health = store_health(settings)  # ok / missing / damaged / unreachable, without touching the store's files
print(health.state, health.message)  # the message names no path: fit for HTTP; `detail_with_path` for the CLI
```
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from haystack.document_stores.errors import DocumentStoreError, DuplicateDocumentError
from haystack.document_stores.in_memory import InMemoryDocumentStore
from haystack.document_stores.types import DocumentStore

from extractive_qa.components.document_stores.tantivy.errors import IndexDamagedError
from extractive_qa.errors import QAError, StoreUnavailable
from extractive_qa.pipeline_files import EMBEDDED_STORE_TYPE, MEMORY_STORE_TYPE, pipeline_path, store_definition
from extractive_qa.settings import Settings, default_store_path
from extractive_qa.store import memory_file
from extractive_qa.store.embedded_index import missing_store_message, store_missing
from extractive_qa.trusted_modules import import_trusted_class
from extractive_qa.utils import find_cause, iter_causes

logger = logging.getLogger(__name__)

CONNECTION_ERRORS = frozenset({"ConnectionError", "ConnectionTimeout", "TransportError", "ConnectionRefusedError"})


def open_store(settings: Settings) -> DocumentStore:
    """
    Opens the configured document store; the in-memory store is filled from its file. A new embedded store at the
    default place first takes in the documents of the in-memory store file earlier versions kept there.

    :raises StoreUnavailable: When the store cannot be opened (its file or directory is unusable).
    """
    definition = store_definition(settings)
    store_class = import_trusted_class(definition["type"], str(pipeline_path(settings, "query")))
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


class StoreDamaged(StoreUnavailable):
    """
    The store's index is damaged (truncated or overwritten files): a retry cannot mend it; re-indexing or a backup
    can. The message names the store's path (for the command line); `public_message` names none (for HTTP).
    """

    def __init__(self, message: str, public_message: str) -> None:
        """
        :param message: The one line, with the store's path.
        :param public_message: The same without any path.
        """
        super().__init__(message)
        self.public_message = public_message


@contextmanager
def store_errors(settings: Settings) -> Iterator[None]:
    """
    Runs a block of store work, turning a store that cannot be reached or opened (a connection refused, an index
    directory that is no index, another process writing for too long) into one clear `StoreUnavailable` line, and a
    damaged index (found while opening, searching, reading stored passages or writing; also inside a pipeline's
    run) into `StoreDamaged`.
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
        if isinstance(refusal, IndexDamagedError):
            raise StoreDamaged(_one_line(refusal), _one_line(refusal.describe(EMBEDDED_INDEX_NAME))) from error
        if refusal is not None:
            raise StoreUnavailable(_one_line(refusal)) from error
        raise


def _one_line(error: BaseException | str) -> str:
    return " ".join(str(error).split())


def _is_store_error(error: BaseException) -> bool:
    """A store's own error about itself; a duplicate document is the caller's business, not the store's."""
    return isinstance(error, DocumentStoreError) and not isinstance(error, DuplicateDocumentError)


# ---- the health check ---------------------------------------------------------------------------------------------

#: What the path-free messages call each store.
EMBEDDED_INDEX_NAME = "the embedded store's index"
MEMORY_FILE_NAME = "the in-memory store's file"
OTHER_STORE_NAME = "the document store"
#: What stands for the store's path in a message that must name none.
PATH_PLACEHOLDER = "<store path>"

StoreState = Literal["ok", "missing", "damaged", "unreachable"]


@dataclass(frozen=True)
class StoreHealth:
    """
    What `store_health` found.

    - `state`: `"ok"` (readable), `"missing"` (nothing indexed at the store's path yet: reads say so, the first write
      creates it), `"damaged"` (a retry cannot help: re-index, or restore a backup) or `"unreachable"` (cannot be
      opened or reached: permissions, a path that is no store, a refused connection; may pass).
    - `message`: one line naming no path (fit for an HTTP response or a status page).
    - `detail_with_path`: the same line with the store's path (for the command line and the server's own log).
    - `passages`: the number of passages, when readable.
    - `read_only`: the store can be read but not written by this process (a read-only mount, no write permission).
    """

    state: StoreState
    message: str
    detail_with_path: str
    passages: int | None = None
    read_only: bool = False

    @property
    def ok(self) -> bool:
        """Whether the store can be read."""
        return self.state == "ok"


def store_health(settings: Settings, store: DocumentStore | None = None, *, thorough: bool = False) -> StoreHealth:
    """
    Checks the configured store without changing anything: cheap enough for every `/status` (milliseconds at any
    size for the embedded store: it opens the index and reads the first stored passage of every segment).

    Usage example:
    ```python
    from extractive_qa.settings import Settings
    from extractive_qa.store.configured_store import store_health

    health = store_health(Settings.from_env())
    if not health.ok:
        print(health.state, health.message)  # e.g. damaged: the embedded store's index is damaged (...): ...
    ```

    :param settings: The settings naming the store.
    :param store: The store object to check (a server's open one); `None` builds one from the settings (without the
        import of an earlier version's file that `open_store` does).
    :param thorough: Also verify the checksum of every file of the embedded store's index (reads every byte: about
        a second per GB), which finds damage the cheap check does not reach.
    :returns: The store's state, with a path-free message and the same with its path.
    """
    if store_missing(settings):
        return StoreHealth(
            "missing", "nothing is indexed yet: the store does not exist", missing_store_message(settings)
        )
    kind = store_definition(settings).get("type")
    if kind == MEMORY_STORE_TYPE:
        return _memory_file_health(settings)
    name = EMBEDDED_INDEX_NAME if kind == EMBEDDED_STORE_TYPE else OTHER_STORE_NAME
    try:
        store = store if store is not None else _build_store(settings)
        with store_errors(settings):
            if kind == EMBEDDED_STORE_TYPE:
                passages = store.check_index(verify_checksums=thorough)  # type: ignore[attr-defined]
            else:
                passages = store.count_documents()
    except StoreDamaged as error:
        return StoreHealth("damaged", error.public_message, str(error))
    except Exception as error:
        return _unreachable(settings, name, error)
    read_only = kind == EMBEDDED_STORE_TYPE and _read_only(settings.store_path)
    state = f"readable, {passages} passage(s)" + (", read-only" if read_only else "")
    return StoreHealth(
        "ok", f"{name} is {state}", f"the store at {settings.store_path} is {state}", passages, read_only
    )


def _build_store(settings: Settings) -> Any:
    definition = store_definition(settings)
    store_class = import_trusted_class(definition["type"], str(pipeline_path(settings, "query")))
    return store_class.from_dict(definition)  # type: ignore[attr-defined]


def _memory_file_health(settings: Settings) -> StoreHealth:
    path = settings.store_path
    try:
        passages = len(memory_file.read_documents(path))
    except StoreUnavailable as error:
        if isinstance(error.__cause__, OSError):
            return _unreachable(settings, MEMORY_FILE_NAME, error)
        reason = _without_path(str(error.__cause__ or error), settings)
        return StoreHealth(
            "damaged",
            f"{MEMORY_FILE_NAME} is damaged ({reason}): delete it and re-index, or restore it from a backup",
            f"the store file {path} is damaged ({reason}): delete it and re-index, or restore it from a backup",
        )
    state = f"readable, {passages} passage(s)"
    return StoreHealth("ok", f"{MEMORY_FILE_NAME} is {state}", f"the store file {path} is {state}", passages)


def _unreachable(settings: Settings, name: str, error: Exception) -> StoreHealth:
    detail = _one_line(error if isinstance(error, QAError) else f"{type(error).__name__}: {error}")
    return StoreHealth("unreachable", f"{name} cannot be used: {_without_path(detail, settings)}", detail)


def _without_path(message: str, settings: Settings) -> str:
    """`message` with the store's path (as given and resolved) replaced by `PATH_PLACEHOLDER`."""
    paths = {str(settings.store_path)}
    with suppress(OSError):
        paths.add(str(settings.store_path.resolve()))
    for path in sorted(paths, key=len, reverse=True):
        message = message.replace(path, PATH_PLACEHOLDER)
    return message


def _read_only(path: Path) -> bool:
    from extractive_qa.components.document_stores.tantivy.read_only import can_write

    return path.is_dir() and not (can_write(path) and os.access(path, os.R_OK))
