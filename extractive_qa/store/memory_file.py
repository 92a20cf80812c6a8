"""Keeps Haystack's in-memory document store in a file between commands."""

from __future__ import annotations

import json
from pathlib import Path

from haystack import Document
from haystack.document_stores.in_memory import InMemoryDocumentStore
from haystack.document_stores.types import DocumentStore, DuplicatePolicy

from extractive_qa.errors import StoreUnavailable
from extractive_qa.utils import write_atomically


def read_documents(path: Path) -> list[Document]:
    """
    The documents saved in `path` (written by `save`).

    :raises StoreUnavailable: When the file cannot be read or is not such a file.
    """
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        return [Document.from_dict(d) for d in saved["documents"]]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise StoreUnavailable(f"the document store file {path} cannot be read: {error}") from error


def import_documents(store: DocumentStore, path: Path) -> int:
    """
    Writes the documents saved in an in-memory store file into another store (replacing those with the same id),
    for moving from the in-memory store to the embedded one; the file is left as it is.

    :returns: The number of documents written.
    """
    return store.write_documents(read_documents(path), policy=DuplicatePolicy.OVERWRITE)


def load_documents(store: InMemoryDocumentStore, path: Path) -> int:
    """
    Fills `store` with the documents saved in `path` (written by `save`). A missing file is an empty store.

    :returns: The number of documents loaded.
    """
    if not path.exists():
        return 0
    documents = read_documents(path)
    if store.count_documents():
        store.delete_documents([d.id for d in store.filter_documents()])
    return store.write_documents(documents, policy=DuplicatePolicy.OVERWRITE)


def save(store: InMemoryDocumentStore, path: Path) -> None:
    """Saves the store to `path` atomically: the previous file stays whole until the new one is complete."""
    write_atomically(path, lambda temporary: store.save_to_disk(str(temporary)))
