"""The guard in front of a small app, through httpx's in-process transport (no network)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from extractive_qa.http.config import ServeConfig
from extractive_qa.http.guard import ServingGuard, is_deploy_path, is_open_path
from extractive_qa.http.server import WRAPPERS_DIR, pipeline_names

KEY = "k" * 24


def test_deploy_paths() -> None:
    assert is_deploy_path("/deploy_files") and is_deploy_path("/deploy-yaml") and is_deploy_path("/undeploy/ask")
    assert not is_deploy_path("/ask/run") and not is_deploy_path("/undeployed")


def test_the_served_wrappers_ship_inside_the_package() -> None:
    assert pipeline_names() == ["ask", "index"]
    assert WRAPPERS_DIR.is_relative_to(WRAPPERS_DIR.parent.parent)  # extractive_qa/http/wrappers
    assert (WRAPPERS_DIR / "ask" / "pipeline_wrapper.py").is_file()


async def _echo(request: Request) -> JSONResponse:
    body = await request.body()
    return JSONResponse({"path": request.url.path, "bytes": len(body)})


def _app() -> Starlette:
    paths = ("/ask/run", "/status", "/deploy_files", "/other", "/", "/static/app.js", "/info", "/upload", "/mcp")
    routes = [Route(p, _echo, methods=["GET", "POST"]) for p in paths]
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


def test_open_paths() -> None:
    for path in ("/", "/static/app.js", "/status", "/docs", "/openapi.json"):
        assert is_open_path(path), path
    for path in ("/static/", "/static/../ask/run", "/static/a/b.js", "/info", "/upload", "/feedback", "/mcp", "/x"):
        assert not is_open_path(path), path


def test_guard_serves_the_page_openly_and_its_endpoints_with_the_key() -> None:
    config = ServeConfig(exposed=True, api_key=KEY)
    key = {"Authorization": f"Bearer {KEY}"}
    assert _call(config, "GET", "/", client="203.0.113.7").status_code == 200
    assert _call(config, "GET", "/static/app.js", client="203.0.113.7").status_code == 200
    for method, path in [("GET", "/info"), ("POST", "/upload"), ("POST", "/mcp")]:
        assert _call(config, method, path).status_code == 401, path
        assert _call(config, method, path, headers=key).status_code == 200, path


def test_uploads_have_their_own_body_limit() -> None:
    config = ServeConfig(max_body_bytes=2048, max_upload_bytes=8192)
    assert _call(config, "POST", "/upload", content=b"x" * 8192).status_code == 200
    refused = _call(config, "POST", "/upload", content=b"x" * 8193)
    assert refused.status_code == 413 and "8192 bytes (EQA_MAX_UPLOAD_BYTES)" in refused.json()["detail"]
    assert _call(config, "POST", "/mcp", content=b"x" * 2049).status_code == 413
