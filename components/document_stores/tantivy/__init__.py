"""
`TantivyDocumentStore`, an embedded Haystack document store on a tantivy index, as a small package:

- `document_store`: the store (the DocumentStore protocol, deletes by filter, BM25 retrieval);
- `schema`: the index's fields and the English analyzer shared by indexing and queries;
- `document_codec`: Haystack `Document` <-> tantivy document (stored JSON, meta terms, validation);
- `filters`: Haystack filter dicts -> tantivy queries;
- `index_directory`: opening or creating the index directory, with clear errors for bad paths;
- `index_writer`: the one writer per index across processes, held for one write;
- `errors`: `IndexBusyError`.
"""

from extractive_qa.components.document_stores.tantivy.document_store import TantivyDocumentStore
from extractive_qa.components.document_stores.tantivy.errors import IndexBusyError

__all__ = ["IndexBusyError", "TantivyDocumentStore"]
