"""
The question and indexing pipelines served by a real `hayhooks run --pipelines-dir <wrappers>` process.

One server per module (the shared small model, the bundled data indexed into a temporary store), real HTTP.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from extractive_qa.components.utils import normalize_answer
from extractive_qa.testing.known_questions import KNOWN_QUESTIONS
from extractive_qa.testing.paths import DATA_DIR
from extractive_qa.testing.processes import Server, hayhooks_command
from extractive_qa.testing.servers import deploy_files_payload, index_bundled_data, serving

pytestmark = [pytest.mark.server, pytest.mark.model, pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
def server(shared_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("hayhooks-run")
    store = tmp / "store" / "store.json"
    index_bundled_data(store)
    with serving(tmp, shared_model, store, command=hayhooks_command) as running:
        yield running


def ask(server: Server, **body: Any) -> requests.Response:
    return requests.post(f"{server.url}/ask/run", json=body, timeout=120)


def index(server: Server, documents: list[Any]) -> requests.Response:
    return requests.post(f"{server.url}/index/run", json={"documents": documents}, timeout=120)


def check_answer_in_data(answer: dict[str, Any]) -> None:
    """The answer is a real span of a bundled file: its context holds it at the given offsets, the file holds it."""
    assert answer["text"], answer
    assert answer["context"][answer["context_start"] : answer["context_end"]] == answer["text"]
    assert answer["end"] - answer["start"] == len(answer["text"])
    assert answer["document_meta"]["file_name"] == answer["source"]
    assert answer["text"] in (DATA_DIR / answer["source"]).read_text(encoding="utf-8")


def test_status_lists_the_pipelines(server: Server) -> None:
    status = requests.get(f"{server.url}/status", timeout=10)
    assert status.status_code == 200
    assert {"ask", "index"} <= set(status.json()["pipelines"])


def test_only_the_wrappers_are_deployed(server: Server) -> None:
    # The YAML files stay in pipelines/, out of hayhooks' pipelines dir: the query YAML is not deployed beside the
    # wrappers (it would load a second model on its first request); the two wrappers share one model.
    pipelines = set(requests.get(f"{server.url}/status", timeout=10).json()["pipelines"])
    assert {"ask", "index"} <= pipelines and not pipelines & {"query", "indexing"}


def test_openapi_documents_every_field(server: Server) -> None:
    schema = requests.get(f"{server.url}/openapi.json", timeout=10).json()
    components = schema["components"]["schemas"]

    def resolve(ref: dict[str, Any]) -> dict[str, Any]:
        return components[ref["$ref"].rsplit("/", 1)[1]] if "$ref" in ref else ref

    ask_body = schema["paths"]["/ask/run"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    ask_fields = resolve(ask_body)["properties"]
    assert set(ask_fields) == {"question", "top_k", "filters", "threshold", "min_confidence", "retriever_top_k"}
    assert resolve(ask_body)["required"] == ["question"]
    for name, field in ask_fields.items():
        assert field.get("description") and not field["description"].startswith("Parameter '"), name
    assert ask_fields["top_k"]["minimum"] == 1 and ask_fields["top_k"]["maximum"] == 100
    answer_fields = components["AnswerModel"]["properties"]
    for name in ("text", "score", "document_id", "document_meta", "start", "end", "context", "meta", "reason"):
        assert answer_fields[name].get("description"), name
    assert "no passage mentions" in answer_fields["reason"]["description"]  # the no-answer entry says why
    index_body = schema["paths"]["/index/run"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert resolve(index_body)["properties"]["documents"]["description"]
    for name in ("content", "name", "meta"):
        assert components["TextDocument"]["properties"][name]["description"], name


@pytest.mark.parametrize(("question", "golds", "source"), KNOWN_QUESTIONS[:3])
def test_ask_answers_from_the_bundled_data(server: Server, question: str, golds: list[str], source: str) -> None:
    response = ask(server, question=question, top_k=3)
    assert response.status_code == 200, response.text
    result = response.json()["result"]
    assert result["question"] == question and result["no_answer"] is False
    best = result["answers"][0]
    assert normalize_answer(best["text"]) in {normalize_answer(g) for g in golds}
    assert best["source"] == source
    assert 0 < best["score"] <= 1
    check_answer_in_data(best)
    assert len([a for a in result["answers"] if a["text"] is not None]) <= 3
    assert sum(a["text"] is None for a in result["answers"]) == 1  # the no-answer entry is always there


def test_filters_restrict_the_passages(server: Server) -> None:
    question = "When was Scotland invaded by William?"
    only = {"field": "meta.file_name", "operator": "==", "value": "Warsaw.txt"}
    result = ask(server, question=question, top_k=5, filters=only).json()["result"]
    sources = {a["source"] for a in result["answers"] if a["text"] is not None}
    assert sources == {"Warsaw.txt"}
    group = {
        "operator": "OR",
        "conditions": [only, {"field": "meta.file_name", "operator": "==", "value": "Normans.txt"}],
    }
    result = ask(server, question=question, top_k=5, filters=group).json()["result"]
    assert result["answers"][0]["source"] == "Normans.txt"


def test_threshold_overrides_the_no_answer_decision(server: Server) -> None:
    question = "When was the Old Truman Brewery founded?"
    strict = ask(server, question=question, threshold=-1000.0).json()["result"]
    assert strict["no_answer"] is True and strict["answers"][0]["text"] is None
    assert strict["answers"][0]["meta"]["threshold"] == -1000.0
    lenient = ask(server, question=question, threshold=1000.0).json()["result"]
    assert lenient["no_answer"] is False and lenient["answers"][0]["text"] == "1724"


def test_index_then_ask(server: Server) -> None:
    name = "zorblat-festival.txt"
    text = "The Zorblat festival is held every year in the town of Quillington. It celebrates the blue moth."
    first = index(server, [{"name": name, "content": text, "meta": {"topic": "festivals"}}])
    assert first.status_code == 200, first.text
    report = first.json()["result"]
    assert report["documents_indexed"] == 1 and report["passages_written"] == 1 and report["names"] == [name]
    only = {"field": "meta.topic", "operator": "==", "value": "festivals"}
    answer = ask(server, question="Where is the Zorblat festival held?", filters=only).json()["result"]["answers"][0]
    assert "Quillington" in answer["text"] and answer["source"] == name
    assert answer["document_meta"]["topic"] == "festivals"

    # Indexing the name again replaces the text: the old passage goes, the new answer comes.
    moved = text.replace("Quillington", "Marrowby")
    report = index(server, [{"name": name, "content": moved, "meta": {"topic": "festivals"}}]).json()["result"]
    assert report["passages_removed"] == 1
    answer = ask(server, question="Where is the Zorblat festival held?", filters=only).json()["result"]["answers"][0]
    assert "Marrowby" in answer["text"]
    contents = ask(server, question="Where is the Zorblat festival held?", filters=only, top_k=10).json()["result"]
    assert not any("Quillington" in (a["context"] or "") for a in contents["answers"])


def test_index_accepts_plain_strings(server: Server) -> None:
    response = index(server, ["Ulrike Brandt founded the Nebelhorn glass works in 1871."])
    assert response.status_code == 200, response.text
    report = response.json()["result"]
    assert report["documents_indexed"] == 1 and report["names"][0].startswith("text-")
    assert report["passages_in_store"] > 900


BIG_QUESTION = "Why " + "x" * 100_000 + "?"

# (body, field named in the answer). Every one must be a 4xx naming the field, never a 500 or a traceback.
BAD_ASK_BODIES: list[tuple[Any, str]] = [
    ({"question": ""}, "question"),
    ({"question": "   \n\t "}, "question"),
    ({"question": BIG_QUESTION}, "question"),
    ({}, "question"),
    ({"top_k": 3}, "question"),
    ({"question": 42}, "question"),
    ({"question": ["who?"]}, "question"),
    ({"question": None}, "question"),
    ({"question": "Who?", "top_k": 0}, "top_k"),
    ({"question": "Who?", "top_k": -1}, "top_k"),
    ({"question": "Who?", "top_k": 1_000_000}, "top_k"),
    ({"question": "Who?", "top_k": "5"}, "top_k"),
    ({"question": "Who?", "top_k": 2.5}, "top_k"),
    ({"question": "Who?", "top_k": True}, "top_k"),
    ({"question": "Who?", "threshold": "high"}, "threshold"),
    ({"question": "Who?", "retriever_top_k": 0}, "retriever_top_k"),
    ({"question": "Who?", "retriever_top_k": 100_000}, "retriever_top_k"),
    ({"question": "Who?", "filters": "meta.file_name == x"}, "filters"),
    ({"question": "Who?", "filters": {"field": "meta.file_name", "operator": "~", "value": 1}}, "filters"),
    ({"question": "Who?", "filters": {"field": "meta.file_name", "operator": "in", "value": "x"}}, "filters"),
    ({"question": "Who?", "filters": {"operator": "AND", "conditions": []}}, "filters"),
    ([], "body"),
    ("What is the capital of Victoria?", "body"),
]

BAD_INDEX_BODIES: list[tuple[Any, str]] = [
    ({}, "documents"),
    ({"documents": []}, "documents"),
    ({"documents": "some text"}, "documents"),
    ({"documents": [{"content": ""}]}, "content"),
    ({"documents": [{"content": "   "}]}, "documents"),
    ({"documents": [{"name": "no-content.txt"}]}, "content"),
    ({"documents": [42]}, "documents"),
    ({"documents": [{"content": "x", "meta": {"_private": 1}}]}, "meta"),
    ({"documents": [{"content": "x", "meta": {"file_path": "/etc/passwd"}}]}, "file_path"),
    ({"documents": [{"content": "x", "meta": {"nested": {"a": 1}}}]}, "meta"),
    ({"documents": [{"content": "x", "path": "/etc/passwd"}]}, "path"),
    ({"documents": [{"content": "a", "name": "same"}, {"content": "b", "name": "same"}]}, "name"),
]


def check_refusal(response: requests.Response, field: str) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:500])
    assert "Traceback" not in response.text and 'File "' not in response.text
    assert field in response.text, response.text[:500]
    assert len(response.content) < 20_000  # the refusal does not echo a 100 KB input


@pytest.mark.parametrize(("body", "field"), BAD_ASK_BODIES, ids=[f"ask-{i}" for i in range(len(BAD_ASK_BODIES))])
def test_bad_questions_are_refused_with_the_field_named(server: Server, body: Any, field: str) -> None:
    check_refusal(requests.post(f"{server.url}/ask/run", json=body, timeout=60), field)


@pytest.mark.parametrize(("body", "field"), BAD_INDEX_BODIES, ids=[f"index-{i}" for i in range(len(BAD_INDEX_BODIES))])
def test_bad_indexing_requests_are_refused_with_the_field_named(server: Server, body: Any, field: str) -> None:
    before = requests.post(f"{server.url}/index/run", json={"documents": ["probe text for counting."]}, timeout=60)
    count = before.json()["result"]["passages_in_store"]
    check_refusal(requests.post(f"{server.url}/index/run", json=body, timeout=60), field)
    after = requests.post(f"{server.url}/index/run", json={"documents": ["probe text for counting."]}, timeout=60)
    assert after.json()["result"]["passages_in_store"] == count  # nothing of the refused request was written


@pytest.mark.parametrize(
    ("data", "content_type", "field"),
    [
        ('{"question": "Who?",', "application/json", "body"),
        ("{bad json", "application/json", "body"),
        ("question=Who", "application/x-www-form-urlencoded", "body"),
        ("", "application/json", "body"),
    ],
)
def test_malformed_bodies_are_refused(server: Server, data: str, content_type: str, field: str) -> None:
    response = requests.post(f"{server.url}/ask/run", data=data, headers={"Content-Type": content_type}, timeout=60)
    check_refusal(response, field)


def test_unknown_pipeline_is_404(server: Server) -> None:
    response = requests.post(f"{server.url}/no_such_pipeline/run", json={"question": "Who?"}, timeout=60)
    assert response.status_code == 404 and "Traceback" not in response.text


def test_nothing_of_a_bad_request_reaches_the_log_as_a_traceback(server: Server) -> None:
    ask(server, question="   ")
    ask(server, question="Who?", filters={"field": "meta.file_name", "operator": "in", "value": "x"})
    assert "Traceback" not in server.log()


def test_load_of_concurrent_clients(server: Server) -> None:
    """
    50 questions from 8 concurrent clients: every one answered, and answered right, with its own question. The
    server lets 8 questions in at once (`EQA_MAX_CONCURRENT`'s default), so they run the model side by side.
    """
    questions = [KNOWN_QUESTIONS[i % len(KNOWN_QUESTIONS)] for i in range(50)]

    def one(item: tuple[str, list[str], str]) -> tuple[int, dict[str, Any], float]:
        started = time.perf_counter()
        response = requests.post(
            f"{server.url}/ask/run", json={"question": item[0], "top_k": 1, "retriever_top_k": 3}, timeout=300
        )
        return response.status_code, response.json(), time.perf_counter() - started

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(one, questions))
    assert [status for status, _, _ in results] == [200] * 50
    for (question, golds, source), (_, body, _) in zip(questions, results, strict=True):
        assert body["result"]["question"] == question
        best = body["result"]["answers"][0]
        assert normalize_answer(best["text"]) in {normalize_answer(g) for g in golds}, (question, best["text"])
        assert best["source"] == source
        check_answer_in_data(best)


def test_stock_hayhooks_imports_deployed_files(server: Server, tmp_path: Path) -> None:
    """
    What an exposed server must not allow, shown on the loopback developer server (hayhooks' own behaviour): the
    payload of /deploy_files is imported. It proves the payload used in test_serving_security would run.
    """
    marker = tmp_path / "imported.txt"
    response = requests.post(f"{server.url}/deploy_files", json=deploy_files_payload(marker), timeout=120)
    assert response.status_code == 200, response.text
    assert marker.read_text() == "imported"
    requests.post(f"{server.url}/undeploy/intruder", timeout=60)


def test_results_are_json_without_nan(server: Server) -> None:
    response = ask(server, question="What colour is the sky on Mars in the bundled texts?", top_k=2)
    assert response.status_code == 200
    json.loads(response.text)  # strict JSON: no NaN or Infinity tokens
    assert "NaN" not in response.text and "Infinity" not in response.text
