"""Texts indexed in memory and over HTTP into Elasticsearch: what docker-compose.yml runs (`extractive-qa serve`)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest
import requests

from extractive_qa import QuestionAnswerer, Settings
from extractive_qa.testing.processes import free_port, serve_command, start_server
from extractive_qa.testing.servers import server_env

pytestmark = [pytest.mark.elasticsearch]


def test_index_texts_into_elasticsearch_is_searchable_at_once_and_replaces(es_url: str, es_index: str) -> None:
    qa = QuestionAnswerer(Settings(store="elasticsearch", elasticsearch_url=es_url, elasticsearch_index=es_index))
    paragraphs = "\n\n".join(f"Paragraph {i} tells about the river number {i}. " * 30 for i in range(3))
    report = qa.index_texts([{"name": "rivers.txt", "content": paragraphs, "meta": {"topic": "rivers"}}, "Short."])
    assert report.files_read == 2 and report.passages_written >= 3
    assert qa.count_documents() == report.passages_written  # refreshed: counted without waiting
    only = {"field": "meta.topic", "operator": "==", "value": "rivers"}
    assert len(qa.document_store.filter_documents(only)) == report.passages_written - 1

    report = qa.index_texts(
        [{"name": "rivers.txt", "content": "Now one short paragraph.", "meta": {"topic": "rivers"}}]
    )
    assert report.passages_written == 1 and report.passages_removed >= 3
    assert qa.count_documents() == 2
    assert [d.content for d in qa.document_store.filter_documents(only)] == ["Now one short paragraph."]


@pytest.mark.server
@pytest.mark.model
@pytest.mark.timeout(600)
def test_the_exposed_server_indexes_and_answers_with_elasticsearch(
    es_url: str, es_index: str, shared_model: Path, tmp_path: Path
) -> None:
    key = secrets.token_urlsafe(32)
    port = free_port()
    env = server_env(
        tmp_path,
        shared_model,
        tmp_path / "unused-store.json",
        EQA_STORE="elasticsearch",
        EQA_ELASTICSEARCH_URL=es_url,
        EQA_ELASTICSEARCH_INDEX=es_index,
        EQA_EXPOSED="1",
        EQA_API_KEY=key,
    )
    server = start_server(serve_command(port), env, tmp_path / "server.log", port)
    headers = {"Authorization": f"Bearer {key}"}

    def post(path: str, body: dict[str, Any]) -> requests.Response:
        return requests.post(f"{server.url}{path}", json=body, headers=headers, timeout=120)

    try:
        text = {"name": "harbour.txt", "content": "The old harbour of Kelmstadt was built in 1612 by Dutch engineers."}
        indexed = post("/index/run", {"documents": [text]})
        assert indexed.status_code == 200, indexed.text
        assert indexed.json()["result"]["passages_in_store"] == 1
        answer = post("/ask/run", {"question": "When was the old harbour of Kelmstadt built?", "top_k": 1})
        assert answer.status_code == 200, answer.text
        best = answer.json()["result"]["answers"][0]
        assert best["text"] == "1612" and best["source"] == "harbour.txt"
        assert requests.post(f"{server.url}/ask/run", json={"question": "Who?"}, timeout=30).status_code == 401
    finally:
        server.stop()
