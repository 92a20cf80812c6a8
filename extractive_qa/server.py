"""
The HTTP server: hayhooks' app serving the wrappers in `serving/`, behind the application's guard.

`extractive-qa serve` runs `create_app()`; so does `uvicorn --factory extractive_qa.server:create_app`. The guard
(`ServingGuard`) enforces `ServeConfig`:

- on an exposed server (bound to a non-loopback address, or `EQA_EXPOSED=1`), only the question and indexing
  endpoints, `/status` and the OpenAPI docs are served; hayhooks' deploy and undeploy endpoints answer 403 and
  everything else 404;
- with `EQA_API_KEY` set, every endpoint but `/status` and the docs needs the key (401 without it);
- request bodies over `EQA_MAX_BODY_BYTES` get 413 before anything reads them;
- a request that arrives from another machine on a server configured for loopback gets 403 (the bind address
  was wider than the configuration said, e.g. `uvicorn --host 0.0.0.0`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from extractive_qa.errors import InvalidSettings
from extractive_qa.serving import API_KEY_HEADER, UNAUTHORIZED_MESSAGE, ServeConfig, is_loopback, mark_guarded
from extractive_qa.settings import PROJECT_ROOT

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SERVING_DIR = PROJECT_ROOT / "serving"  # an installed package (e.g. the Docker image) sets EQA_SERVING_DIR
DEFAULT_PORT = 1416

# Served without the key: a health check for orchestrators, and the API's description.
OPEN_PATHS = frozenset({"/status", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})
DEPLOY_PATHS = ("/deploy_files", "/deploy-yaml", "/undeploy")
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def serving_dir() -> Path:
    """The folder of the hayhooks wrappers: `EQA_SERVING_DIR`, else the project's `serving/`."""
    given = os.environ.get("EQA_SERVING_DIR")
    folder = Path(given).expanduser() if given else SERVING_DIR
    if not (folder / "ask" / "pipeline_wrapper.py").is_file():
        raise InvalidSettings(
            f"no pipeline wrappers in {folder} (expected ask/pipeline_wrapper.py); set EQA_SERVING_DIR to the "
            "project's serving/ folder"
        )
    return folder


def pipeline_names(folder: Path | None = None) -> list[str]:
    """The wrappers the server serves: the sub-folders of the serving folder holding a `pipeline_wrapper.py`."""
    folder = folder or serving_dir()
    return sorted(p.name for p in folder.iterdir() if (p / "pipeline_wrapper.py").is_file())


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


def _configure_hayhooks(config: ServeConfig, folder: Path) -> None:
    """Points hayhooks at the wrappers and narrows what it serves: CORS off unless configured, no tracing API."""
    from hayhooks.settings import settings

    settings.pipelines_dir = str(folder)
    settings.host = config.host
    settings.cors_allow_origins = list(config.cors_origins)
    settings.cors_allow_methods = ["GET", "POST"]
    settings.cors_allow_headers = ["Authorization", "Content-Type", "X-API-Key"]
    settings.cors_allow_credentials = False
    settings.cors_allow_origin_regex = None
    if config.exposed:
        settings.tracing_enabled = False
        settings.tracing_include_haystack_spans = False
        settings.chainlit_enabled = False


MAX_LOGGED_PARAMS_CHARS = 300


def _shorten_logged_params(record: dict[str, Any]) -> None:
    """Hayhooks logs every request's parameters; keep a short preview, not whole indexed texts."""
    params = record["extra"].get("params")
    if params is not None:
        text = repr(params)
        if len(text) > MAX_LOGGED_PARAMS_CHARS:
            text = f"{text[:MAX_LOGGED_PARAMS_CHARS]}... ({len(text)} characters)"
        record["extra"]["params"] = text


def create_app(host: str | None = None, folder: Path | None = None) -> Any:
    """
    Builds the guarded FastAPI app: hayhooks' app with the wrappers of `serving_dir` and `ServingGuard` in front.

    :param host: The address the server binds (decides whether it is exposed); `None` takes hayhooks' setting.
    :param folder: The folder of wrappers; default `EQA_SERVING_DIR` or the project's `serving/`.
    :returns: The app; the pipelines (and the model) load when it starts.
    :raises InvalidSettings: For an exposed configuration without an API key, or a bad setting.
    """
    from fastapi.exception_handlers import http_exception_handler
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse, Response
    from hayhooks.server.app import create_app as create_hayhooks_app
    from hayhooks.server.logger import log
    from starlette.exceptions import HTTPException as StarletteHTTPException

    config = ServeConfig.from_env(host)
    config.check_startup()
    folder = folder or serving_dir()
    names = pipeline_names(folder)
    _configure_hayhooks(config, folder)
    mark_guarded()

    app = create_hayhooks_app()
    log.configure(patcher=_shorten_logged_params)
    app.title = "extractive-qa"
    app.description = (
        "Extractive question answering over your documents: POST a question to `/ask/run`, texts to `/index/run`."
        + (" Send the API key as `Authorization: Bearer <key>` or `X-API-Key: <key>`." if config.api_key else "")
    )

    async def validation_error(_request: Any, error: RequestValidationError) -> JSONResponse:
        # FastAPI's default handler echoes the input; a 5 MB wrong value would come straight back.
        errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in error.errors()]
        return JSONResponse(status_code=422, content={"detail": errors})

    async def not_found(request: Any, error: StarletteHTTPException) -> Response:
        if error.status_code == 404 and error.detail == "Not Found":
            served = ", ".join(f"/{name}/run" for name in names)
            detail = f"no such endpoint: {request.method} {request.url.path} (served: {served}; see /docs)"
            return JSONResponse(status_code=404, content={"detail": detail})
        return await http_exception_handler(request, error)

    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, not_found)
    _narrow_openapi(app, config, names)
    app.add_middleware(ServingGuard, config=config, pipelines=names)
    app.state.serve_config = config
    return app


def _narrow_openapi(app: Any, config: ServeConfig, pipelines: list[str]) -> None:
    """
    Describes what the server really serves: an exposed server's schema lists only the endpoints it answers, and
    with a key every endpoint that needs it says so (the docs page can then send it).
    """
    from fastapi import FastAPI

    exposed_paths = OPEN_PATHS | {f"/{name}/run" for name in pipelines}

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = FastAPI.openapi(app)
        paths = schema.get("paths", {})
        if config.exposed:
            schema["paths"] = paths = {
                path: item for path, item in paths.items() if path in exposed_paths or path.startswith("/status/")
            }
        if config.api_key:
            schema.setdefault("components", {})["securitySchemes"] = {
                "bearer": {"type": "http", "scheme": "bearer", "description": "EQA_API_KEY"},
                "apiKey": {"type": "apiKey", "in": "header", "name": API_KEY_HEADER, "description": "EQA_API_KEY"},
            }
            for path, operations in paths.items():
                if path in OPEN_PATHS or path.startswith("/status/"):
                    continue
                for operation in operations.values():
                    operation["security"] = [{"bearer": []}, {"apiKey": []}]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi


def serve(host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> None:
    """
    Runs the guarded server (what `extractive-qa serve` does); returns when it stops.

    :param host: The address to bind. Anything but loopback makes the server exposed (and needs `EQA_API_KEY`).
    :param port: The port.
    """
    from hayhooks.server.app import run_app

    os.environ["HAYHOOKS_HOST"] = host
    os.environ["HAYHOOKS_PORT"] = str(port)
    app = create_app(host=host)
    run_app(app, host=host, port=port)
