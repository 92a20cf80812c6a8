"""
The exposed configuration, against real `extractive-qa serve` processes on 127.0.0.1 (EQA_EXPOSED=1 forces exposed
mode; no test binds or sends traffic to anything but loopback).
"""

from __future__ import annotations

import secrets
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from extractive_qa.testing.paths import ROOT
from extractive_qa.testing.processes import Server, free_port, hayhooks_command, serve_command, start_server
from extractive_qa.testing.servers import deploy_files_payload, index_bundled_data, server_env, serving

pytestmark = [pytest.mark.server, pytest.mark.model, pytest.mark.timeout(600)]

API_KEY = secrets.token_urlsafe(32)
MAX_BODY_BYTES = 65_536
MAX_DOCUMENTS = 3
QUESTION = "When was the Old Truman Brewery founded?"


@pytest.fixture(scope="module")
def exposed(shared_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("exposed")
    store = tmp / "store" / "store.json"
    index_bundled_data(store)
    with serving(
        tmp,
        shared_model,
        store,
        EQA_EXPOSED="1",
        EQA_API_KEY=API_KEY,
        EQA_MAX_BODY_BYTES=str(MAX_BODY_BYTES),
        EQA_MAX_DOCUMENTS=str(MAX_DOCUMENTS),
        EQA_MAX_CONCURRENT="1",
        EQA_MAX_QUEUE="0",
    ) as running:
        yield running


def post(server: Server, path: str, body: Any = None, key: str | None = API_KEY, **kwargs: Any) -> requests.Response:
    headers = kwargs.pop("headers", {})
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    return requests.post(f"{server.url}{path}", json=body, headers=headers, timeout=120, **kwargs)


def test_question_needs_the_key(exposed: Server) -> None:
    missing = post(exposed, "/ask/run", {"question": QUESTION}, key=None)
    assert missing.status_code == 401 and "API key" in missing.json()["detail"]
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    wrong = post(exposed, "/ask/run", {"question": QUESTION}, key=API_KEY[:-1] + ("x" if API_KEY[-1] != "x" else "y"))
    assert wrong.status_code == 401
    right = post(exposed, "/ask/run", {"question": QUESTION})
    assert right.status_code == 200, right.text
    assert right.json()["result"]["answers"][0]["text"] == "1724"
    header = requests.post(
        f"{exposed.url}/ask/run", json={"question": QUESTION}, headers={"X-API-Key": API_KEY}, timeout=120
    )
    assert header.status_code == 200


def test_indexing_needs_the_key(exposed: Server) -> None:
    document = {"name": "key-test.txt", "content": "The key test text mentions Vellmar."}
    assert post(exposed, "/index/run", {"documents": [document]}, key=None).status_code == 401
    response = post(exposed, "/index/run", {"documents": [document]})
    assert response.status_code == 200, response.text
    assert response.json()["result"]["documents_indexed"] == 1


def test_health_and_docs_need_no_key(exposed: Server) -> None:
    assert requests.get(f"{exposed.url}/status", timeout=10).status_code == 200
    assert requests.get(f"{exposed.url}/docs", timeout=10).status_code == 200
    schema = requests.get(f"{exposed.url}/openapi.json", timeout=10).json()
    assert set(schema["paths"]) == {
        "/ask/run",
        "/index/run",
        "/status",
        "/info",
        "/upload",
        "/sources",
        "/sources/{source}",
        "/feedback",
    }
    for path, method in [
        ("/ask/run", "post"),
        ("/upload", "post"),
        ("/feedback", "post"),
        ("/info", "get"),
        ("/sources", "get"),
        ("/sources/{source}", "delete"),
    ]:
        assert schema["paths"][path][method]["security"], path
    assert "bearer" in schema["components"]["securitySchemes"]


def test_the_page_is_served_without_the_key_and_its_endpoints_need_it(exposed: Server) -> None:
    """The page and its files hold no data (the page asks for the key); what it calls needs the key."""
    for path in ("/", "/static/app.js", "/static/app.css"):
        assert requests.get(f"{exposed.url}{path}", timeout=10).status_code == 200, path
    refused = [
        requests.get(f"{exposed.url}/info", timeout=10),
        requests.post(f"{exposed.url}/upload", files=[("files", ("a.txt", b"Some text.", "text/plain"))], timeout=10),
        post(exposed, "/feedback", {"answer_id": "x", "rating": "up"}, key=None),
        post(exposed, "/mcp", {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, key=None),
    ]
    for response in refused:
        assert response.status_code == 401, (response.request.url, response.text)
    assert requests.get(f"{exposed.url}/info", headers={"X-API-Key": API_KEY}, timeout=10).status_code == 200
    assert requests.get(f"{exposed.url}/static/../ask/run", timeout=10).status_code in (401, 404)


@pytest.mark.parametrize("key", [None, API_KEY], ids=["without-key", "with-key"])
def test_deploy_endpoints_are_refused_and_nothing_is_imported(exposed: Server, tmp_path: Path, key: str | None) -> None:
    marker = tmp_path / "imported.txt"
    payload = deploy_files_payload(marker)
    yaml_source = (ROOT / "pipelines" / "indexing.yml").read_text(encoding="utf-8")
    attempts = [
        post(exposed, "/deploy_files", payload, key=key),
        post(exposed, "/deploy-yaml", {"name": "intruder_yaml", "source_code": yaml_source}, key=key),
        post(exposed, "/undeploy/ask", key=key),
        post(exposed, "/undeploy/index", key=key),
    ]
    for response in attempts:
        assert response.status_code == 404, (response.request.url, response.text)
        assert "no such endpoint" in response.json()["detail"]
    time.sleep(1.0)
    assert not marker.exists()
    pipelines = requests.get(f"{exposed.url}/status", timeout=10).json()["pipelines"]
    assert sorted(pipelines) == ["ask", "index"]
    assert post(exposed, "/ask/run", {"question": QUESTION}).status_code == 200


def test_other_hayhooks_endpoints_are_not_served(exposed: Server) -> None:
    for method, path in [("GET", "/draw/ask"), ("POST", "/v1/chat/completions"), ("GET", "/traces")]:
        response = requests.request(
            method, f"{exposed.url}{path}", headers={"Authorization": f"Bearer {API_KEY}"}, json={}, timeout=30
        )
        assert response.status_code == 404, (path, response.text)


def test_oversize_body_is_413(exposed: Server) -> None:
    big = {"question": "Why " + "x" * 100_000 + "?"}
    response = post(exposed, "/ask/run", big)
    assert response.status_code == 413
    assert f"the limit is {MAX_BODY_BYTES} bytes" in response.json()["detail"]


def test_oversize_chunked_body_is_413(exposed: Server) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"question": "'
        for _ in range(20):
            yield b"x" * 10_000
        yield b'"}'

    response = requests.post(
        f"{exposed.url}/ask/run",
        data=chunks(),
        headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"},
        timeout=60,
    )
    assert response.status_code == 413
    assert "EQA_MAX_BODY_BYTES" in response.json()["detail"]


def test_overlong_question_is_422(exposed: Server) -> None:
    response = post(exposed, "/ask/run", {"question": "Why " + "y" * 3000 + "?"})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "question"] and "too long" in error["msg"] and "2000" in error["msg"]


def test_too_many_documents_is_413(exposed: Server) -> None:
    documents = [f"Text number {i}." for i in range(MAX_DOCUMENTS + 1)]
    response = post(exposed, "/index/run", {"documents": documents})
    assert response.status_code == 413
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "documents"] and f"the limit is {MAX_DOCUMENTS}" in error["msg"]


