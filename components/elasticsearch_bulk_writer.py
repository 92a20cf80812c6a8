"""Writes documents to Elasticsearch in bulk requests, without a refresh per write, reporting refused documents."""

from __future__ import annotations

from typing import Any, Literal

from haystack import Document, component, default_from_dict, default_to_dict, logging
from haystack.document_stores.errors import DocumentStoreError, DuplicateDocumentError
from haystack.document_stores.types import DuplicatePolicy
from haystack_integrations.document_stores.elasticsearch import ElasticsearchDocumentStore

logger = logging.getLogger(__name__)

Refresh = Literal["wait_for"] | bool
MAX_REASON_CHARS = 300


class BulkWriteError(DocumentStoreError):
    """
    Elasticsearch refused some (or all) documents of a bulk write.

    `failures` lists the refused documents (`id`, `status`, `type`, `reason`, `file_path`), `sources` the distinct
    `file_path`s of those documents (empty when they have none). The documents that were accepted stay written.
    """

    def __init__(self, message: str, failures: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.failures = failures
        self.sources = sorted({str(f["file_path"]) for f in failures if f.get("file_path")})


def _one_line(text: Any) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= MAX_REASON_CHARS else line[: MAX_REASON_CHARS - 3] + "..."


@component
class ElasticsearchBulkWriter:
    """
    Writes documents to an `ElasticsearchDocumentStore` in bulk requests of `chunk_size` documents.

    It stores documents exactly as the store's own `write_documents` does (same `_id`, the document's `to_dict()`
    as source, empty `embedding`/`blob`/`score` left out), and differs from `DocumentWriter` + `write_documents` in
    three ways that matter for indexing large collections in batches:

    - `refresh` is a setting: `False` (default) does not wait, on every write, for the index's next refresh (the
      store's default `"wait_for"` costs up to a second per write with Elasticsearch's default interval). The
      passages become searchable at the next periodic refresh, or when the indexer refreshes the index at the end
      of a run (`extractive_qa.indexing.index_files` does).
    - Refused documents raise `BulkWriteError` with every refused document's id, error type, reason and
      `file_path`, so the caller can name the files. (elasticsearch-haystack 7.1.0's `write_documents` raises
      `KeyError('create')` instead of its error when a document is refused under `DuplicatePolicy.OVERWRITE`.)
    - Requests the cluster rejects for load (HTTP 429) are retried `max_retries` times with exponential back-off.

    Usage example:
    ```python
    from haystack import Document
    from haystack.document_stores.types import DuplicatePolicy
    from haystack_integrations.document_stores.elasticsearch import ElasticsearchDocumentStore
    from extractive_qa.components.elasticsearch_bulk_writer import ElasticsearchBulkWriter

    store = ElasticsearchDocumentStore(hosts="http://localhost:9200", index="my-index")
    writer = ElasticsearchBulkWriter(document_store=store, policy=DuplicatePolicy.OVERWRITE)
    writer.run(documents=[Document(content="Paris is the capital of France.")])
    store.client.indices.refresh(index="my-index")  # searchable now
    ```
    """

    def __init__(
        self,
        document_store: ElasticsearchDocumentStore,
        policy: DuplicatePolicy = DuplicatePolicy.NONE,
        refresh: Refresh = False,
        chunk_size: int = 500,
        max_retries: int = 3,
    ) -> None:
        """
        Creates an ElasticsearchBulkWriter.

        :param document_store: The Elasticsearch store to write to.
        :param policy: What to do with a document whose id is already in the index: `OVERWRITE` replaces it (the
            ids are content and metadata hashes, so re-indexing a file overwrites its passages); `SKIP` keeps the
            stored one; `FAIL` and `NONE` raise `DuplicateDocumentError`.
        :param refresh: `False` (do not wait for the written documents to become searchable), `True` (refresh
            after every bulk request) or `"wait_for"` (wait for the next periodic refresh).
        :param chunk_size: Documents per bulk request.
        :param max_retries: How often a bulk request rejected with HTTP 429 is retried (back-off 2 s, 4 s, ...).
        """
        if not isinstance(document_store, ElasticsearchDocumentStore):
            raise ValueError("document_store must be an ElasticsearchDocumentStore")
        if refresh not in (True, False, "wait_for"):
            raise ValueError(f"refresh must be True, False or 'wait_for', got {refresh!r}")
        if chunk_size < 1 or max_retries < 0:
            raise ValueError("chunk_size must be at least 1 and max_retries at least 0")
        self.document_store = document_store
        self.policy = policy
        self.refresh = refresh
        self.chunk_size = chunk_size
        self.max_retries = max_retries

    def to_dict(self) -> dict[str, Any]:
        """
        Serializes the component to a dictionary.

        :returns: Dictionary with serialized data.
        """
        return default_to_dict(
            self,
            document_store=self.document_store,
            policy=self.policy.name,
            refresh=self.refresh,
            chunk_size=self.chunk_size,
            max_retries=self.max_retries,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ElasticsearchBulkWriter:
        """
        Deserializes the component from a dictionary.

        :param data: Dictionary to deserialize from.
        :returns: Deserialized component.
        """
        init_params = data.get("init_parameters", {})
        if "policy" in init_params:
            init_params["policy"] = DuplicatePolicy[init_params["policy"]]
        return default_from_dict(cls, data)

    def _actions(self, documents: list[Document], op_type: str) -> list[dict[str, Any]]:
        actions = []
        for doc in documents:
            source = doc.to_dict()
            for field in ("embedding", "blob", "score"):  # as the store does: null is refused by typed fields
                if source.get(field) is None:
                    source.pop(field, None)
            if source.get("sparse_embedding") is None:
                source.pop("sparse_embedding", None)
            elif "sparse_embedding" in source:
                raise ValueError(
                    f"document {doc.id} has a sparse embedding, which ElasticsearchBulkWriter does not write"
                )
            actions.append({"_op_type": op_type, "_id": doc.id, "_source": source})
        return actions

    @component.output_types(documents_written=int)
    def run(self, documents: list[Document], policy: DuplicatePolicy | None = None) -> dict[str, int]:
        """
        Writes the documents in bulk requests.

        :param documents: The documents to write.
        :param policy: Overrides the duplicate policy for this run.
        :returns: A dictionary with `documents_written`: the number of documents written.
        :raises BulkWriteError: When Elasticsearch refused documents (the others stay written).
        :raises DuplicateDocumentError: Under the `FAIL`/`NONE` policy, when a document id already exists.
        """
        from elasticsearch import ApiError, helpers

        policy = self.policy if policy is None else policy
        if not documents:
            return {"documents_written": 0}
        op_type = "index" if policy == DuplicatePolicy.OVERWRITE else "create"
        by_id = {doc.id: doc for doc in documents}
        index = self.document_store.to_dict()["init_parameters"]["index"]
        written = 0
        duplicates: list[str] = []
        failures: list[dict[str, Any]] = []
        try:
            for ok, item in helpers.streaming_bulk(
                self.document_store.client,
                self._actions(documents, op_type),
                index=index,
                chunk_size=self.chunk_size,
                refresh=self.refresh,
                max_retries=self.max_retries,
                raise_on_error=False,
            ):
                if ok:
                    written += 1
                    continue
                result = next(iter(item.values()))
                error = result.get("error") or {}
                error_type = error.get("type", "error") if isinstance(error, dict) else "error"
                if error_type == "version_conflict_engine_exception" and op_type == "create":
                    if policy != DuplicatePolicy.SKIP:
                        duplicates.append(str(result.get("_id")))
                    continue
                document = by_id.get(str(result.get("_id")))
                failures.append(
                    {
                        "id": result.get("_id"),
                        "status": result.get("status"),
                        "type": error_type,
                        "reason": _one_line(error.get("reason", error) if isinstance(error, dict) else error),
                        "file_path": document.meta.get("file_path") if document else None,
                    }
                )
        except ApiError as error:  # the whole request was refused (e.g. 413 too large), not single documents
            failures = [
                {
                    "id": doc.id,
                    "status": error.meta.status,
                    "type": type(error).__name__,
                    "reason": _one_line(error.message),
                    "file_path": doc.meta.get("file_path"),
                }
                for doc in documents
            ]
            raise BulkWriteError(
                f"Elasticsearch refused a bulk request (HTTP {error.meta.status}): {_one_line(error.message)}",
                failures,
            ) from error
        if failures:
            first = failures[0]
            raise BulkWriteError(
                f"Elasticsearch refused {len(failures)} of {len(documents)} passage(s): "
                f"{first['type']}: {first['reason']}",
                failures,
            )
        if duplicates:
            raise DuplicateDocumentError(f"IDs '{', '.join(duplicates)}' already exist in the document store.")
        return {"documents_written": written}
