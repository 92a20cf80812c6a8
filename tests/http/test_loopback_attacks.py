"""
What a web page (or anything else) can do to `extractive-qa serve` in its default configuration (loopback, no key),
against one real server process on 127.0.0.1 with the shared small model and bundled files indexed by path: DNS
rebinding, cross-site requests, hayhooks' management endpoints, paths read out through filters and errors, bad
thresholds, names and counts. Each is refused with a clear 4xx and changes nothing.
"""

from __future__ import annotations

import functools
import http.server
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from extractive_qa import QuestionAnswerer, Settings
from extractive_qa.http.server import WRAPPERS_DIR
from extractive_qa.testing.browser import chromium, missing_browser
from extractive_qa.testing.damage import flip
from extractive_qa.testing.paths import DATA_DIR, ROOT
from extractive_qa.testing.processes import Server, free_port, serve_command, start_server
from extractive_qa.testing.servers import deploy_files_payload, server_env, serving

pytestmark = [pytest.mark.server, pytest.mark.model, pytest.mark.timeout(600)]

QUESTION = "What is the atomic number of oxygen?"
EVIL_ORIGIN = "https://evil.example"
INDEXED = [DATA_DIR / "Oxygen.txt", DATA_DIR / "Normans.txt"]


@pytest.fixture(scope="module")
def server(shared_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("loopback-attacks")
    store = tmp / "store"
    assert QuestionAnswerer(Settings(store_path=store)).index(INDEXED).files_read == 2
    with serving(tmp, shared_model, store) as running:
        yield running


def count(server: Server) -> int:
    return requests.get(f"{server.url}/info", timeout=30).json()["passages_in_store"]


def post(server: Server, path: str, **kwargs: Any) -> requests.Response:
    return requests.post(f"{server.url}{path}", timeout=120, **kwargs)


def assert_no_server_path(response: requests.Response) -> None:
    for path in (str(ROOT), str(DATA_DIR), "/tmp/", str(Path.home())):
        assert path not in response.text, (path, response.text)


def test_a_rebound_host_reaches_nothing(server: Server, tmp_path: Path) -> None:
    """DNS rebinding: evil.example now resolves to 127.0.0.1, so the browser sends `Host: evil.example:PORT`."""
    marker = tmp_path / "imported.txt"
    host = {"Host": f"evil.example:{server.url.rsplit(':', 1)[1]}"}
    attempts = [
        post(server, "/deploy_files", json=deploy_files_payload(marker), headers=host),
        post(server, "/ask/run", json={"question": QUESTION}, headers=host),
        post(server, "/index/run", json={"documents": ["Planted text."]}, headers=host),
        requests.get(f"{server.url}/info", headers=host, timeout=30),
        requests.get(f"{server.url}/", headers=host, timeout=30),
        post(server, "/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, headers=host),
    ]
    for response in attempts:
        assert response.status_code == 421, (response.request.url, response.text)
        assert "evil.example" in response.json()["detail"] and "EQA_ALLOWED_HOSTS" in response.json()["detail"]
    time.sleep(0.5)
    assert not marker.exists()


def test_hayhooks_management_endpoints_are_not_mounted(server: Server, tmp_path: Path) -> None:
    marker = tmp_path / "imported.txt"
    yaml_source = (ROOT / "pipelines" / "indexing.yml").read_text(encoding="utf-8")
    attempts = [
        post(server, "/deploy_files", json=deploy_files_payload(marker)),
        post(server, "/deploy-yaml", json={"name": "intruder", "source_code": yaml_source}),
        post(server, "/undeploy/ask"),
        post(server, "/undeploy/index"),
        post(server, "/v1/chat/completions", json={"model": "ask", "messages": []}),
        post(server, "/chat/completions", json={"model": "ask", "messages": []}),
        post(server, "/v1/responses", json={"model": "ask", "input": "x"}),
        requests.get(f"{server.url}/v1/models", timeout=30),
        requests.get(f"{server.url}/models", timeout=30),
        requests.get(f"{server.url}/draw/ask", timeout=30),
        requests.get(f"{server.url}/status/ask", timeout=30),
        requests.get(f"{server.url}/traces", timeout=30),
        post(server, "/ask/upload", files=[("files", ("a.txt", b"text", "text/plain"))]),
    ]
    for response in attempts:
        assert response.status_code == 404, (response.request.url, response.text)
        assert "no such endpoint" in response.json()["detail"]
    time.sleep(0.5)
    assert not marker.exists()
    assert (WRAPPERS_DIR / "ask" / "pipeline_wrapper.py").is_file()
    assert (WRAPPERS_DIR / "index" / "pipeline_wrapper.py").is_file()
    assert post(server, "/ask/run", json={"question": QUESTION}).json()["result"]["answers"][0]["text"] == "8"
    paths = set(requests.get(f"{server.url}/openapi.json", timeout=30).json()["paths"])
    assert paths == {
        "/ask/run",
        "/index/run",
        "/status",
        "/info",
        "/upload",
        "/feedback",
        "/sources",
        "/sources/{source}",
    }


@pytest.mark.parametrize(
    "headers",
    [{"Origin": EVIL_ORIGIN}, {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"}],
    ids=["origin", "sec-fetch-site", "opaque-origin"],
)
def test_cross_site_requests_change_nothing(server: Server, headers: dict[str, str]) -> None:
    """Forms and `text/plain` bodies need no CORS preflight: the guard refuses them whatever their content type."""
    before = count(server)
    planted = {"documents": [{"name": "planted.txt", "content": "The first president of the Moon was Vellmar."}]}
    attempts = [
        post(
            server,
            "/upload",
            files=[("files", ("planted.txt", b"Vellmar rules the Moon.", "text/plain"))],
            headers=headers,
        ),
        post(server, "/index/run", data=json.dumps(planted), headers={**headers, "Content-Type": "text/plain"}),
        post(server, "/index/run", json=planted, headers=headers),
        post(
            server,
            "/feedback",
            data="answer_id=x&rating=up",
            headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
        ),
        post(
            server,
            "/ask/run",
            data=json.dumps({"question": QUESTION}),
            headers={**headers, "Content-Type": "text/plain"},
        ),
        post(server, "/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, headers=headers),
    ]
    for response in attempts:
        assert response.status_code == 403, (response.request.url, response.text)
        assert "cross-site request refused" in response.json()["detail"]
    assert count(server) == before


def test_the_servers_own_origin_and_plain_clients_are_served(server: Server) -> None:
    same = {"Origin": server.url, "Sec-Fetch-Site": "same-origin"}
    assert post(server, "/ask/run", json={"question": QUESTION}, headers=same).status_code == 200
    assert post(server, "/ask/run", json={"question": QUESTION}).status_code == 200  # curl, Python: no Origin


def test_filters_neither_probe_nor_show_paths(server: Server) -> None:
    oxygen_path = str(INDEXED[0].resolve())
    probes = [
        {"field": "meta.file_path", "operator": "==", "value": oxygen_path},
        {"field": "meta.file_path", "operator": ">", "value": 5},
        {"field": "meta.file_path", "operator": "in", "value": [oxygen_path]},
        {"operator": "NOT", "conditions": [{"field": "meta.file_path", "operator": "!=", "value": oxygen_path}]},
    ]
    for filters in probes:
        response = post(server, "/ask/run", json={"question": QUESTION, "filters": filters})
        assert response.status_code == 422, response.text
        assert "meta.file_path cannot be filtered on" in response.text
        assert_no_server_path(response)
    compared = post(
        server,
        "/ask/run",
        json={"question": QUESTION, "filters": {"field": "meta.file_name", "operator": ">", "value": 5}},
    )
    assert compared.status_code == 422 and "filters" in compared.text
    assert_no_server_path(compared)
    assert "Oxygen.txt" not in compared.text  # a filter does not read out the values it compares with


def test_non_finite_thresholds_are_422(server: Server) -> None:
    for raw in ("NaN", "Infinity", "-Infinity", "1e999"):
        body = f'{{"question": "{QUESTION}", "threshold": {raw}}}'
        response = post(server, "/ask/run", data=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 422, (raw, response.text)
        assert "threshold" in response.text


@pytest.mark.parametrize(
    "name", ["../../etc/x.txt", "a/b.txt", "a\\b.txt", "nul\x00.txt", "two\nlines.txt", "rtl\u202etxt.exe", ".."]
)
def test_names_with_paths_or_control_characters_are_refused(server: Server, name: str) -> None:
    before = count(server)
    response = post(server, "/index/run", json={"documents": [{"name": name, "content": "Some text about Vellmar."}]})
    assert response.status_code == 422, response.text
    assert "documents" in response.text and "name" in response.text
    assert count(server) == before


def test_non_finite_metadata_is_refused(server: Server) -> None:
    body = '{"documents": [{"name": "m.txt", "content": "Text about Vellmar.", "meta": {"year": NaN}}]}'
    response = post(server, "/index/run", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert "finite" in response.text


def test_too_many_files_in_one_upload_is_the_documented_413(server: Server) -> None:
    before = count(server)
    files = [("files", (f"f{i}.txt", b"x", "text/plain")) for i in range(2000)]
    response = post(server, "/upload", files=files)
    assert response.status_code == 413, response.text
    message = response.json()["detail"][0]["msg"]
    assert "too many files in one upload" in message and "EQA_MAX_DOCUMENTS" in message
    assert count(server) == before


def test_status_reports_the_store(server: Server) -> None:
    status = requests.get(f"{server.url}/status", timeout=30).json()
    assert status["status"] == "Up!" and status["store"] == "ok" and status["pipelines"] == ["ask", "index"]


ATTACKER_PAGE = """<!doctype html><html><body><p id="state">sending</p><script>
const target = "TARGET";
const planted = JSON.stringify({documents: [{name: "planted.txt", content: "The Moon's president is Vellmar."}]});
const form = new FormData();
form.append("files", new Blob(["Vellmar rules the Moon."], {type: "text/plain"}), "planted.txt");
Promise.allSettled([
  fetch(target + "/index/run", {
    method: "POST", mode: "no-cors", body: planted, headers: {"Content-Type": "text/plain"}}),
  fetch(target + "/upload", {method: "POST", mode: "no-cors", body: form}),
  fetch(target + "/ask/run", {method: "POST", mode: "no-cors", body: JSON.stringify({question: "What is oxygen?"})}),
]).then(() => { document.getElementById("state").textContent = "sent"; });
</script></body></html>"""


@pytest.mark.skipif(missing_browser() is not None, reason=str(missing_browser()))
def test_a_page_of_another_origin_in_a_browser_changes_nothing(server: Server, tmp_path: Path) -> None:
    """
    A real attacker page in headless Chromium, served from a second origin (another port of 127.0.0.1), sends what
    needs no CORS preflight: a `text/plain` JSON body, a multipart upload, a question. The server refuses each (403,
    read from its log: the page cannot read the answers) and its store is unchanged.
    """
    from selenium.webdriver.support.ui import WebDriverWait

    site = tmp_path / "attacker"
    site.mkdir()
    (site / "index.html").write_text(ATTACKER_PAGE.replace("TARGET", server.url), encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    attacker = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=attacker.serve_forever, daemon=True).start()
    before = count(server)
    try:
        with chromium(tmp_path / "profile") as browser:
            browser.get(f"http://127.0.0.1:{attacker.server_address[1]}/index.html")
            WebDriverWait(browser, 60).until(lambda b: b.find_element("id", "state").text == "sent")
    finally:
        attacker.shutdown()
    log = server.log_path.read_text(encoding="utf-8", errors="replace")
    for path in ("/index/run", "/upload", "/ask/run"):
        assert f'"POST {path} HTTP/1.1" 403' in log, path
    assert count(server) == before


@pytest.mark.parametrize("damage", ["truncated meta.json", "flipped store bytes"])
def test_a_damaged_store_is_a_clear_path_free_503(shared_model: Path, tmp_path: Path, damage: str) -> None:
    """A server on a damaged store says so on /status and answers 503 without its path and without 'retry'."""
    store = tmp_path / "store"
    assert QuestionAnswerer(Settings(store_path=store)).index(INDEXED).files_read == 2
    if damage == "truncated meta.json":
        (store / "meta.json").write_bytes((store / "meta.json").read_bytes()[:20])
    else:
        flip(max(store.glob("*.store"), key=lambda path: path.stat().st_size), 0, 64)
    port = free_port()
    running = start_server(serve_command(port), server_env(tmp_path, shared_model, store), tmp_path / "s.log", port)
    try:
        status = requests.get(f"{running.url}/status", timeout=30)
        assert status.status_code == 503, status.text
        assert status.json()["store"] == "unreadable" and "damaged" in status.json()["detail"]
        assert_no_server_path(status)
        answer = post(running, "/ask/run", json={"question": QUESTION})
        assert answer.status_code == 503, answer.text
        assert "damaged" in answer.json()["detail"] and "retry" not in answer.text.lower()
        assert "Retry-After" not in answer.headers
        assert_no_server_path(answer)
    finally:
        running.stop()
