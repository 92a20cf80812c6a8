"""
`TantivyDocumentStore`: a persistent, embedded Haystack document store with BM25 search, backed by a tantivy index.

The index is a directory; several processes may use it at once. Every write (`write_documents`, the deletes,
`update_by_filter`) is one tantivy commit, so a crash or a kill mid-write leaves the index at its last commit. Only
one process writes at a time (tantivy's writer lock, held for one call and waited for up to `lock_timeout`
seconds); readers reload the index before every read (a cheap check of meta.json), so they see every commit,
other processes' included. Reads create nothing and take no writer lock: where there is no index yet they find no
documents, and an index this process may not write (a read-only store) is read through a private view of it (see
`read_only`). A damaged index raises `IndexDamagedError` wherever tantivy notices: opening, searching, reading stored
documents, writing. See `schema` for what is indexed and `filters` for how filters are run.
"""

import threading
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import tantivy
from haystack import default_from_dict, default_to_dict, logging
from haystack.dataclasses import Document
from haystack.document_stores.errors import DuplicateDocumentError
from haystack.document_stores.types import DuplicatePolicy
from haystack.errors import FilterError
from haystack.utils import expit
from haystack.utils.filters import document_matches_filter

from extractive_qa.components.document_stores.tantivy.damage import probe_segments
from extractive_qa.components.document_stores.tantivy.damage import verify_checksums as verify_checksums_of
from extractive_qa.components.document_stores.tantivy.document_codec import decode_document, encode_document
from extractive_qa.components.document_stores.tantivy.errors import IndexDamagedError, reading_errors
from extractive_qa.components.document_stores.tantivy.filters import TantivyFilter, translate_filters
from extractive_qa.components.document_stores.tantivy.index_directory import holds_index, open_index, open_to_read_index
from extractive_qa.components.document_stores.tantivy.index_writer import (
    DEFAULT_WRITER_THREADS,
    MIN_HEAP_BYTES_PER_THREAD,
    exclusive_writer,
)
from extractive_qa.components.document_stores.tantivy.read_only import ReadableIndex
from extractive_qa.components.document_stores.tantivy.schema import (
    CONTENT_FIELD,
    ID_FIELD,
    SEQ_FIELD,
    build_content_analyzer,
    build_schema,
)

logger = logging.getLogger(__name__)

# Same scaling as Haystack's InMemoryDocumentStore: a BM25 score s becomes expit(s / 8).
BM25_SCALING_FACTOR = 8

DEFAULT_WRITER_HEAP_BYTES = 64_000_000
DEFAULT_LOCK_TIMEOUT = 30.0

# When a filter cannot be decided in the index (see `filters`), BM25 candidates are checked in pages of this many
# (at least), until `top_k` pass.
_CHECKED_PAGE_SIZE = 100