def test_non_finite_numbers_are_422_not_500(exposed: Server) -> None:
    # Python's JSON parser accepts NaN; FastAPI's stock handler then fails to echo it back (a 500).
    for body in ('{"question": "Who?", "threshold": NaN}', '{"question": NaN}', '{"question": "Who?", "top_k": NaN}'):
        response = requests.post(
            f"{exposed.url}/ask/run",
            data=body,
            headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"},
            timeout=60,
        )
        assert response.status_code == 422, (body, response.text)


def test_concurrent_model_work_is_bounded(exposed: Server) -> None:
    """EQA_MAX_CONCURRENT=1 and EQA_MAX_QUEUE=0: while one question runs, others get 503 with a message."""

    def one(_: int) -> requests.Response:
        return post(exposed, "/ask/run", {"question": QUESTION, "retriever_top_k": 20})

    with ThreadPoolExecutor(max_workers=6) as pool:
        responses = list(pool.map(one, range(6)))
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {200, 503} and 200 in statuses and 503 in statuses, statuses
    busy = next(r for r in responses if r.status_code == 503)
    assert "busy" in busy.json()["detail"] and busy.headers["Retry-After"] == "1"
    assert post(exposed, "/ask/run", {"question": QUESTION}).status_code == 200  # and it recovers


