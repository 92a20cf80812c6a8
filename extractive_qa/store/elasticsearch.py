"""What the application needs to know about Elasticsearch beyond Haystack's document store interface."""

from __future__ import annotations

from typing import Any

ELASTICSEARCH_STORE_MODULE = "haystack_integrations.document_stores.elasticsearch"


def is_elasticsearch(store: Any) -> bool:
    """Whether `store` is an `ElasticsearchDocumentStore` (checked without importing the integration)."""
    return any(cls.__module__.startswith(ELASTICSEARCH_STORE_MODULE) for cls in type(store).__mro__)


def index_name(store: Any) -> str:
    """The name of the index an `ElasticsearchDocumentStore` reads and writes."""
    return str(store.to_dict()["init_parameters"]["index"])


def make_searchable(store: Any) -> None:
    """
    Makes everything written to the store so far visible to searches and counts.

    Elasticsearch shows written documents only after an index refresh; the indexing pipeline's writer does not wait
    for one, so the indexer refreshes once at the end of a run (and after deleting passages). Other stores show
    their writes at once; for them this does nothing.
    """
    if is_elasticsearch(store):
        store.client.indices.refresh(index=index_name(store))
