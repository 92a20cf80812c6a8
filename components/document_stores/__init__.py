"""
Haystack document stores of the application, installed as `extractive_qa.components.document_stores`.

- `tantivy`: `TantivyDocumentStore`, an embedded, persistent store with BM25 full-text search (the default store).
"""
