"""Opens the tantivy index of a `TantivyDocumentStore` at a directory, creating it there when the directory is new."""

import os
from pathlib import Path

import tantivy
from haystack.document_stores.errors import DocumentStoreError

from extractive_qa.components.document_stores.tantivy.schema import build_schema, schema_mismatch

# Files tantivy itself may leave in a directory before (or without) any commit.
_TANTIVY_HOUSEKEEPING_FILES = frozenset({".tantivy-writer.lock", ".tantivy-meta.lock", ".managed.json"})
# tantivy writes meta.json atomically: into a temporary file (".tmpXXXXXX") that it then renames. While another
# process creates the index, such a file can be the only one there.
_TANTIVY_TEMPORARY_PREFIX = ".tmp"


def _is_tantivy_file(name: str) -> bool:
    return name in _TANTIVY_HOUSEKEEPING_FILES or name.startswith(_TANTIVY_TEMPORARY_PREFIX)


def open_index(index_path: str) -> tantivy.Index:
    """
    Opens the store's index at `index_path`, creating the directory and an empty index if there is none yet.

    Opening reads only tantivy's meta.json and maps the segment files: it takes milliseconds at any index size.
    The reader reloads only when asked (`Index.reload()`), which the store does before every read.

    :param index_path: The index directory.
    :returns: The index.
    :raises DocumentStoreError: If the path is a file, cannot be created, read or written, or is a directory that
        holds something other than a `TantivyDocumentStore` index.
    """
    path = Path(index_path)
    if path.exists() and not path.is_dir():
        raise DocumentStoreError(f"index_path '{path}' is a file, not a directory: give the directory of the index.")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DocumentStoreError(f"Cannot create the index directory '{path}': {error.strerror or error}.") from error
    if not os.access(path, os.R_OK | os.W_OK | os.X_OK):
        raise DocumentStoreError(f"The index directory '{path}' is not readable and writable by this process.")

    if not _holds_index(path):
        foreign = sorted(name for name in os.listdir(path) if not _is_tantivy_file(name))
        if foreign and not _holds_index(path):  # checked again: another process may have just created the index
            listed = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
            raise DocumentStoreError(
                f"index_path '{path}' is not a tantivy index: the directory holds other files ({listed}); "
                "give a new or empty directory."
            )
    try:
        if _holds_index(path):
            mismatch = schema_mismatch(path)
            if mismatch is not None:
                raise DocumentStoreError(
                    f"'{path}' holds a tantivy index that is not a TantivyDocumentStore index: {mismatch}."
                )
            index = tantivy.Index.open(str(path))
        else:
            index = tantivy.Index(build_schema(), path=str(path), reuse=True)
        index.config_reader(reload_policy="manual")
        index.reload()
    except ValueError as error:
        raise DocumentStoreError(f"Cannot open the tantivy index at '{path}': {error}") from error
    return index


def _holds_index(path: Path) -> bool:
    return (path / "meta.json").is_file()
