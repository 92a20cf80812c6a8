"""
BM25 retrieval quality and speed of every store the application offers, on the same documents and questions.

The documents are the 1,204 paragraphs of SQuAD 2.0 dev (one document each, written straight to the store); the
questions are its 5,928 answerable ones. A question's hit is its own paragraph: recall@k is the share of questions
whose paragraph is among the first k retrieved. Compared in one run: the embedded store (tantivy, English stemming;
query.yml), Haystack's in-memory BM25L (query_memory.yml), Elasticsearch with the project's English-analysed
mapping (query_elasticsearch.yml) and with the integration's default mapping (standard analyzer), both with the
project's `fuzziness: "0"`.

Reproduce (start a node first: `scripts/elasticsearch.sh start`; needs ../shared):
    python benchmarks/retrieval_recall.py --elasticsearch-url http://127.0.0.1:9200
Writes benchmarks/results/retrieval_recall.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from extractive_qa.testing.paths import SQUAD2_DEV

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "retrieval_recall.json"
KS = (1, 5, 10)


def collection() -> tuple[list[Any], list[tuple[str, str]]]:
    """The paragraphs as Documents (meta `paragraph`), and (question, its paragraph's key) for answerable ones."""
    from haystack import Document

    documents = []
    asked = []
    for article in json.loads(SQUAD2_DEV.read_text(encoding="utf-8"))["data"]:
        for number, paragraph in enumerate(article["paragraphs"]):
            key = f"{article['title']}#{number}"
            documents.append(Document(content=paragraph["context"], meta={"paragraph": key, "file_name": key}))
            asked += [(qa["question"], key) for qa in paragraph["qas"] if not qa.get("is_impossible")]
    return documents, asked


def evaluate(retriever: Any, asked: list[tuple[str, str]]) -> dict[str, float]:
    hits = dict.fromkeys(KS, 0)
    times = []
    for question, key in asked:
        started = time.perf_counter()
        found = [d.meta.get("paragraph") for d in retriever.run(query=question, top_k=max(KS))["documents"]]
        times.append(time.perf_counter() - started)
        for k in KS:
            hits[k] += key in found[:k]
    result = {f"recall@{k}": round(100 * hits[k] / len(asked), 1) for k in KS}
    result["ms_per_query_p50"] = round(1000 * statistics.median(times), 2)
    return result


def retriever_of(settings: Any) -> tuple[Any, Any]:
    """The query YAML's retriever for these settings, and the store it reads (the same store, opened apart)."""
    from haystack.core.serialization import component_from_dict, import_class_by_name

    from extractive_qa.pipeline_files import load_pipeline_data
    from extractive_qa.store.configured_store import open_store

    definition = load_pipeline_data(settings, "query")["components"]["retriever"]
    retriever = component_from_dict(import_class_by_name(definition["type"]), definition, "retriever")
    return retriever, open_store(settings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--elasticsearch-url", default=os.environ.get("EQA_ELASTICSEARCH_URL", "http://127.0.0.1:9200"))
    parser.add_argument("--skip-elasticsearch", action="store_true")
    args = parser.parse_args()

    from haystack_integrations.components.retrievers.elasticsearch import ElasticsearchBM25Retriever
    from haystack_integrations.document_stores.elasticsearch import ElasticsearchDocumentStore

    from extractive_qa.logs import quiet_libraries
    from extractive_qa.settings import Settings
    from extractive_qa.store.elasticsearch import make_searchable
    from extractive_qa.testing.machine import cpu_description

    quiet_libraries()
    documents, asked = collection()
    scratch = Path(tempfile.mkdtemp(prefix="eqa-recall-"))
    retrievers: dict[str, tuple[Any, Any]] = {
        "embedded (tantivy, en_stem; query.yml)": retriever_of(Settings(store_path=scratch / "index")),
        "in-memory BM25L (query_memory.yml)": retriever_of(Settings(store="memory", store_path=scratch / "m.json")),
    }
    indexes = []
    if not args.skip_elasticsearch:
        english = f"bench-{uuid.uuid4().hex[:10]}"
        indexes = [english, f"{english}-standard"]
        es = Settings(store="elasticsearch", elasticsearch_url=args.elasticsearch_url, elasticsearch_index=english)
        retrievers["Elasticsearch, English analyzer (query_elasticsearch.yml)"] = retriever_of(es)
        standard = ElasticsearchDocumentStore(hosts=args.elasticsearch_url, index=indexes[1])
        retrievers["Elasticsearch, default mapping (standard analyzer)"] = (
            ElasticsearchBM25Retriever(document_store=standard, fuzziness="0"),
            standard,
        )
    results = {}
    try:
        print(f"# {cpu_description()}; {len(documents)} paragraphs, {len(asked)} answerable questions")
        for name, (retriever, store) in retrievers.items():
            store.write_documents(documents)
            make_searchable(store)
            results[name] = evaluate(retriever, asked)
            print(f"{name:60} {results[name]}")
    finally:
        for name in indexes:
            ElasticsearchDocumentStore(hosts=args.elasticsearch_url, index=name).client.options(
                ignore_status=404
            ).indices.delete(index=name)
    RESULTS.write_text(json.dumps({"machine": cpu_description(), "results": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
