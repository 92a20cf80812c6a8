"""
`GET /sources` and `DELETE /sources/{source}` on an exposed `extractive-qa serve` with an API key (real process, the
shared small model): listing paged and filtered without server paths, removal with and without the key, from
another site, and every kind of bad source name, each refused with nothing changed.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from extractive_qa import QuestionAnswerer, Settings
from extractive_qa.testing.paths import DATA_DIR, ROOT
from extractive_qa.testing.processes import Server
from extractive_qa.testing.servers import serving

pytestmark = [pytest.mark.server, pytest.mark.model, pytest.mark.timeout(600)]

API_KEY = secrets.token_urlsafe(32)
KEY = {"Authorization": f"Bearer {API_KEY}"}


@pytest.fixture(scope="module")
def server(shared_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("sources-api")
    store = tmp / "index"
    files = [DATA_DIR / "Oxygen.txt", DATA_DIR / "Normans.txt", DATA_DIR / "Warsaw.txt"]
    assert QuestionAnswerer(Settings(store_path=store)).index(files).files_read == 3
    with serving(tmp, shared_model, store, EQA_EXPOSED="1", EQA_API_KEY=API_KEY) as running:
        yield running


def listing(server: Server, **params: Any) -> dict[str, Any]:
    response = requests.get(f"{server.url}/sources", params=params, headers=KEY, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def delete(server: Server, source: str, headers: dict[str, str] | None = None) -> requests.Response:
    return requests.delete(f"{server.url}/sources/{source}", headers=KEY if headers is None else headers, timeout=60)


def raw_delete(server: Server, path: str) -> tuple[int, str]:
    """A DELETE of exactly this path (no client normalizing `..` away), with the key."""
    host, port = server.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        connection.request("DELETE", path, headers=KEY)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def test_sources_are_listed_paged_and_filtered_without_server_paths(server: Server) -> None:
    assert requests.get(f"{server.url}/sources", timeout=30).status_code == 401  # the key, as for /info
    everything = listing(server)
    assert [(s["name"], s["type"], s["passages"]) for s in everything["sources"]] == [
        ("Normans.txt", "text", 33),
        ("Oxygen.txt", "text", 37),
        ("Warsaw.txt", "text", 51),
    ]
    assert everything["total"] == 3 and everything["passages_in_store"] == 121
    assert all(s["path"] is None and s["size"] > 0 and len(s["id"]) == 16 for s in everything["sources"])
    response = requests.get(f"{server.url}/sources", headers=KEY, timeout=30)
    assert str(DATA_DIR) not in response.text and "/work" not in response.text

    second = listing(server, offset=1, limit=1)
    assert (second["total"], [s["name"] for s in second["sources"]]) == (3, ["Oxygen.txt"])
    assert [s["name"] for s in listing(server, name="SAW")["sources"]] == ["Warsaw.txt"]
    assert listing(server, name=str(DATA_DIR))["total"] == 0  # paths hidden: not searchable either
    for params in ({"limit": 100_000}, {"limit": 0}, {"offset": -1}, {"name": "x" * 5000}):
        refused = requests.get(f"{server.url}/sources", params=params, headers=KEY, timeout=30)
        assert refused.status_code == 422, (params, refused.text)
    refused = requests.get(f"{server.url}/sources", params={"name": "a\x00b"}, headers=KEY, timeout=30)
    assert refused.status_code == 422 and "control characters" in refused.text


def test_removal_needs_the_key_and_this_site_and_bad_names_change_nothing(server: Server) -> None:
    before = listing(server)
    oxygen = next(s for s in before["sources"] if s["name"] == "Oxygen.txt")
    assert delete(server, oxygen["id"], headers={}).status_code == 401
    assert delete(server, oxygen["id"], headers={"Authorization": "Bearer wrong"}).status_code == 401
    cross_site = {**KEY, "Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
    assert delete(server, oxygen["id"], headers=cross_site).status_code == 403
    for bad, status in [
        ("..%2F..%2Fetc%2Fpasswd", 404),  # a path: no such endpoint
        ("..", 404),
        ("%2e%2e", 404),
        ("does-not-exist.txt", 404),
        (str(DATA_DIR / "Oxygen.txt").replace("/", "%2F"), 404),  # the server's path names nothing
        ("Oxygen.txt%0Aremoved", 422),  # control characters
        ("x" * 1200, 422),
    ]:
        code, text = raw_delete(server, f"/sources/{bad}")
        assert code == status, (bad, text)
        assert "Traceback" not in text and "passages_removed" not in text
    missing = delete(server, "does-not-exist.txt").json()["detail"]
    assert missing.startswith("no source 'does-not-exist.txt'")
    assert listing(server) == before  # nothing changed


def test_removing_a_source_removes_its_passages_and_nothing_else(server: Server) -> None:
    before = listing(server)
    oxygen = next(s for s in before["sources"] if s["name"] == "Oxygen.txt")
    removed = delete(server, oxygen["id"])
    assert removed.status_code == 200, removed.text
    body = removed.json()
    assert body["passages_removed"] == 37 and body["source"]["name"] == "Oxygen.txt"
    assert body["passages_in_store"] == before["passages_in_store"] - 37
    after = listing(server)
    assert [s["name"] for s in after["sources"]] == ["Normans.txt", "Warsaw.txt"]
    assert after["sources"] == [s for s in before["sources"] if s["name"] != "Oxygen.txt"]
    assert delete(server, oxygen["id"]).status_code == 404  # once only

    answers = requests.post(
        f"{server.url}/ask/run", json={"question": "What is the atomic number of oxygen?"}, headers=KEY, timeout=120
    ).json()["result"]["answers"]
    assert all(answer["source"] != "Oxygen.txt" for answer in answers)

    by_name = delete(server, "Warsaw.txt")  # a name one source alone has
    assert by_name.status_code == 200 and by_name.json()["passages_removed"] == 51
    assert [s["name"] for s in listing(server)["sources"]] == ["Normans.txt"]


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_readme_curl_examples_run_as_documented(server: Server) -> None:
    text = (ROOT / "README.md").read_text("utf-8")
    lines = [line for line in text.splitlines() if line.startswith("curl -s") and "/sources" in line]
    assert len(lines) == 2
    normans = next(s for s in listing(server)["sources"] if s["name"] == "Normans.txt")
    env = {**os.environ, "EQA_API_KEY": API_KEY}
    listed_line = lines[0].replace("localhost:1416", server.url).replace("name=oxygen", "name=normans")
    listed = subprocess.run(["bash", "-c", listed_line], capture_output=True, text=True, env=env, timeout=60)
    assert [s["name"] for s in json.loads(listed.stdout)["sources"]] == ["Normans.txt"]
    removal = lines[1].split("#")[0].replace("localhost:1416", server.url).replace("eb862e398e0a9f20", normans["id"])
    removed = subprocess.run(["bash", "-c", removal], capture_output=True, text=True, env=env, timeout=60)
    assert json.loads(removed.stdout)["passages_removed"] == normans["passages"]
