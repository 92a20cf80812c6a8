"""
BM25 retrieval over data/: the in-memory retriever against Elasticsearch's, with and without fuzzy matching.

For SQuAD 2.0 dev questions about the bundled articles, counts how often a passage containing a gold answer is
the first passage retrieved (recall@1) and among the first ten (recall@10, what the reader reads), and the time
per query. By default it uses every third answerable question of the 18 dev articles that are *not* in the
held-out set (`--held-out` uses the held-out articles instead). Needs ../shared (the SQuAD 2.0 dev file).

Usage (start a node first: `ES_PORT=9250 scripts/elasticsearch.sh start`):

    flock /tmp/bench.lock python benchmarks/elasticsearch_retrieval.py --elasticsearch-url http://127.0.0.1:9250
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SQUAD2 = Path(os.environ.get("EQA_SHARED_DIR", ROOT.parent / "shared")) / "data" / "squad2"


def questions(held_out: bool, every: int) -> list[tuple[str, list[str]]]:
    held = json.loads((SQUAD2 / "dev-v2.0-heldout.json").read_text(encoding="utf-8"))["data"]
    if held_out:
        articles = held
    else:
        titles = {a["title"] for a in held}
        dev = json.loads((SQUAD2 / "dev-v2.0.json").read_text(encoding="utf-8"))["data"]
        articles = [a for a in dev if a["title"] not in titles]
    found = [
        (qa["question"], [a["text"] for a in qa["answers"]])
        for article in articles
        for paragraph in article["paragraphs"]
        for qa in paragraph["qas"]
        if not qa["is_impossible"]
    ]
    return found[::every]


def evaluate(retriever: Any, asked: list[tuple[str, list[str]]]) -> dict[str, float]:
    first = top10 = 0
    started = time.perf_counter()
    for question, golds in asked:
        documents = retriever.run(query=question)["documents"]
        top10 += any(g in (d.content or "") for d in documents for g in golds)
        first += bool(documents) and any(g in (documents[0].content or "") for g in golds)
    return {
        "recall@1": round(first / len(asked), 3),
        "recall@10": round(top10 / len(asked), 3),
        "ms_per_query": round(1000 * (time.perf_counter() - started) / len(asked), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--elasticsearch-url", default=os.environ.get("EQA_ELASTICSEARCH_URL", "http://127.0.0.1:9200"))
    parser.add_argument("--held-out", action="store_true", help="ask about the held-out articles instead")
    parser.add_argument("--every", type=int, default=3, help="take every n-th answerable question (default 3)")
    args = parser.parse_args()

    from haystack.components.retrievers.in_memory import InMemoryBM25Retriever
    from haystack_integrations.components.retrievers.elasticsearch import ElasticsearchBM25Retriever

    from extractive_qa import QuestionAnswerer, Settings
    from extractive_qa.logs import quiet_libraries

    quiet_libraries()
    asked = questions(args.held_out, args.every)
    memory = QuestionAnswerer(Settings(store_path=Path(tempfile.mkdtemp()) / "store.json"))
    memory.index([ROOT / "data"])
    index = f"bench-{uuid.uuid4().hex[:10]}"
    es = QuestionAnswerer(
        Settings(store="elasticsearch", elasticsearch_url=args.elasticsearch_url, elasticsearch_index=index)
    )
    try:
        es.index([ROOT / "data"])
        store = es.document_store
        retrievers = {
            "in-memory BM25L (query.yml)": InMemoryBM25Retriever(memory.document_store, top_k=10),
            "Elasticsearch, fuzziness 0 (query_elasticsearch.yml)": ElasticsearchBM25Retriever(
                document_store=store, fuzziness="0", top_k=10
            ),
            "Elasticsearch, fuzziness AUTO (the retriever's default)": ElasticsearchBM25Retriever(
                document_store=store, top_k=10
            ),
        }
        print(f"{len(asked)} questions ({'held-out' if args.held_out else 'not held-out'} SQuAD 2.0 dev articles)")
        for name, retriever in retrievers.items():
            evaluate(retriever, asked[:20])  # warm-up
            print(f"{name:58} {evaluate(retriever, asked)}")
    finally:
        es.document_store.client.options(ignore_status=404).indices.delete(index=index)


if __name__ == "__main__":
    main()
