"""`TantivyBM25Retriever`: BM25 retrieval from a `TantivyDocumentStore`, like Haystack's InMemoryBM25Retriever."""

from typing import Any

from haystack import Document, component, default_from_dict, default_to_dict
from haystack.document_stores.types import FilterPolicy
from haystack.document_stores.types.filter_policy import apply_filter_policy

from extractive_qa.components.document_stores.tantivy import TantivyDocumentStore

_STORE_TYPE = f"{TantivyDocumentStore.__module__}.{TantivyDocumentStore.__name__}"


@component
class TantivyBM25Retriever:
    """
    Retrieves the documents most relevant to a query with BM25, from a `TantivyDocumentStore`.

    Queries are plain text (questions with punctuation, quotes, `AND` / `OR` words are just words): they are analyzed
    like the indexed content, with English stemming, so "running" also finds "runs".

    ### Usage example

    ```python
    from haystack import Document
    from extractive_qa.components.document_stores.tantivy import TantivyDocumentStore
    from extractive_qa.components.retrievers.tantivy_bm25_retriever import TantivyBM25Retriever

    store = TantivyDocumentStore(index_path="/tmp/my-index")
    store.write_documents([
        Document(content="Python is a popular programming language"),
        Document(content="python ist eine beliebte Programmiersprache"),
    ])
    retriever = TantivyBM25Retriever(store)

    result = retriever.run(query="What's a popular programming language?")

    print(result["documents"])
    ```
    """

    def __init__(
        self,
        document_store: TantivyDocumentStore,
        filters: dict[str, Any] | None = None,
        top_k: int = 10,
        scale_score: bool = False,
        filter_policy: FilterPolicy = FilterPolicy.REPLACE,
    ) -> None:
        """
        Create the TantivyBM25Retriever component.

        :param document_store:
            An instance of TantivyDocumentStore where the retriever should search for relevant documents.
        :param filters:
            A dictionary with filters to narrow down the retriever's search space in the document store.
        :param top_k:
            The maximum number of documents to retrieve.
        :param scale_score:
            When `True`, scales the score of retrieved documents to a range of 0 to 1, where 1 means extremely relevant
            (`expit(score / 8)`, as InMemoryBM25Retriever does). When `False`, uses raw BM25 scores.
        :param filter_policy: The filter policy to apply during retrieval.
        Filter policy determines how filters are applied when retrieving documents. You can choose:
        - `REPLACE` (default): Overrides the initialization filters with the filters specified at runtime.
        Use this policy to dynamically change filtering for specific queries.
        - `MERGE`: Combines runtime filters with initialization filters to narrow down the search.
        :raises TypeError: If the document_store is not an instance of TantivyDocumentStore.
        :raises ValueError:
            If the specified `top_k` is not > 0.
        """
        if not isinstance(document_store, TantivyDocumentStore):
            raise TypeError("document_store must be an instance of TantivyDocumentStore")
        if top_k <= 0:
            raise ValueError(f"top_k must be greater than 0. Currently, the top_k is {top_k}")

        self.document_store = document_store
        self.filters = filters
        self.top_k = top_k
        self.scale_score = scale_score
        self.filter_policy = FilterPolicy.from_str(filter_policy) if isinstance(filter_policy, str) else filter_policy

    def _get_telemetry_data(self) -> dict[str, Any]:
        """
        Data that is sent to Posthog for usage analytics.
        """
        return {"document_store": type(self.document_store).__name__}

    def to_dict(self) -> dict[str, Any]:
        """
        Serializes the component to a dictionary.

        :returns:
            Dictionary with serialized data.
        """
        return default_to_dict(
            self,
            document_store=self.document_store,
            filters=self.filters,
            top_k=self.top_k,
            scale_score=self.scale_score,
            filter_policy=self.filter_policy.value,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TantivyBM25Retriever":
        """
        Deserializes the component from a dictionary.

        :param data:
            The dictionary to deserialize from.
        :returns:
            The deserialized component.
        """
        init_params = data.get("init_parameters", {})
        store = init_params.get("document_store")
        if isinstance(store, dict) and store.get("type") == _STORE_TYPE:
            # Our own store, built here: Haystack 3 would import it by name only from a module on its allowlist.
            init_params["document_store"] = TantivyDocumentStore.from_dict(store)
        if "filter_policy" in init_params:
            init_params["filter_policy"] = FilterPolicy.from_str(init_params["filter_policy"])
        return default_from_dict(cls, data)

    @component.output_types(documents=list[Document])
    def run(
        self,
        query: str,
        filters: dict[str, Any] | None = None,
        top_k: int | None = None,
        scale_score: bool | None = None,
    ) -> dict[str, list[Document]]:
        """
        Run the TantivyBM25Retriever on the given input data.

        :param query:
            The query string for the Retriever. A query without any word returns no documents.
        :param filters:
            A dictionary with filters to narrow down the search space when retrieving documents. With the `MERGE`
            filter policy they are combined with the initialization filters (`AND`), with `REPLACE` they replace them.
        :param top_k:
            The maximum number of documents to return.
        :param scale_score:
            When `True`, scales the score of retrieved documents to a range of 0 to 1, where 1 means extremely relevant.
            When `False`, uses raw BM25 scores.
        :returns:
            The retrieved documents, best first.
        """
        filters = apply_filter_policy(self.filter_policy, self.filters, filters)
        documents = self.document_store.bm25_retrieval(
            query=query,
            filters=filters,
            top_k=self.top_k if top_k is None else top_k,
            scale_score=self.scale_score if scale_score is None else scale_score,
        )
        return {"documents": documents}