class TantivyDocumentStore:
    """
    Stores documents in a tantivy index on disk, with BM25 retrieval (English stemming) and Haystack filters.

    Documents round-trip exactly (content, meta, embedding, blob); their meta must be JSON values. Filters use every
    operator of Haystack's filter syntax with Haystack's semantics, run inside the index for the common cases
    (equality, `in`, ranges and dates on `meta.*`, `id`).

    ### Usage example

    ```python
    from haystack import Document
    from extractive_qa.components.document_stores.tantivy import TantivyDocumentStore

    store = TantivyDocumentStore(index_path="/tmp/my-index")
    store.write_documents([
        Document(content="The river runs through the valley.", meta={"file_name": "a.txt"}),
        Document(content="Mountains surround the lake.", meta={"file_name": "b.txt"}),
    ])
    docs = store.bm25_retrieval("Where is the river running?", top_k=1)
    assert docs[0].meta["file_name"] == "a.txt"
    print(store.filter_documents({"field": "meta.file_name", "operator": "==", "value": "b.txt"}))
    ```
    """

    def __init__(
        self,
        index_path: str,
        writer_heap_bytes: int = DEFAULT_WRITER_HEAP_BYTES,
        writer_threads: int = DEFAULT_WRITER_THREADS,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ) -> None:
        """
        Describes the store; the index at `index_path` is opened on first use (created, with its directory, by the
        first write where there is none), so building a pipeline from YAML touches no disk.

        :param index_path: The index directory. The first write creates it if missing (reads find no documents there
            and create nothing); an existing directory must be empty or hold a `TantivyDocumentStore` index. Opening
            takes milliseconds whatever the index size.
        :param writer_heap_bytes: The memory tantivy may use to index one write before flushing it to a segment
            (at least 15 MB per writer thread).
        :param writer_threads: tantivy's indexing threads per write. One (the default) suits two cores: tantivy indexes
            while Python encodes the next documents. More help where cores are spare; each thread makes its own
            segment per commit, which means more merging.
        :param lock_timeout: Seconds a write waits while another process (or store object) writes to the index,
            before it raises `IndexBusyError`.
        :raises ValueError: If `writer_heap_bytes`, `writer_threads` or `lock_timeout` is out of range.
        :raises DocumentStoreError: On first use, if `index_path` is a file, cannot be created, read or written, or is
            a directory holding other files or another tantivy index; `IndexDamagedError` where the index is damaged.
        """
        if writer_threads < 1:
            raise ValueError(f"writer_threads must be at least 1, got {writer_threads}")
        if writer_heap_bytes < MIN_HEAP_BYTES_PER_THREAD * writer_threads:
            raise ValueError(
                f"writer_heap_bytes must be at least {MIN_HEAP_BYTES_PER_THREAD} per writer thread "
                f"({MIN_HEAP_BYTES_PER_THREAD * writer_threads}), got {writer_heap_bytes}"
            )
        if lock_timeout < 0:
            raise ValueError(f"lock_timeout must be >= 0 seconds, got {lock_timeout}")
        self.index_path = str(index_path)
        self.writer_heap_bytes = writer_heap_bytes
        self.writer_threads = writer_threads
        self.lock_timeout = lock_timeout
        self._opened: tantivy.Index | None = None  # opened on first use: building a pipeline touches no disk
        self._read_only: ReadableIndex | None = None  # the index read through a view, where this process may not write
        self._no_index: tantivy.Index | None = None  # an empty in-memory index, read while there is none on disk
        self._opening = threading.Lock()

    @property
    def _index(self) -> tantivy.Index:
        """The index to write (and read), opened, or created, on first use."""
        if self._opened is None:
            with self._opening:  # threads sharing the store open it once
                if self._opened is None:
                    self._opened = open_index(self.index_path)
                    self._read_only = None
        return self._opened

    def _reading_index(self) -> ReadableIndex:
        """
        The index to read, opened on first use without creating or locking anything for writing: in place, through a
        read-only view where this process may not write there (a stale view is made again), or an empty in-memory
        index while there is no index on disk yet (looked for again on every read). Holding what is returned keeps a
        view's directory until the read is done.
        """
        with self._opening:
            if self._opened is not None:
                return ReadableIndex(self._opened)
            if self._read_only is not None and self._read_only.view is not None and self._read_only.view.is_current():
                return self._read_only
            self._read_only = None
            if not holds_index(self.index_path):
                if self._no_index is None:
                    self._no_index = tantivy.Index(build_schema())
                return ReadableIndex(self._no_index)
            readable = open_to_read_index(self.index_path)
            if readable.view is None:
                self._opened = readable.index
            else:
                self._read_only = readable
            return readable

    @contextmanager
    def _read(self) -> Iterator[tuple[tantivy.Schema, tantivy.Searcher]]:
        """The schema and a searcher of the latest commit, for one read; tantivy's failures become store errors."""
        with reading_errors(self.index_path):
            readable = self._reading_index()
            readable.index.reload()
            yield readable.index.schema, readable.index.searcher()

    def index_exists(self) -> bool:
        """
        Whether there is an index at `index_path` (reads of a store without one find no documents).

        :raises DocumentStoreError: If `index_path` is a file or a directory of other files.
        :raises IndexDamagedError: If it holds segment files without their meta.json.
        """
        return self._opened is not None or holds_index(self.index_path)

    def check_index(self, verify_checksums: bool = False) -> int:
        """
        Checks that the index can be read: opens it and reads the first stored document of every segment (cheap,
        milliseconds), and, with `verify_checksums`, every segment file against its checksum (reads every byte:
        about a second per GB). Damage deeper inside a file than the cheap check reads shows when a search reads it.

        ### Usage example

        ```python
        store = TantivyDocumentStore(index_path="/tmp/my-index")
        try:
            print(store.check_index(), "passages, readable")
        except IndexDamagedError as error:
            print(error)
        ```

        :param verify_checksums: Also verify every segment file's checksum.
        :returns: The number of documents (0 where there is no index yet).
        :raises IndexDamagedError: If the index is damaged.
        :raises DocumentStoreError: If it cannot be read for another reason.
        """
        with self._read() as (_schema, searcher):
            probe_segments(searcher)
            count = searcher.num_docs
        if verify_checksums and self.index_exists():
            problem = verify_checksums_of(Path(self.index_path))
            if problem is not None:
                raise IndexDamagedError(self.index_path, problem)
        return count

    def to_dict(self) -> dict[str, Any]:
        """
        Serializes the store to a dictionary.

        :returns:
            Dictionary with serialized data.
        """
        return default_to_dict(
            self,
            index_path=self.index_path,
            writer_heap_bytes=self.writer_heap_bytes,
            writer_threads=self.writer_threads,
            lock_timeout=self.lock_timeout,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TantivyDocumentStore":
        """
        Deserializes the store from a dictionary.

        :param data:
            The dictionary to deserialize from.
        :returns:
            The deserialized store.
        """
        return default_from_dict(cls, data)

    def count_documents(self) -> int:
        """
        Returns the number of documents in the store (read from the index's segment metadata, in milliseconds).
        """
        with self._read() as (_schema, searcher):
            return searcher.num_docs

    def count_documents_by_filter(self, filters: dict[str, Any]) -> int:
        """
        Returns the number of documents that match the filters.

        :param filters: The filters to apply (see `filter_documents`); empty filters count every document.
        :returns: The number of matching documents.
        :raises FilterError: If the filters are malformed.
        """
        with self._read() as (schema, searcher):
            if not filters:
                return searcher.num_docs
            translated = translate_filters(filters, schema, searcher)
            if translated.exact:
                return _count(searcher, translated.query)
            return len(self._matching(schema, searcher, filters))

    def filter_documents(self, filters: dict[str, Any] | None = None) -> list[Document]:
        """
        Returns the documents that match the filters, in the order they were written.

        :param filters: The filters to apply, in Haystack's syntax; for the specification, see the
            [documentation](https://docs.haystack.deepset.ai/docs/metadata-filtering). `None` or `{}` returns every
            document.
        :returns: The matching documents.
        :raises FilterError: If the filters are malformed.
        """
        with self._read() as (schema, searcher):
            return [document for _seq, document in self._matching(schema, searcher, filters)]

    def write_documents(self, documents: list[Document], policy: DuplicatePolicy = DuplicatePolicy.NONE) -> int:
        """
        Writes documents to the store, in one commit.

        :param documents: The documents to write.
        :param policy: What to do with a document whose ID is already stored (or repeated in `documents`):
            `FAIL` (also for `NONE`) raises `DuplicateDocumentError` and writes nothing, `SKIP` keeps the stored one
            (and the first of repeated ones), `OVERWRITE` replaces it (the last of repeated ones wins).
        :returns: The number of documents written.
        :raises ValueError: If `documents` is not a list of Documents.
        :raises DuplicateDocumentError: If `policy` is `FAIL` or `NONE` and an ID is already stored or repeated.
        :raises DocumentStoreError: If a document's meta cannot be stored (nothing is written then), or another process
            keeps the index's writer lock for longer than `lock_timeout`.
        """
        if not isinstance(documents, Iterable) or isinstance(documents, str):
            raise ValueError("Please provide a list of Documents.")
        documents = list(documents)
        if any(not isinstance(doc, Document) for doc in documents):
            raise ValueError("Please provide a list of Documents.")
        if not documents:
            return 0
        if policy == DuplicatePolicy.NONE:
            policy = DuplicatePolicy.FAIL

        with self._writer() as writer:
            selected = self._select_for_write(writer, documents, policy)
            # Encoding while tantivy indexes the previous documents on its own thread keeps two cores busy; a document
            # that cannot be encoded raises here, and the writer rolls back everything added before it.
            first_seq = _first_seq_of_write(writer)
            for offset, document in enumerate(selected):
                writer.add_document(encode_document(document, first_seq + offset))
            writer.commit()
        return len(selected) if policy == DuplicatePolicy.SKIP else len(documents)

    def _select_for_write(
        self, writer: tantivy.IndexWriter, documents: list[Document], policy: DuplicatePolicy
    ) -> list[Document]:
        """
        The documents to add under `policy` (FAIL, SKIP or OVERWRITE); with OVERWRITE, also deletes the stored ones.

        Runs under the writer lock, so what is stored cannot change in the meantime.
        """
        searcher = self._searcher()
        ids = list(dict.fromkeys(document.id for document in documents))
        if policy == DuplicatePolicy.OVERWRITE:
            ids_query = self._ids_query(ids)
            if _count(searcher, ids_query) > 0:
                writer.delete_documents_by_query(ids_query)  # deletes what is stored, not what is added after it
            return _last_of_each_id(documents)
        stored_ids = self._stored_ids(searcher, ids)
        if policy == DuplicatePolicy.FAIL:
            duplicate = _first_duplicate(documents, stored_ids)
            if duplicate is not None:
                raise DuplicateDocumentError(f"ID '{duplicate}' already exists.")
            return documents
        selected = _first_of_each_id(documents, skip=stored_ids)
        if len(selected) < len(documents):
            logger.info("Skipped {skipped} documents whose ID already exists", skipped=len(documents) - len(selected))
        return selected

    def delete_documents(self, document_ids: list[str]) -> None:
        """
        Deletes the documents with the given IDs, in one commit; IDs that are not stored are ignored.

        :param document_ids: The IDs of the documents to delete.
        """
        ids = [document_id for document_id in dict.fromkeys(document_ids) if isinstance(document_id, str)]
        if not ids or not self.index_exists():
            return
        with self._writer() as writer:
            query = self._ids_query(ids)
            if _count(self._searcher(), query) == 0:
                return
            writer.delete_documents_by_query(query)
            writer.commit()

    def delete_all_documents(self) -> None:
        """
        Deletes every document in the store, in one commit (the index and its directory stay; where there is no index,
        none is created).
        """
        if not self.index_exists():
            return
        with self._writer() as writer:
            writer.delete_all_documents()
            writer.commit()

    def delete_by_filter(self, filters: dict[str, Any]) -> int:
        """
        Deletes the documents that match the filters, in one commit.

        The matches are found and deleted under the writer lock, so the returned count is exact even while other
        processes write. Large `in` / `not in` lists (tens of thousands of IDs) are fine.

        :param filters: The filters to apply (see `filter_documents`); they must not be empty (to delete everything,
            call `delete_all_documents`).
        :returns: The number of documents deleted.
        :raises FilterError: If the filters are empty or malformed.
        """
        _require_filters(filters, "delete_by_filter", "call delete_all_documents() to delete every document")
        if not self.index_exists():
            return self.count_documents_by_filter(filters)  # checks the filters; there is nothing to delete
        with self._writer() as writer:
            searcher = self._searcher()
            schema = self._index.schema
            translated = translate_filters(filters, schema, searcher)
            if translated.exact:
                deleted = _count(searcher, translated.query)
                query = translated.query
            else:
                ids = [document.id for _seq, document in self._matching(schema, searcher, filters, translated)]
                deleted = len(ids)
                query = self._ids_query(ids)
            if deleted:
                writer.delete_documents_by_query(query)
                writer.commit()
        return deleted

    def update_by_filter(self, filters: dict[str, Any], meta: dict[str, Any]) -> int:
        """
        Merges `meta` into the metadata of the documents that match the filters, in one commit.

        Updated documents keep their ID and their place in the insertion order.

        :param filters: The filters to apply (see `filter_documents`); they must not be empty.
        :param meta: The metadata fields to set.
        :returns: The number of documents updated.
        :raises FilterError: If the filters are empty or malformed.
        :raises DocumentStoreError: If the new meta cannot be stored (nothing is updated then).
        """
        _require_filters(filters, "update_by_filter", "use a filter that matches the documents to update")
        if not self.index_exists():
            return self.count_documents_by_filter(filters)  # checks the filters; there is nothing to update
        with self._writer() as writer:
            matches = self._matching(self._index.schema, self._searcher(), filters)
            updated = []
            for seq, document in matches:
                updated.append(encode_document(replace(document, meta={**document.meta, **meta}), seq))
            if updated:
                writer.delete_documents_by_query(self._ids_query([document.id for _seq, document in matches]))
                for encoded in updated:
                    writer.add_document(encoded)
                writer.commit()
        return len(updated)

    def bm25_retrieval(
        self, query: str, filters: dict[str, Any] | None = None, top_k: int = 10, scale_score: bool = False
    ) -> list[Document]:
        """
        Retrieves the documents most relevant to the query with BM25 (tantivy's: k1 = 1.2, b = 0.75).

        The query is analyzed like the indexed content (tantivy's `en_stem`: split on non-alphanumerics, lowercased,
        English stemming) and any document holding one of its terms is a candidate, so questions with punctuation,
        quotes or words such as AND / OR are plain words, never query syntax.

        :param query: The query, in plain text. A query without any word returns no documents.
        :param filters: Filters that the documents must match (see `filter_documents`).
        :param top_k: The number of documents to return.
        :param scale_score: Whether to scale the scores to (0, 1) with `expit(score / 8)`, like Haystack's
            InMemoryDocumentStore; otherwise the raw BM25 scores are returned.
        :returns: The `top_k` best documents, best first, with their `score`.
        :raises ValueError: If `top_k` is not positive.
        :raises FilterError: If the filters are malformed.
        :raises IndexDamagedError: If the index, or a document it reads, is damaged.
        """
        if top_k < 1:
            raise ValueError(f"top_k must be greater than 0, got {top_k}")
        terms = list(dict.fromkeys(build_content_analyzer().analyze(query or "")))
        if not terms:
            return []
        with self._read() as (schema, searcher):
            text_query = tantivy.Query.boolean_query(
                [(tantivy.Occur.Should, tantivy.Query.term_query(schema, CONTENT_FIELD, term)) for term in terms]
            )
            translated = translate_filters(filters, schema, searcher) if filters else None
            if translated is None:
                hits = searcher.search(text_query, limit=top_k, count=False).hits
                scored = [(score, decode_document(searcher.doc(address))) for score, address in hits]
            else:
                scored = self._filtered_bm25(searcher, text_query, filters, translated, top_k)
        return [
            replace(document, score=expit(score / BM25_SCALING_FACTOR) if scale_score else float(score))
            for score, document in scored
        ]

    def _filtered_bm25(
        self,
        searcher: tantivy.Searcher,
        text_query: tantivy.Query,
        filters: dict[str, Any] | None,
        translated: TantivyFilter,
        top_k: int,
    ) -> list[tuple[float, Document]]:
        # The filter takes no part in the score.
        query = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, text_query),
                (tantivy.Occur.Must, tantivy.Query.const_score_query(translated.query, 0.0)),
            ]
        )
        if translated.exact:
            hits = searcher.search(query, limit=top_k, count=False).hits
            return [(score, decode_document(searcher.doc(address))) for score, address in hits]
        scored: list[tuple[float, Document]] = []
        page_size = max(_CHECKED_PAGE_SIZE, 4 * top_k)
        offset = 0
        while len(scored) < top_k:
            hits = searcher.search(query, limit=page_size, offset=offset, count=False).hits
            for score, address in hits:
                document = decode_document(searcher.doc(address))
                if not filters or document_matches_filter(filters=filters, document=document):
                    scored.append((score, document))
            if len(hits) < page_size:
                break
            offset += page_size
        return scored[:top_k]

    def _writer(self) -> AbstractContextManager[tantivy.IndexWriter]:
        """The index's writer, held for one write (see `index_writer.exclusive_writer`)."""
        return exclusive_writer(
            self._index,
            self.index_path,
            heap_bytes=self.writer_heap_bytes,
            threads=self.writer_threads,
            lock_timeout=self.lock_timeout,
        )

    def _searcher(self) -> tantivy.Searcher:
        """A searcher of the latest commit (this process's or another's) of the index being written."""
        self._index.reload()
        return self._index.searcher()

    def _matching(
        self,
        schema: tantivy.Schema,
        searcher: tantivy.Searcher,
        filters: dict[str, Any] | None,
        translated: TantivyFilter | None = None,
    ) -> list[tuple[int, Document]]:
        """The documents that match `filters`, with their `seq`, in insertion order."""
        if filters and translated is None:
            translated = translate_filters(filters, schema, searcher)
        query = translated.query if translated is not None else tantivy.Query.all_query()
        total = _count(searcher, query)
        if total == 0:
            return []
        hits = searcher.search(query, limit=total, count=False, order_by_field=SEQ_FIELD, order=tantivy.Order.Asc).hits
        matches = [(seq, decode_document(searcher.doc(address))) for seq, address in hits]
        if filters and translated is not None and not translated.exact:
            matches = [(seq, doc) for seq, doc in matches if document_matches_filter(filters=filters, document=doc)]
        return matches

    def _stored_ids(self, searcher: tantivy.Searcher, ids: list[str]) -> set[str]:
        """Those of `ids` that are stored."""
        query = self._ids_query(ids)
        found = _count(searcher, query)
        if found == 0:
            return set()
        hits = searcher.search(query, limit=found, count=False).hits
        return {searcher.doc(address).get_first(ID_FIELD) for _score, address in hits}

    def _ids_query(self, ids: list[str]) -> tantivy.Query:
        return tantivy.Query.term_set_query(self._index.schema, ID_FIELD, ids)


