"""
The ASGI middleware in front of the served app: exposure rules, the API key, and the request body limit.

- on an exposed server (bound to a non-loopback address, or `EQA_EXPOSED=1`), only the served pipelines' endpoints,
  `/status` and the OpenAPI docs are answered; hayhooks' deploy and undeploy endpoints get 403, everything else 404;
- with `EQA_API_KEY` set, every endpoint but `/status` and the docs needs the key (401 without it); this is the one
  place the key is checked;
- request bodies over `EQA_MAX_BODY_BYTES` get 413 before anything reads them;
- a request that arrives from another machine on a server configured for loopback gets 403 (the bind address was
  wider than the configuration said, e.g. `uvicorn --host 0.0.0.0`).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from extractive_qa.http.config import UNAUTHORIZED_MESSAGE, ServeConfig, is_loopback

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Served without the key: a health check for orchestrators, and the API's description.
OPEN_PATHS = frozenset({"/status", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})
DEPLOY_PATHS = ("/deploy_files", "/deploy-yaml", "/undeploy")
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def is_deploy_path(path: str) -> bool:
    """Whether a path is one of hayhooks' endpoints that deploy or remove pipelines (code the server would run)."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in DEPLOY_PATHS)


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
        self.exposed_paths = OPEN_PATHS | {f"/{name}/run" for name in pipelines}

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
            receive = await self._limited_body(scope, receive, send)
            if receive is None:
                return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope) -> tuple[int, str, dict[str, str]] | None:
        path: str = scope.get("path", "")
        root_path: str = scope.get("root_path", "")
        if root_path and path.startswith(root_path):  # behind a proxy that mounts the app under a prefix
            path = path[len(root_path) :] or "/"
        method: str = scope.get("method", "GET")
        exposed = self.config.exposed
        if not exposed and not _from_loopback(scope):
            return (
                403,
                "this server is configured for loopback use only, but the request came from another machine; "
                "run it with EQA_EXPOSED=1 and EQA_API_KEY set to serve other machines",
                {},
            )
        if exposed and is_deploy_path(path):
            return (
                403,
                "deploying and undeploying pipelines over HTTP is disabled on an exposed server; "
                "the served pipelines are fixed at start-up",
                {},
            )
        if exposed and path not in self.exposed_paths and not path.startswith("/status/"):
            return 404, f"no such endpoint: {method} {path}", {}
        if method == "OPTIONS" or path in OPEN_PATHS or path.startswith("/status/"):
            return None
        if not self.config.key_matches(_headers(scope)):
            return 401, UNAUTHORIZED_MESSAGE, {"www-authenticate": "Bearer"}
        return None

    async def _limited_body(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        """Refuses over-size bodies (413); returns the `receive` to pass on, or `None` when it answered."""
        limit = self.config.max_body_bytes
        message = f"request body too large: the limit is {limit} bytes (EQA_MAX_BODY_BYTES)"
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
