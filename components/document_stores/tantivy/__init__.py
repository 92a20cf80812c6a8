"""
`TantivyDocumentStore`, an embedded Haystack document store on a tantivy index, as a small package:

- `document_store`: the store (the DocumentStore protocol, deletes by filter, BM25 retrieval);
- `schema`: the index's fields and the English analyzer shared by indexing and queries;
- `document_codec`: Haystack `Document` <-> tantivy document (stored JSON, meta terms, validation);
- `filters`: Haystack filter dicts -> tantivy queries;
- `index_directory`: opening the index directory to read (creating nothing) or to write (creating it), with clear
  errors for bad paths;
- `read_only`: reading an index where this process may not write, through a private view of it;
- `damage`: telling a damaged index from other failures, segment checksums, a cheap probe of every segment;
- `index_writer`: the one writer per index across processes, held for one write;
- `errors`: `IndexBusyError`, `IndexDamagedError`.

The names below load on first use, so that `read_only` and `damage` (tantivy and the standard library only) can be
imported without Haystack.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from extractive_qa.components.document_stores.tantivy.document_store import TantivyDocumentStore
    from extractive_qa.components.document_stores.tantivy.errors import IndexBusyError, IndexDamagedError

_LAZY = {
    "TantivyDocumentStore": "extractive_qa.components.document_stores.tantivy.document_store",
    "IndexBusyError": "extractive_qa.components.document_stores.tantivy.errors",
    "IndexDamagedError": "extractive_qa.components.document_stores.tantivy.errors",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["IndexBusyError", "IndexDamagedError", "TantivyDocumentStore"]
