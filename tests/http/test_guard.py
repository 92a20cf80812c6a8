"""The guard in front of a small app, through httpx's in-process transport (no network)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from extractive_qa.http.config import ServeConfig
from extractive_qa.http.guard import ServingGuard, is_open_path, served_paths
from extractive_qa.http.server import WRAPPERS_DIR, pipeline_names

KEY = "k" * 24
BASE_URL = "http://127.0.0.1:1416"


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


def _call(
    config: ServeConfig, method: str, path: str, client: str = "127.0.0.1", base_url: str = BASE_URL, **kwargs: Any
) -> httpx.Response:
    guarded = ServingGuard(_app(), config, ["ask"])
    transport = httpx.ASGITransport(app=guarded, client=(client, 50000))

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as http:
            return await http.request(method, path, **kwargs)

    return asyncio.run(go())


def test_guard_on_loopback_serves_only_the_applications_endpoints() -> None:
    config = ServeConfig()
    assert _call(config, "POST", "/ask/run", json={}).status_code == 200
    for method, path in [("POST", "/deploy_files"), ("GET", "/other"), ("POST", "/undeploy/ask")]:
        refused = _call(config, method, path, json={})
        assert refused.status_code == 404, path
        assert f"no such endpoint: {method} {path}" in refused.json()["detail"]
        assert "/ask/run" in refused.json()["detail"]  # it names what is served


def test_served_paths_follow_the_configuration() -> None:
    assert "/mcp" in served_paths(ServeConfig(), ["ask"])
    assert "/mcp" not in served_paths(ServeConfig(mcp=False), ["ask"])
    assert {"/ask/run", "/index/run", "/status", "/info", "/upload", "/feedback"} <= served_paths(
        ServeConfig(), ["ask", "index"]
    )


@pytest.mark.parametrize(
    "host", ["evil.example:1416", "evil.example", "127.0.0.1.evil.example", "localhost.evil.example:1416", "[::2]"]
)
def test_a_host_header_that_is_not_this_servers_name_is_421(host: str) -> None:
    """DNS rebinding: a page of evil.example whose name now points at 127.0.0.1 sends `Host: evil.example`."""
    for method, path in [("POST", "/ask/run"), ("GET", "/info"), ("GET", "/"), ("POST", "/mcp"), ("GET", "/status")]:
        refused = _call(ServeConfig(), method, path, headers={"Host": host}, json={})
        assert refused.status_code == 421, (host, path)
        assert "EQA_ALLOWED_HOSTS" in refused.json()["detail"]


@pytest.mark.parametrize("host", ["127.0.0.1:1416", "localhost:1416", "LOCALHOST", "[::1]:1416", "127.0.0.2"])
def test_loopback_names_are_answered(host: str) -> None:
    assert _call(ServeConfig(), "POST", "/ask/run", headers={"Host": host}, json={}).status_code == 200


def test_allowed_hosts_add_names() -> None:
    config = ServeConfig(allowed_hosts=("qa.example.com",))
    assert _call(config, "GET", "/info", headers={"Host": "qa.example.com:8080"}).status_code == 200
    assert _call(config, "GET", "/info", headers={"Host": "evil.example"}).status_code == 421
    assert _call(ServeConfig(allowed_hosts=("*",)), "GET", "/info", headers={"Host": "any.example"}).status_code == 200


def test_an_exposed_server_takes_any_name_unless_it_lists_them() -> None:
    key = {"Authorization": f"Bearer {KEY}"}
    exposed = ServeConfig(exposed=True, api_key=KEY)
    assert _call(exposed, "GET", "/info", headers={**key, "Host": "qa.example.com"}).status_code == 200
    narrowed = ServeConfig(exposed=True, api_key=KEY, allowed_hosts=("qa.example.com",))
    assert _call(narrowed, "GET", "/info", headers={**key, "Host": "qa.example.com"}).status_code == 200
    assert _call(narrowed, "GET", "/info", headers={**key, "Host": "other.example"}).status_code == 421


CROSS_SITE_HEADERS = [
    {"Origin": "https://evil.example"},
    {"Origin": "null"},
    {"Origin": "http://127.0.0.1:9999"},  # another port of this machine is another origin
    {"Origin": "http://localhost:1416"},  # another name of this server is another origin too
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
    {"Sec-Fetch-Site": "cross-site", "Origin": "http://127.0.0.1:1416"},
]


@pytest.mark.parametrize("headers", CROSS_SITE_HEADERS)
def test_requests_that_change_the_server_from_another_site_are_403(headers: dict[str, str]) -> None:
    for method, path in [("POST", "/upload"), ("POST", "/ask/run"), ("POST", "/feedback"), ("PUT", "/info")]:
        for body in (
            {"content": b"a=1", "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
            {"content": b"x", "headers": {"Content-Type": "text/plain"}},
        ):
            refused = _call(
                ServeConfig(), method, path, content=body["content"], headers={**body["headers"], **headers}
            )
            assert refused.status_code == 403, (headers, path)
            assert "cross-site request refused" in refused.json()["detail"]
    assert _call(ServeConfig(), "GET", "/info", headers=headers).status_code == 200  # reading changes nothing


@pytest.mark.parametrize(
    "headers",
    [
        {},  # curl, the Python client
        {"Origin": "http://127.0.0.1:1416"},
        {"Origin": "http://127.0.0.1:1416", "Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "none"},  # typed into the address bar
    ],
)
def test_same_origin_and_non_browser_requests_are_served(headers: dict[str, str]) -> None:
    assert _call(ServeConfig(), "POST", "/upload", content=b"x", headers=headers).status_code == 200


def test_cors_origins_may_send_requests() -> None:
    config = ServeConfig(cors_origins=("https://app.example.com",))
    headers = {"Origin": "https://app.example.com", "Sec-Fetch-Site": "cross-site"}
    assert _call(config, "POST", "/ask/run", json={}, headers=headers).status_code == 200
    other = {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
    assert _call(config, "POST", "/ask/run", json={}, headers=other).status_code == 403


def test_same_origin_with_default_ports_and_a_proxy_name() -> None:
    config = ServeConfig(allowed_hosts=("qa.example.com",))
    same = {"Origin": "https://qa.example.com", "Host": "qa.example.com"}
    assert _call(config, "POST", "/ask/run", json={}, headers=same).status_code == 200
    same_port = {"Origin": "https://qa.example.com", "Host": "qa.example.com:443"}
    assert _call(config, "POST", "/ask/run", json={}, headers=same_port).status_code == 200


def test_guard_refuses_other_machines_on_a_loopback_configuration() -> None:
    response = _call(ServeConfig(), "POST", "/ask/run", client="203.0.113.7", json={})
    assert response.status_code == 403 and "EQA_EXPOSED=1" in response.json()["detail"]


def test_guard_on_an_exposed_server() -> None:
    config = ServeConfig(exposed=True, api_key=KEY)
    key = {"Authorization": f"Bearer {KEY}"}
    assert _call(config, "POST", "/deploy_files", headers=key, json={}).status_code == 404
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