def test_cors_is_off(exposed: Server) -> None:
    origin = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    preflight = requests.options(f"{exposed.url}/ask/run", headers=origin, timeout=10)
    assert "access-control-allow-origin" not in {k.lower() for k in preflight.headers}
    simple = requests.get(f"{exposed.url}/status", headers={"Origin": "https://evil.example"}, timeout=10)
    assert "access-control-allow-origin" not in {k.lower() for k in simple.headers}


def test_loopback_developer_server_needs_no_key(shared_model: Path, tmp_path: Path) -> None:
    """`extractive-qa serve` on 127.0.0.1 without EQA_API_KEY: questions work without a key."""
    store = tmp_path / "store.json"
    port = free_port()
    server = start_server(serve_command(port), server_env(tmp_path, shared_model, store), tmp_path / "server.log", port)
    try:
        early = requests.post(f"{server.url}/ask/run", json={"question": "Where does the server run?"}, timeout=60)
        assert early.status_code == 409 and "no documents are indexed" in early.json()["detail"]
        indexed = requests.post(
            f"{server.url}/index/run",
            json={"documents": [{"name": "dev.txt", "content": "The developer server runs in Ostrava."}]},
            timeout=60,
        )
        assert indexed.status_code == 200, indexed.text
        answer = requests.post(f"{server.url}/ask/run", json={"question": "Where does the server run?"}, timeout=60)
        assert answer.status_code == 200, answer.text
        assert "Ostrava" in answer.json()["result"]["answers"][0]["text"]
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"EQA_EXPOSED": "1", "EQA_API_KEY": API_KEY}, "refusing to serve an exposed server"),
        ({"EQA_API_KEY": API_KEY}, "a plain 'hayhooks run' cannot ask for it"),
    ],
    ids=["exposed", "key-on-loopback"],
)
def test_plain_hayhooks_run_refuses_what_it_cannot_guard(
    tmp_path: Path, shared_model: Path, extra: dict[str, str], message: str
) -> None:
    """A stock `hayhooks run` serves its deploy endpoints and checks no key: exposed or with a key, it does not run."""
    port = free_port()
    env = server_env(tmp_path, shared_model, tmp_path / "store.json", **extra)
    completed = subprocess.run(hayhooks_command(port), env=env, cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert completed.returncode != 0
    assert message in completed.stdout + completed.stderr
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/status", timeout=2)


def test_serve_refuses_an_exposed_configuration_without_a_key(tmp_path: Path, shared_model: Path) -> None:
    env = server_env(tmp_path, shared_model, tmp_path / "store.json", EQA_EXPOSED="1")
    completed = subprocess.run(
        serve_command(free_port()), env=env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 2
    assert "EQA_API_KEY is not set" in completed.stderr
