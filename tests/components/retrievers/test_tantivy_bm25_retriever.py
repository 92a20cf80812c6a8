"""TantivyBM25Retriever: parameters, filter policies, and the round trip through a Pipeline's YAML."""

from pathlib import Path

import pytest
from haystack import Document, Pipeline
from haystack.document_stores.in_memory import InMemoryDocumentStore
from haystack.document_stores.types import FilterPolicy

from extractive_qa.components.document_stores.tantivy import TantivyDocumentStore
from extractive_qa.components.retrievers.tantivy_bm25_retriever import TantivyBM25Retriever
from extractive_qa.testing.haystack_major import TRUST_COMPONENTS

RETRIEVER_TYPE = "extractive_qa.components.retrievers.tantivy_bm25_retriever.TantivyBM25Retriever"
STORE_TYPE = "extractive_qa.components.document_stores.tantivy.document_store.TantivyDocumentStore"


@pytest.fixture
def store(tmp_path: Path) -> TantivyDocumentStore:
    store = TantivyDocumentStore(index_path=str(tmp_path / "index"))
    store.write_documents(
        [
            Document(id="fr", content="Paris is the capital of France.", meta={"lang": "en", "year": 2020}),
            Document(id="de", content="Berlin is the capital of Germany.", meta={"lang": "en", "year": 2024}),
            Document(
                id="de-de", content="Berlin ist die Hauptstadt von Deutschland.", meta={"lang": "de", "year": 2024}
            ),
        ]
    )
    return store


def test_init_checks_its_parameters(store: TantivyDocumentStore) -> None:
    with pytest.raises(TypeError, match="TantivyDocumentStore"):
        TantivyBM25Retriever(InMemoryDocumentStore())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="top_k"):
        TantivyBM25Retriever(store, top_k=0)
    retriever = TantivyBM25Retriever(store)
    assert (retriever.filters, retriever.top_k, retriever.scale_score, retriever.filter_policy) == (
        None,
        10,
        False,
        FilterPolicy.REPLACE,
    )


def test_run_returns_the_best_documents_with_scores(store: TantivyDocumentStore) -> None:
    retriever = TantivyBM25Retriever(store, top_k=2)
    documents = retriever.run(query="What's the capital of France?")["documents"]
    assert [doc.id for doc in documents] == ["fr", "de"]
    assert documents[0].score > documents[1].score > 1

    documents = retriever.run(query="What's the capital of France?", top_k=1, scale_score=True)["documents"]
    assert [doc.id for doc in documents] == ["fr"]
    assert 0 < documents[0].score < 1
    assert retriever.run(query="?!")["documents"] == []


def test_runtime_filters_replace_the_init_filters_by_default(store: TantivyDocumentStore) -> None:
    english = {"field": "meta.lang", "operator": "==", "value": "en"}
    retriever = TantivyBM25Retriever(store, filters=english)
    assert {doc.id for doc in retriever.run(query="Berlin")["documents"]} == {"de"}
    german = {"field": "meta.lang", "operator": "==", "value": "de"}
    assert {doc.id for doc in retriever.run(query="Berlin", filters=german)["documents"]} == {"de-de"}


def test_merge_combines_init_and_runtime_filters(store: TantivyDocumentStore) -> None:
    recent = {"field": "meta.year", "operator": ">=", "value": 2024}
    retriever = TantivyBM25Retriever(store, filters=recent, filter_policy=FilterPolicy.MERGE)
    english = {"field": "meta.lang", "operator": "==", "value": "en"}
    assert [doc.id for doc in retriever.run(query="capital Berlin Paris", filters=english)["documents"]] == ["de"]
    assert {doc.id for doc in retriever.run(query="capital Berlin Paris")["documents"]} == {"de", "de-de"}


def test_to_dict_and_from_dict(store: TantivyDocumentStore) -> None:
    filters = {"field": "meta.lang", "operator": "==", "value": "en"}
    retriever = TantivyBM25Retriever(
        store, filters=filters, top_k=3, scale_score=True, filter_policy=FilterPolicy.MERGE
    )
    data = retriever.to_dict()
    assert data == {
        "type": RETRIEVER_TYPE,
        "init_parameters": {
            "document_store": {"type": STORE_TYPE, "init_parameters": store.to_dict()["init_parameters"]},
            "filters": filters,
            "top_k": 3,
            "scale_score": True,
            "filter_policy": "merge",
        },
    }
    restored = TantivyBM25Retriever.from_dict(data)
    assert isinstance(restored.document_store, TantivyDocumentStore)
    assert restored.document_store.index_path == store.index_path
    assert (restored.filters, restored.top_k, restored.scale_score, restored.filter_policy) == (
        filters,
        3,
        True,
        FilterPolicy.MERGE,
    )


def test_round_trip_through_pipeline_yaml(store: TantivyDocumentStore) -> None:
    pipeline = Pipeline()
    pipeline.add_component("retriever", TantivyBM25Retriever(store, top_k=1))
    yaml = pipeline.dumps()
    assert f"type: {STORE_TYPE}" in yaml
    assert f"index_path: {store.index_path}" in yaml

    loaded = Pipeline.loads(yaml, **TRUST_COMPONENTS)
    assert loaded.dumps() == yaml
    result = loaded.run({"retriever": {"query": "Which city is Germany's capital?"}})
    assert [doc.id for doc in result["retriever"]["documents"]] == ["de"]
