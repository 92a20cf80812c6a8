"""
Errors of `TantivyDocumentStore` beyond Haystack's `DocumentStoreError` and `DuplicateDocumentError`, and the one
place where what tantivy raises becomes one of them.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from haystack.document_stores.errors import DocumentStoreError
from haystack.errors import FilterError

from extractive_qa.components.document_stores.tantivy.damage import damage_reason, damaged_message, is_panic


class IndexBusyError(DocumentStoreError):
    """
    Another process (or another store object) held the index's writer lock for longer than the store's `lock_timeout`.
    """


class IndexDamagedError(DocumentStoreError):
    """
    The index's files are not what tantivy wrote (a truncated or overwritten segment file or meta.json, a missing
    segment file, flipped bytes): a retry cannot mend it; re-indexing or a backup can.

    `reason` says what is damaged without any path; `describe()` words it for a subject of the caller's choosing.

    ### Usage example

    ```python
    from extractive_qa.components.document_stores.tantivy import IndexDamagedError, TantivyDocumentStore

    try:
        TantivyDocumentStore(index_path="/tmp/my-index").count_documents()
    except IndexDamagedError as error:
        print(error)  # the index at '/tmp/my-index' is damaged (...): delete it and re-index, ...
        print(error.describe("the store's index"))  # the same, naming no path
    ```
    """

    def __init__(self, index_path: str, reason: str) -> None:
        """
        :param index_path: The index directory.
        :param reason: What is damaged, in a few words without the path (e.g. `"3f2a....store: checksum mismatch"`).
        """
        self.index_path = index_path
        self.reason = reason
        super().__init__(self.describe(f"the index at '{index_path}'"))

    def describe(self, subject: str) -> str:
        """The message with `subject` (e.g. `"the embedded store's index"`) in place of the index and its path."""
        return damaged_message(subject, self.reason)


def is_tantivy_failure(error: BaseException) -> bool:
    """Whether `error` is how tantivy (or decoding a stored document) reports a failure: a `ValueError` or a panic."""
    return is_panic(error) or (isinstance(error, ValueError) and not isinstance(error, DocumentStoreError))


def tantivy_failure(error: BaseException, index_path: str, doing: str, *, writing: bool = False) -> DocumentStoreError:
    """
    The store error for what tantivy raised: `IndexDamagedError` when the index's files are damaged, else a
    `DocumentStoreError` saying what failed.

    :param error: A `ValueError` (tantivy's errors) or a Rust panic.
    :param index_path: The index directory.
    :param doing: What failed, completing "... the tantivy index at PATH failed", e.g. `"Reading"`.
    :param writing: Whether the failure came from a write (see `damage_reason`).
    """
    reason = damage_reason(error, index_path, writing=writing)
    if reason is not None:
        return IndexDamagedError(index_path, reason)
    return DocumentStoreError(f"{doing} the tantivy index at '{index_path}' failed: {' '.join(str(error).split())}")


@contextmanager
def reading_errors(index_path: str) -> Iterator[None]:
    """
    Runs a read of the index, turning what tantivy raises (when it opens, searches or reads stored documents) into a
    store error (see `tantivy_failure`); filter errors and the store's own errors pass as they are.

    :raises IndexDamagedError: When the index's files are damaged.
    :raises DocumentStoreError: When reading fails otherwise.
    """
    try:
        yield
    except (DocumentStoreError, FilterError):
        raise
    except BaseException as error:
        if not is_tantivy_failure(error):
            raise
        raise tantivy_failure(error, index_path, "Reading") from error
