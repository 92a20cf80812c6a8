"""
The ASGI middleware in front of the served app: the names it answers to, cross-site requests, exposure rules, the
API key, and the request body limit. Checked in this order, before the application sees a request:

- a request that arrives from another machine on a server configured for loopback gets 403 (the bind address was
  wider than the configuration said, e.g. `uvicorn --host 0.0.0.0`);
- the `Host` header must be a loopback name or one of `EQA_ALLOWED_HOSTS` (an exposed server without that list takes
  any name: the key guards it), else 421: a web page whose DNS name was rebound to 127.0.0.1 reaches nothing;
- only the application's own endpoints exist (`served_paths`: the pipelines' `/{name}/run`, `/info`, `/upload`,
  `/feedback`, `/sources` and `/sources/{source}`, `/mcp`, the page, `/status` and the OpenAPI docs), on loopback
  too; everything else is 404. hayhooks'
  deploy, undeploy, chat and file endpoints are not mounted at all (`extractive_qa.http.server`);
- a request that could change something (any method but GET, HEAD and OPTIONS, and every WebSocket) sent by a page
  of another site (`Sec-Fetch-Site`, else `Origin`, not this server's own; `EQA_CORS_ORIGINS` are allowed) gets
  403, whatever its content type: a form or a `text/plain` POST needs no CORS preflight, so CORS alone would not
  stop it. curl and the Python client send neither header;
- with `EQA_API_KEY` set, every endpoint but `/status`, the docs and the page's own files needs the key (401 without
  it; the page holds no data and asks for the key itself); this is the one place the key is checked;
- request bodies over `EQA_MAX_BODY_BYTES` (`EQA_MAX_UPLOAD_BYTES` for `/upload`) get 413 before anything reads them.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from extractive_qa.http.config import UNAUTHORIZED_MESSAGE, ServeConfig, host_name, is_loopback

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Served without the key: a health check for orchestrators, and the API's description.
OPEN_PATHS = frozenset({"/status", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})
# The web page and its files (no data in them), served without the key: a browser cannot send it for a page.
PAGE_PATH = "/"
STATIC_PREFIX = "/static/"
UPLOAD_PATH = "/upload"
MCP_PATH = "/mcp"
# The application's endpoints besides the pipelines' `/{name}/run`: they need the key like the pipelines.
SOURCES_PATH = "/sources"
APP_PATHS = frozenset({"/info", UPLOAD_PATH, "/feedback", SOURCES_PATH, MCP_PATH})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# Methods that change nothing on this server: a page of another site may send them (it cannot read the answer).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_SHOWN_HOST_CHARS = 100
MAX_SHOWN_PATH_CHARS = 200


def is_page_path(path: str) -> bool:
    """Whether a path is the web page or one of its static files (served without the key)."""
    if path.startswith(STATIC_PREFIX):
        name = path[len(STATIC_PREFIX) :]
        return bool(name) and "/" not in name and ".." not in name
    return path == PAGE_PATH


def is_source_path(path: str) -> bool:
    """Whether a path names one source (`/sources/{source}`: one path segment, the key it needs like `/sources`)."""
    name = path[len(SOURCES_PATH) + 1 :] if path.startswith(SOURCES_PATH + "/") else ""
    return bool(name) and "/" not in name


def is_open_path(path: str) -> bool:
    """Whether a path is served without the key: the health check, the API docs, the page and its files."""
    return path in OPEN_PATHS or is_page_path(path)


def served_paths(config: ServeConfig, pipelines: list[str]) -> frozenset[str]:
    """
    The paths the server answers (besides the page's static files): the docs and `/status`, the application's own
    endpoints (`/mcp` only where MCP is on) and each served pipeline's `/{name}/run`.
    """
    own = APP_PATHS if config.mcp else APP_PATHS - {MCP_PATH}
    return OPEN_PATHS | own | {f"/{name}/run" for name in pipelines}


class ServingGuard:
    """
    ASGI middleware that enforces the server's exposure rules, the API key and the body size limit.

    It answers refused requests itself, as JSON `{"detail": "..."}`, before the application sees them.
    """

    def __init__(self, app: ASGIApp, config: ServeConfig, pipelines: list[str]) -> None:
        """
        :param app: The application behind the guard.
        :param config: The exposure, key and limits.
        :param pipelines: The names of the served pipelines (their `/{name}/run` endpoints stay open).
        """
        self.app = app
        self.config = config
        self.served = served_paths(config, pipelines)
        shown = sorted(path for path in self.served if path not in OPEN_PATHS or path == "/status")
        self.served_list = ", ".join(shown)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            status, detail, headers = refusal
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008, "reason": detail[:120]})
            else:
                await _respond(send, status, detail, headers)
            return
        if scope["type"] == "http" and scope.get("method") in BODY_METHODS:
            receive = await self._limited_body(scope, receive, send, self._body_limit(scope))
            if receive is None:
                return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope) -> tuple[int, str, dict[str, str]] | None:
        path = _path(scope)
        method: str = scope.get("method", "GET") if scope["type"] == "http" else "WEBSOCKET"
        headers = _headers(scope)
        config = self.config
        if not config.exposed and not _from_loopback(scope):
            return (
                403,
                "this server is configured for loopback use only, but the request came from another machine; "
                "run it with EQA_EXPOSED=1 and EQA_API_KEY set to serve other machines",
                {},
            )
        host = headers.get("host", "").strip()
        if not host:
            return 400, "the request has no Host header", {}
        if not config.host_allowed(host):
            name = host_name(host)[:MAX_SHOWN_HOST_CHARS]
            return (
                421,
                f"this server does not answer to the name {name!r} (the request's Host header); it answers to "
                "loopback names (localhost, 127.0.0.1, [::1]) and to the names in EQA_ALLOWED_HOSTS",
                {},
            )
        if path not in self.served and not is_page_path(path) and not is_source_path(path):
            shown = path if len(path) <= MAX_SHOWN_PATH_CHARS else path[:MAX_SHOWN_PATH_CHARS] + "..."
            return 404, f"no such endpoint: {method} {shown} (served: {self.served_list}; the page at /)", {}
        if method not in SAFE_METHODS and config.is_cross_site(headers):
            return (
                403,
                "cross-site request refused: a page of another site cannot send requests that change this server; "
                "EQA_CORS_ORIGINS lists the sites that may",
                {},
            )
        if method == "OPTIONS" or is_open_path(path):
            return None
        if not config.key_matches(headers):
            return 401, UNAUTHORIZED_MESSAGE, {"www-authenticate": "Bearer"}
        return None

    def _body_limit(self, scope: Scope) -> tuple[int, str]:
        """The largest body a request may send, and the setting that says so: uploads have their own."""
        if _path(scope) == UPLOAD_PATH:
            return self.config.max_upload_bytes, "EQA_MAX_UPLOAD_BYTES"
        return self.config.max_body_bytes, "EQA_MAX_BODY_BYTES"

    async def _limited_body(
        self, scope: Scope, receive: Receive, send: Send, limit_and_setting: tuple[int, str]
    ) -> Receive | None:
        """Refuses over-size bodies (413); returns the `receive` to pass on, or `None` when it answered."""
        limit, setting = limit_and_setting
        message = f"request body too large: the limit is {limit} bytes ({setting})"
        declared = _headers(scope).get("content-length")
        if declared is not None:
            try:
                too_large = int(declared) > limit
            except ValueError:
                await _respond(send, 400, "invalid Content-Length header", {})
                return None
            if too_large:
                await _respond(send, 413, message, {"connection": "close"})
                return None
            return receive
        # No length given (chunked): read the body up to the limit, then hand it on.
        chunks: list[Message] = []
        size = 0
        while True:
            chunk = await receive()
            if chunk["type"] != "http.request":
                chunks.append(chunk)
                break
            size += len(chunk.get("body", b""))
            if size > limit:
                await _respond(send, 413, message, {"connection": "close"})
                return None
            chunks.append(chunk)
            if not chunk.get("more_body", False):
                break

        async def replay() -> Message:
            return chunks.pop(0) if chunks else await receive()

        return replay


def _path(scope: Scope) -> str:
    """The request's path within the app (without the prefix a proxy mounts the app under)."""
    path: str = scope.get("path", "")
    root_path: str = scope.get("root_path", "")
    if root_path and path.startswith(root_path):
        path = path[len(root_path) :] or "/"
    return path


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _from_loopback(scope: Scope) -> bool:
    """Whether the connection is between two loopback addresses (both ends on this machine)."""
    client = scope.get("client")
    server = scope.get("server")
    if client is None or server is None:  # a Unix socket or an in-process client: local by construction
        return True
    return is_loopback(client[0]) and is_loopback(server[0])


async def _respond(send: Send, status: int, detail: str, headers: dict[str, str]) -> None:
    body = json.dumps({"detail": detail}).encode("utf-8")
    raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw_headers += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})