def _count(searcher: tantivy.Searcher, query: tantivy.Query) -> int:
    return searcher.search(query, limit=1, count=True).count


def _first_seq_of_write(writer: tantivy.IndexWriter) -> int:
    """
    The `seq` of the first document a write adds; the others follow it.

    The writer's operations are numbered (opstamps) after the last commit's, which numbers them all: a write that
    commits n additions moves the commit opstamp on by more than n, so the `seq`s of later writes are greater.
    """
    return writer.commit_opstamp + 1


def _require_filters(filters: dict[str, Any], method: str, hint: str) -> None:
    if not filters:
        raise FilterError(f"{method}() needs a non-empty filter; {hint}.")


def _first_duplicate(documents: list[Document], stored_ids: set[str]) -> str | None:
    """The first ID of `documents` that is stored already or repeated, if any."""
    seen = set(stored_ids)
    for document in documents:
        if document.id in seen:
            return document.id
        seen.add(document.id)
    return None


def _first_of_each_id(documents: list[Document], skip: set[str]) -> list[Document]:
    seen = set(skip)
    selected = []
    for document in documents:
        if document.id not in seen:
            seen.add(document.id)
            selected.append(document)
    return selected


def _last_of_each_id(documents: list[Document]) -> list[Document]:
    last = {document.id: position for position, document in enumerate(documents)}
    if len(last) == len(documents):
        return documents
    return [documents[position] for position in sorted(last.values())]
