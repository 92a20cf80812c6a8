"""Errors of `TantivyDocumentStore` beyond Haystack's `DocumentStoreError` and `DuplicateDocumentError`."""

from haystack.document_stores.errors import DocumentStoreError


class IndexBusyError(DocumentStoreError):
    """
    Another process (or another store object) held the index's writer lock for longer than the store's `lock_timeout`.
    """
