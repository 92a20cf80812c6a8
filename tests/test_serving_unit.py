"""The serving parts that need no server process: settings, the key, the limits, the guard, in-memory indexing."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from extractive_qa import QuestionAnswerer, Settings
from extractive_qa.errors import InvalidSettings
from extractive_qa.server import SERVING_DIR, ServingGuard, is_deploy_path, pipeline_names, serving_dir
from extractive_qa.serving import (
    ReadWriteLock,
    ServeConfig,
    ServerBusy,
    UnsafeToServe,
    WorkGate,
    ensure_safe_to_serve,
    is_loopback,
)
from extractive_qa.text_indexing import InvalidText, as_text

KEY = "k" * 24


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.10", False),
        ("example.com", False),
        ("", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_exposure_follows_the_bind_address_and_eqa_exposed(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ServeConfig.from_env("127.0.0.1").exposed is False
    assert ServeConfig.from_env("0.0.0.0").exposed is True
    monkeypatch.setenv("EQA_EXPOSED", "1")
    assert ServeConfig.from_env("127.0.0.1").exposed is True
    monkeypatch.setenv("EQA_EXPOSED", "0")
    with pytest.raises(InvalidSettings, match="EQA_EXPOSED=0"):
        ServeConfig.from_env("0.0.0.0")
    monkeypatch.setenv("EQA_EXPOSED", "maybe")
    with pytest.raises(InvalidSettings, match="EQA_EXPOSED"):
        ServeConfig.from_env("127.0.0.1")


def test_limits_and_cors_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EQA_MAX_BODY_BYTES", "4096")
    monkeypatch.setenv("EQA_MAX_DOCUMENTS", "7")
    monkeypatch.setenv("EQA_MAX_CONCURRENT", "2")
    monkeypatch.setenv("EQA_MAX_QUEUE", "0")
    monkeypatch.setenv("EQA_QUEUE_TIMEOUT", "2.5")
    monkeypatch.setenv("EQA_CORS_ORIGINS", "https://a.example, https://b.example")
    config = ServeConfig.from_env("127.0.0.1")
    assert (config.max_body_bytes, config.max_documents, config.max_concurrent) == (4096, 7, 2)
    assert (config.max_queue, config.queue_timeout) == (0, 2.5)
    assert config.cors_origins == ("https://a.example", "https://b.example")
    monkeypatch.setenv("EQA_CORS_ORIGINS", "*")
    with pytest.raises(InvalidSettings, match="not '\\*'"):
        ServeConfig.from_env("127.0.0.1")
    monkeypatch.setenv("EQA_CORS_ORIGINS", "")
    monkeypatch.setenv("EQA_MAX_DOCUMENTS", "0")
    with pytest.raises(InvalidSettings, match="EQA_MAX_DOCUMENTS"):
        ServeConfig.from_env("127.0.0.1")
    monkeypatch.setenv("EQA_MAX_DOCUMENTS", "many")
    with pytest.raises(InvalidSettings, match="EQA_MAX_DOCUMENTS"):
        ServeConfig.from_env("127.0.0.1")


def test_an_exposed_server_needs_a_key_unless_anonymous_is_asked_for() -> None:
    with pytest.raises(InvalidSettings, match="EQA_API_KEY is not set"):
        ServeConfig(exposed=True).check_startup()
    ServeConfig(exposed=True, api_key=KEY).check_startup()
    ServeConfig(exposed=True, allow_anonymous=True).check_startup()
    ServeConfig(exposed=False).check_startup()
    with pytest.raises(InvalidSettings, match="at least 16"):
        ServeConfig(api_key="short")


def test_key_matching() -> None:
    config = ServeConfig(api_key=KEY)
    assert config.key_matches({"authorization": f"Bearer {KEY}"})
    assert config.key_matches({"authorization": f"bearer {KEY}"})
    assert config.key_matches({"x-api-key": KEY})
    assert not config.key_matches({"authorization": f"Basic {KEY}"})
    assert not config.key_matches({"authorization": f"Bearer {KEY}x"})
    assert not config.key_matches({"x-api-key": KEY[:-1]})
    assert not config.key_matches({})
    assert not config.key_matches(None)
    assert ServeConfig().key_matches(None)  # no key configured: nothing to check


def test_work_gate_refuses_when_full_and_recovers() -> None:
    gate = WorkGate(max_running=1, max_waiting=1, timeout=5)
    entered, release, waited = threading.Event(), threading.Event(), threading.Event()

    def hold() -> None:
        with gate.slot():
            entered.set()
            release.wait(5)

    def wait_turn() -> None:
        with gate.slot():
            waited.set()

    holder = threading.Thread(target=hold)
    holder.start()
    entered.wait(5)
    waiter = threading.Thread(target=wait_turn)
    waiter.start()
    time.sleep(0.2)  # the waiter holds the one waiting place
    with pytest.raises(ServerBusy, match="busy"), gate.slot():
        pass
    release.set()
    holder.join(5)
    waiter.join(5)
    assert waited.is_set()
    with gate.slot():  # room again
        pass


def test_work_gate_times_out() -> None:
    gate = WorkGate(max_running=1, max_waiting=5, timeout=0.1)
    with gate.slot(), pytest.raises(ServerBusy, match="no turn within"), gate.slot():
        pass
    with gate.slot():  # free again
        pass


def test_read_write_lock_keeps_writers_apart_from_readers() -> None:
    lock = ReadWriteLock()
    events: list[str] = []

    def reader() -> None:
        with lock.read():
            events.append("read-start")
            time.sleep(0.2)
            events.append("read-end")

    thread = threading.Thread(target=reader)
    thread.start()
    time.sleep(0.05)
    with lock.write():
        events.append("write")
    thread.join()
    assert events == ["read-start", "read-end", "write"]


def test_ensure_safe_to_serve_stops_an_unguarded_exposed_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("extractive_qa.serving._GUARDED", [])
    ensure_safe_to_serve(ServeConfig(host="127.0.0.1"))
    with pytest.raises(UnsafeToServe, match=re.escape("bound to '0.0.0.0'")):
        ensure_safe_to_serve(ServeConfig(host="0.0.0.0", exposed=True, api_key=KEY))
    with pytest.raises(UnsafeToServe, match="EQA_EXPOSED=1"):
        ensure_safe_to_serve(ServeConfig(host="127.0.0.1", exposed=True, api_key=KEY))
    monkeypatch.setattr("extractive_qa.serving._GUARDED", [True])
    ensure_safe_to_serve(ServeConfig(host="0.0.0.0", exposed=True, api_key=KEY))


def test_deploy_paths() -> None:
    assert is_deploy_path("/deploy_files") and is_deploy_path("/deploy-yaml") and is_deploy_path("/undeploy/ask")
    assert not is_deploy_path("/ask/run") and not is_deploy_path("/undeployed")


def test_the_served_wrappers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert pipeline_names() == ["ask", "index"]
    assert serving_dir() == SERVING_DIR
    monkeypatch.setenv("EQA_SERVING_DIR", str(SERVING_DIR))  # what the Docker image sets
    assert pipeline_names() == ["ask", "index"]
    monkeypatch.setenv("EQA_SERVING_DIR", str(tmp_path))
    with pytest.raises(InvalidSettings, match="EQA_SERVING_DIR"):
        serving_dir()


# ---- the guard, in front of a small app, through httpx's in-process transport (no network) ----------------------


async def _echo(request: Request) -> JSONResponse:
    body = await request.body()
    return JSONResponse({"path": request.url.path, "bytes": len(body)})


def _app() -> Starlette:
    routes = [Route(p, _echo, methods=["GET", "POST"]) for p in ("/ask/run", "/status", "/deploy_files", "/other")]
    return Starlette(routes=routes)


def _call(config: ServeConfig, method: str, path: str, client: str = "127.0.0.1", **kwargs: Any) -> httpx.Response:
    guarded = ServingGuard(_app(), config, ["ask"])
    transport = httpx.ASGITransport(app=guarded, client=(client, 50000))

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:1416") as http:
            return await http.request(method, path, **kwargs)

    return asyncio.run(go())


def test_guard_on_loopback_lets_everything_through() -> None:
    config = ServeConfig()
    assert _call(config, "POST", "/ask/run", json={}).status_code == 200
    assert _call(config, "POST", "/deploy_files", json={}).status_code == 200  # hayhooks' developer set-up
    assert _call(config, "GET", "/other").status_code == 200


def test_guard_refuses_other_machines_on_a_loopback_configuration() -> None:
    response = _call(ServeConfig(), "POST", "/ask/run", client="203.0.113.7", json={})
    assert response.status_code == 403 and "EQA_EXPOSED=1" in response.json()["detail"]


def test_guard_on_an_exposed_server() -> None:
    config = ServeConfig(exposed=True, api_key=KEY)
    key = {"Authorization": f"Bearer {KEY}"}
    assert _call(config, "POST", "/deploy_files", headers=key, json={}).status_code == 403
    assert _call(config, "GET", "/other", headers=key).status_code == 404
    assert _call(config, "POST", "/ask/run", json={}).status_code == 401
    assert _call(config, "POST", "/ask/run", headers=key, json={}, client="203.0.113.7").status_code == 200
    assert _call(config, "GET", "/status", client="203.0.113.7").status_code == 200


def test_guard_limits_the_body_with_and_without_a_length() -> None:
    config = ServeConfig(max_body_bytes=2048)
    assert _call(config, "POST", "/ask/run", content=b"x" * 2048).json()["bytes"] == 2048
    refused = _call(config, "POST", "/ask/run", content=b"x" * 2049)
    assert refused.status_code == 413 and "2048 bytes" in refused.json()["detail"]

    async def chunks(parts: list[bytes]) -> AsyncIterator[bytes]:
        for part in parts:
            yield part

    assert _call(config, "POST", "/ask/run", content=chunks([b"y" * 1000] * 5)).status_code == 413
    small = _call(config, "POST", "/ask/run", content=chunks([b"a" * 100, b"b" * 100]))
    assert small.status_code == 200 and small.json()["bytes"] == 200


# ---- indexing texts given in memory ------------------------------------------------------------------------------


def test_index_texts_writes_replaces_and_saves(tmp_path: Path) -> None:
    store = tmp_path / "store.json"
    qa = QuestionAnswerer(Settings(store_path=store))
    words = " ".join(f"word{i}" for i in range(450))
    report = qa.index_texts([{"name": "long.txt", "content": words, "meta": {"topic": "t"}}, "A short text."])
    assert report.files_read == 2 and report.passages_written == 4  # 450 words: 3 passages of 200 with overlap
    passages = qa.document_store.filter_documents({"field": "meta.file_name", "operator": "==", "value": "long.txt"})
    assert len(passages) == 3 and all(p.meta["topic"] == "t" for p in passages)

    report = qa.index_texts([{"name": "long.txt", "content": "Now only a few words.", "meta": {"topic": "t"}}])
    assert (report.passages_written, report.passages_removed) == (1, 3)
    assert qa.count_documents() == 2
    reloaded = QuestionAnswerer(Settings(store_path=store))  # saved to the store file
    names = {d.meta["file_name"] for d in reloaded.document_store.filter_documents()}
    assert "long.txt" in names and len(names) == 2


def test_index_texts_checks_everything_before_writing(tmp_path: Path) -> None:
    qa = QuestionAnswerer(Settings(store_path=tmp_path / "store.json"))
    with pytest.raises(InvalidText, match=r"texts\[1\].content is empty"):
        qa.index_texts(["fine text", "   "])
    with pytest.raises(InvalidText, match="share the name"):
        qa.index_texts([{"name": "a", "content": "x"}, {"name": "a", "content": "y"}])
    assert qa.count_documents() == 0


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (42, "must be text or an object"),
        ({"content": 3}, "content must be text"),
        ({"content": "x", "meta": []}, "meta must be an object"),
        ({"content": "x", "meta": {"_hidden": 1}}, "reserved"),
        ({"content": "x", "meta": {"split_id": 1}}, "reserved"),
        ({"content": "x", "name": "   "}, "name must be non-empty"),
    ],
)
def test_as_text_refuses(given: Any, message: str) -> None:
    with pytest.raises(InvalidText, match=message):
        as_text(given, 0)


def test_as_text_names_a_text_by_its_content() -> None:
    assert as_text("same", 0).name == as_text({"content": "same"}, 1).name
    assert as_text("same", 0).name != as_text("other", 0).name
    assert as_text({"content": "x", "name": " n.txt "}, 0).name == "n.txt"


# ---- the application object the wrappers call: checks that come before any model work ---------------------------


def _http_error(call: Any) -> Any:
    from fastapi import HTTPException

    with pytest.raises(HTTPException) as caught:
        call()
    return caught.value


def test_served_application_checks_the_key_itself(tmp_path: Path) -> None:
    """The wrappers enforce EQA_API_KEY too, so it holds under a plain `hayhooks run` (no model is loaded here)."""
    from extractive_qa.http_api import ServedApplication

    application = ServedApplication(Settings(store_path=tmp_path / "s.json"), ServeConfig(api_key=KEY))
    error = _http_error(lambda: application.ask("Who?", headers={}))
    assert error.status_code == 401 and error.headers["WWW-Authenticate"] == "Bearer"
    error = _http_error(lambda: application.index(["text"], headers={"x-api-key": "wrong" * 5}))
    assert error.status_code == 401
    assert application.qa._query is None  # refused before the model was touched


def test_served_application_validates_before_working(tmp_path: Path) -> None:
    from extractive_qa.http_api import ServedApplication

    application = ServedApplication(Settings(store_path=tmp_path / "s.json"), ServeConfig(max_documents=2))
    error = _http_error(lambda: application.ask("   "))
    assert error.status_code == 422 and error.detail[0]["loc"] == ["body", "question"]
    error = _http_error(lambda: application.ask("Who?", threshold=float("inf")))
    assert error.status_code == 422 and error.detail[0]["loc"] == ["body", "threshold"]
    error = _http_error(lambda: application.index(["a", "b", "c"]))
    assert error.status_code == 413 and "the limit is 2" in error.detail[0]["msg"]
    error = _http_error(lambda: application.index([{"name": "x", "content": "a"}, {"name": "x", "content": "b"}]))
    assert error.status_code == 422 and "documents[0] and documents[1]" in error.detail[0]["msg"]
    assert application.qa._query is None and application.qa.count_documents() == 0
