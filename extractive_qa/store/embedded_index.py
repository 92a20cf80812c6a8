"""
What the application reads of the store without loading Haystack: a cold `extractive-qa count` then costs
milliseconds at any size, where importing Haystack (which imports torch) takes seconds; and whether there is a store
at all, which reading commands check before anything else (a mistyped `--store-path` must not read as an empty store,
nor create one).

Usage example:
```python
from extractive_qa.settings import Settings
from extractive_qa.store.embedded_index import passage_count, require_store

settings = Settings.from_env()
require_store(settings)  # NothingIndexed (exit 5) where nothing was ever indexed at the store's path
print(passage_count(settings))  # None: not the embedded store, or an index only the store itself can explain
```
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from extractive_qa.errors import NothingIndexed, StoreUnavailable
from extractive_qa.pipeline_files import EMBEDDED_STORE_TYPE, MEMORY_STORE_TYPE, store_definition
from extractive_qa.settings import Settings, default_store_path

# What tantivy may leave in an index directory before its first commit: such a directory holds nothing yet.
_EMPTY_INDEX_FILES = frozenset({".tantivy-writer.lock", ".tantivy-meta.lock", ".managed.json"})


def passage_count(settings: Settings) -> int | None:
    """
    The passages in the embedded store's index, read with tantivy alone (through a private view where the store is
    read-only), after a cheap probe of every segment; `None` where this does not apply: another store, no index yet,
    or an index tantivy cannot open for another reason than damage (the store itself then says what is wrong).

    :raises StoreUnavailable: If the index is damaged (one line naming what is damaged).
    """
    path = embedded_index_path(settings)
    if path is None or not (path / "meta.json").is_file():
        return None
    from extractive_qa.components.document_stores.tantivy import damage
    from extractive_qa.components.document_stores.tantivy.read_only import open_to_read

    try:
        damage.read_meta(path)  # a damaged meta.json is worded as the store words it
        readable = open_to_read(path)  # held: a read-only store's view stays while it is read
        searcher = readable.index.searcher()
        damage.probe_segments(searcher)
        return searcher.num_docs
    except BaseException as error:  # a panic, on some damage, is a BaseException
        if isinstance(error, (KeyboardInterrupt, SystemExit)):
            raise
        reason = damage.damage_reason(error, str(path))
        if reason is None:
            return None
        raise StoreUnavailable(damage.damaged_message(f"the index at '{path}'", reason)) from error


def embedded_index_path(settings: Settings) -> Path | None:
    """The embedded store's index directory as the query pipeline's YAML names it; `None` for another store."""
    definition = store_definition(settings)
    if definition.get("type") != EMBEDDED_STORE_TYPE:
        return None
    return Path(str((definition.get("init_parameters") or {}).get("index_path", "")))


def store_missing(settings: Settings) -> bool:
    """
    Whether nothing was ever indexed at the store's path: no such path, or an empty directory (for the embedded
    store), no such file (for the in-memory store). Elasticsearch is never missing here (its index is its business).
    The default embedded store is not missing while the file of earlier versions lies beside it (it is imported
    when the store opens).
    """
    kind = store_definition(settings).get("type")
    if kind == MEMORY_STORE_TYPE:
        return not settings.store_path.exists()
    if kind != EMBEDDED_STORE_TYPE or not _holds_nothing(settings.store_path):
        return False
    return not (settings.store_path == default_store_path("embedded") and default_store_path("memory").is_file())


def _holds_nothing(path: Path) -> bool:
    if not path.exists():
        return True
    if not path.is_dir():
        return False  # a file where the index should be: the store says so
    try:
        return all(entry.name in _EMPTY_INDEX_FILES or entry.name.startswith(".tmp") for entry in path.iterdir())
    except OSError:
        return False  # an unreadable directory: the store says so


def missing_store_message(settings: Settings) -> str:
    """The one line for a reading command where nothing was indexed (see `store_missing`)."""
    return (
        f"nothing indexed at {settings.store_path} (no documents are indexed yet): "
        "run 'extractive-qa index FOLDER' first"
    )


def require_store(settings: Settings) -> None:
    """
    Stops a command that reads the store where nothing was ever indexed, rather than reading (or creating) an empty
    store at a mistyped path.

    :raises NothingIndexed: If `store_missing(settings)`.
    """
    if store_missing(settings):
        raise NothingIndexed(missing_store_message(settings))


def require_writable(settings: Settings) -> None:
    """
    Stops a command that writes to the embedded store before it reads any file, where this process may not write
    to the store's index (a read-only mount, no write permission); reading it still works.

    :raises StoreUnavailable: If the index directory exists and cannot be written.
    """
    path = embedded_index_path(settings)
    if path is None or not path.is_dir():
        return  # no embedded store, or nothing there yet: creating it says what fails
    from extractive_qa.components.document_stores.tantivy.read_only import can_write, cannot_write_message

    if not os.access(path, os.R_OK) or not can_write(path):
        raise StoreUnavailable(cannot_write_message(path))


@contextmanager
def naming_a_missing_store(settings: Settings) -> Iterator[None]:
    """
    Runs a read whose `NothingIndexed` (an empty store) names the store's path where nothing was ever indexed there.

    For `ask`, whose question and model are checked before the store is found empty.
    """
    try:
        yield
    except NothingIndexed as error:
        if store_missing(settings):
            raise NothingIndexed(missing_store_message(settings)) from error
        raise
