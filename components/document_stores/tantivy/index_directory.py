"""
The directory of a `TantivyDocumentStore` index: whether it holds an index, opening it to read (creating nothing)
and opening or creating it to write, with clear errors for bad paths and damaged indexes.
"""

import os
import re
from pathlib import Path

import tantivy
from haystack.document_stores.errors import DocumentStoreError

from extractive_qa.components.document_stores.tantivy.damage import META_FILE, UnreadableMeta, read_meta
from extractive_qa.components.document_stores.tantivy.errors import (
    IndexDamagedError,
    is_tantivy_failure,
    tantivy_failure,
)
from extractive_qa.components.document_stores.tantivy.read_only import (
    ReadableIndex,
    can_write,
    cannot_write_message,
    open_in_place,
    open_to_read,
)
from extractive_qa.components.document_stores.tantivy.schema import build_schema, schema_mismatch

# Files tantivy itself may leave in a directory before (or without) any commit.
_TANTIVY_HOUSEKEEPING_FILES = frozenset({".tantivy-writer.lock", ".tantivy-meta.lock", ".managed.json"})
# tantivy writes meta.json atomically: into a temporary file (".tmpXXXXXX") that it then renames. While another
# process creates the index, such a file can be the only one there.
_TANTIVY_TEMPORARY_PREFIX = ".tmp"
# A segment file: the segment's UUID in hex, then its kind (idx, term, store, ...) or `<opstamp>.del`.
_SEGMENT_FILE = re.compile(r"^[0-9a-f]{32}\.(\d+\.)?[a-z]+$")


def _is_tantivy_file(name: str) -> bool:
    return name in _TANTIVY_HOUSEKEEPING_FILES or name.startswith(_TANTIVY_TEMPORARY_PREFIX)


def holds_index(index_path: str) -> bool:
    """
    Whether the directory holds an index; `False` where there is none yet: no such path, an empty directory, or one
    with only tantivy's own housekeeping files. Reads nothing but the directory's listing.

    :raises DocumentStoreError: If the path is a file, or a directory that holds other files.
    :raises IndexDamagedError: If the directory holds segment files but no meta.json.
    """
    path = Path(index_path)
    if not path.exists():
        return False
    if not path.is_dir():
        raise DocumentStoreError(f"index_path '{path}' is a file, not a directory: give the directory of the index.")
    if _has_meta(path):
        return True
    try:
        foreign = sorted(name for name in os.listdir(path) if not _is_tantivy_file(name))
    except OSError as error:
        raise DocumentStoreError(f"Cannot read the index directory '{path}': {error.strerror or error}.") from error
    if not foreign:
        return False
    if _has_meta(path):  # checked again: another process may have just created the index
        return True
    if all(_SEGMENT_FILE.match(name) for name in foreign):
        raise IndexDamagedError(str(path), f"{META_FILE} is missing beside {len(foreign)} segment file(s)")
    listed = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
    raise DocumentStoreError(
        f"index_path '{path}' is not a tantivy index: the directory holds other files ({listed}); "
        "give a new or empty directory."
    )


def open_to_read_index(index_path: str) -> ReadableIndex:
    """
    Opens the existing index at `index_path` to read it, without creating, changing or locking anything for writing
    there: in place, or through a read-only view where this process may not write (see `read_only`).

    :raises IndexDamagedError: If the index's files are damaged.
    :raises DocumentStoreError: If it is not a `TantivyDocumentStore` index or cannot be read.
    """
    path = Path(index_path)
    _check_schema(path)
    try:
        return open_to_read(path)
    except OSError as error:
        raise DocumentStoreError(f"Cannot read the tantivy index at '{path}': {error.strerror or error}.") from error
    except BaseException as error:
        _raise_store_error(error, path)
        raise


def open_index(index_path: str) -> tantivy.Index:
    """
    Opens the store's index at `index_path` to write (and read) it, creating the directory and an empty index if
    there is none yet.

    Opening reads only tantivy's meta.json and maps the segment files: it takes milliseconds at any index size.
    The reader reloads only when asked (`Index.reload()`), which the store does before every read.

    :param index_path: The index directory.
    :returns: The index.
    :raises IndexDamagedError: If the index's files are damaged.
    :raises DocumentStoreError: If the path is a file, cannot be created, read or written (a read-only store), or is
        a directory that holds something other than a `TantivyDocumentStore` index.
    """
    path = Path(index_path)
    exists = holds_index(index_path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DocumentStoreError(f"Cannot create the index directory '{path}': {error.strerror or error}.") from error
    if not os.access(path, os.R_OK) or not can_write(path):
        raise DocumentStoreError(cannot_write_message(path))
    try:
        if exists or _has_meta(path):
            _check_schema(path)
            return open_in_place(path)
        index = tantivy.Index(build_schema(), path=str(path), reuse=True)
        index.config_reader(reload_policy="manual")
        index.reload()
        return index
    except BaseException as error:
        _raise_store_error(error, path)
        raise


def _check_schema(path: Path) -> None:
    """Raises if the index's meta.json is damaged or records another schema than a `TantivyDocumentStore`'s."""
    try:
        mismatch = schema_mismatch(read_meta(path))
    except UnreadableMeta as error:
        raise IndexDamagedError(str(path), str(error)) from error
    except OSError as error:
        raise DocumentStoreError(f"Cannot read the tantivy index at '{path}': {error.strerror or error}.") from error
    if mismatch is not None:
        raise DocumentStoreError(
            f"'{path}' holds a tantivy index that is not a TantivyDocumentStore index: {mismatch}."
        )


def _raise_store_error(error: BaseException, path: Path) -> None:
    """Raises the store error for what tantivy raised while opening the index; returns for anything else."""
    if is_tantivy_failure(error):
        raise tantivy_failure(error, str(path), "Opening") from error


def _has_meta(path: Path) -> bool:
    return (path / META_FILE).is_file()
