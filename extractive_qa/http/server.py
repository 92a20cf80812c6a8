"""
The HTTP server: hayhooks' app serving the wrappers in `wrappers/`, the web page (`page`), the application's own
endpoints (`api`: `/status`, `/info`, `/upload`, `/feedback`) and the MCP tools at `/mcp` (`mcp_server`), behind the
application's guard. Nothing else of hayhooks is mounted: its deploy, undeploy, draw, chat-completion and file
endpoints are taken out of its app before anything is served (a user who wants them runs `hayhooks run`).

`extractive-qa serve` runs `serve()`, which builds the app with `create_app()`; so does
`uvicorn --factory extractive_qa.http.server:create_app`. `create_app` installs the process's `ServedApplication`
(settings, limits, the model) before hayhooks loads the wrappers, which then serve it; `ServingGuard` (see
`extractive_qa.http.guard`) stands in front of everything.

Usage example:
```python
from extractive_qa.http.server import serve
from extractive_qa.settings import Settings

serve(Settings.from_env(model="../models/my-squad-model"), host="127.0.0.1", port=1416)
```
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from extractive_qa.http.api import api_router
from extractive_qa.http.application import ServedApplication, install_application
from extractive_qa.http.config import API_KEY_HEADER, ServeConfig
from extractive_qa.http.guard import OPEN_PATHS, ServingGuard
from extractive_qa.http.mcp_server import mount_mcp
from extractive_qa.http.page import page_router
from extractive_qa.settings import Settings

#: The hayhooks pipeline wrappers shipped with the package (`hayhooks run --pipelines-dir` takes this folder too).
WRAPPERS_DIR = Path(__file__).resolve().parent / "wrappers"
DEFAULT_PORT = 1416
#: Worker threads beyond the admitted requests: for the page's files, `/info`, `/status` and MCP's bookkeeping.
THREAD_SPARE = 8


def pipeline_names(folder: Path = WRAPPERS_DIR) -> list[str]:
    """The wrappers the server serves: the sub-folders of `folder` holding a `pipeline_wrapper.py`."""
    return sorted(p.name for p in folder.iterdir() if (p / "pipeline_wrapper.py").is_file())


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


def create_app(settings: Settings | None = None, config: ServeConfig | None = None) -> Any:
    """
    Builds the guarded FastAPI app: hayhooks' app serving the package's wrappers, with `ServingGuard` in front.

    :param settings: The application's settings (model, store, pipelines); `None` reads them from the environment.
    :param config: The exposure, key and limits; `None` reads them from the environment (with hayhooks' host).
    :returns: The app; the pipelines (and the model) load when it starts.
    :raises InvalidSettings: For an exposed configuration without an API key, or a bad setting.
    """
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from hayhooks.server.app import create_app as create_hayhooks_app
    from hayhooks.server.logger import log

    config = config or ServeConfig.from_env()
    config.check_startup()
    names = pipeline_names()
    _configure_hayhooks(config, WRAPPERS_DIR)
    application = ServedApplication(settings or Settings.from_env(), config)
    install_application(application)

    app = create_hayhooks_app()
    _remove_hayhooks_endpoints(app)
    log.configure(patcher=_shorten_logged_params)
    app.title = "extractive-qa"
    app.description = (
        "Extractive question answering over your documents: POST a question to `/ask/run`, texts to `/index/run`, "
        "files to `/upload`, ratings of answers to `/feedback`. The web page is at `/`, the MCP tools at `/mcp`."
        + (" Send the API key as `Authorization: Bearer <key>` or `X-API-Key: <key>`." if config.api_key else "")
    )

    async def validation_error(_request: Any, error: RequestValidationError) -> JSONResponse:
        # FastAPI's default handler echoes the input; a 5 MB wrong value would come straight back.
        errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in error.errors()]
        return JSONResponse(status_code=422, content={"detail": errors})

    app.include_router(page_router())
    app.include_router(api_router(application, names))
    if config.mcp:
        mount_mcp(app, application)
    app.add_exception_handler(RequestValidationError, validation_error)
    _describe_api(app, config, application.settings)
    _size_thread_pool(app, application)
    app.add_middleware(ServingGuard, config=config, pipelines=names)
    app.state.serve_config = config
    return app


def _size_thread_pool(app: Any, application: ServedApplication) -> None:
    """
    Once the model is loaded (the app's start-up), lets the worker threads that run requests (anyio's, 40 by
    default) hold every request the server admits, running and waiting, so that its own queue, not the thread pool,
    decides who waits and who gets 503.
    """
    original = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app_: Any) -> AsyncIterator[Any]:
        async with original(app_) as state:
            import anyio.to_thread

            limiter = anyio.to_thread.current_default_thread_limiter()
            gate = application.gate
            limiter.total_tokens = max(limiter.total_tokens, gate.max_running + gate.max_waiting + THREAD_SPARE)
            yield state

    app.router.lifespan_context = lifespan


def _remove_hayhooks_endpoints(app: Any) -> None:
    """
    Takes every route and mount hayhooks' app brings out of it (deploy, undeploy, status, draw, the chat
    completions and file endpoints, the Chainlit UI), keeping FastAPI's OpenAPI docs; the pipelines' `/{name}/run`
    routes, which hayhooks adds when the app starts, and the application's own endpoints are added after this.
    """
    docs = {app.openapi_url, app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url}
    app.router.routes[:] = [route for route in app.router.routes if getattr(route, "path", None) in docs]


# The refusals every endpoint may answer (the guard's), and those of the application's own endpoints.
GUARD_RESPONSES: dict[str, str] = {
    "421": "The request's `Host` is not a name of this server (a loopback name or one of EQA_ALLOWED_HOSTS).",
}
CHANGE_RESPONSES: dict[str, str] = {
    "400": "The body cannot be read (not JSON, not UTF-8, a broken multipart form).",
    "403": "A request from another site's page (`Origin` / `Sec-Fetch-Site`): it may not change this server.",
    "413": "The body is larger than EQA_MAX_BODY_BYTES (EQA_MAX_UPLOAD_BYTES for /upload), or it holds more texts "
    "or files than EQA_MAX_DOCUMENTS.",
    "422": "A field is missing, of the wrong type or out of range; the `detail` names it.",
}
ENDPOINT_RESPONSES: dict[str, dict[str, str]] = {
    "/ask/run": {
        "409": "Nothing is indexed yet.",
        "503": "The server is busy (`Retry-After`), or its store cannot be read.",
    },
    "/index/run": {"503": "The server is busy (`Retry-After`), or its store cannot be read or written."},
    "/upload": {"503": "The server is busy (`Retry-After`), or its store cannot be read or written."},
    "/feedback": {"404": "The server gave no answer with this id.", "503": "The feedback database cannot be used."},
    "/info": {"503": "The store cannot be read."},
}


def _describe_responses(schema: dict[str, Any], config: ServeConfig, settings: Settings) -> None:
    """
    States in the OpenAPI schema what the server answers besides 200: the guard's 401 (with a key), 403, 413 and
    421, each endpoint's own refusals, with the `{"detail": ...}` body every refusal has; and the question's length
    limits (checked by the application, `EQA_MAX_QUESTION_CHARS`).
    """
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["ErrorResponse"] = {
        "title": "ErrorResponse",
        "type": "object",
        "required": ["detail"],
        "properties": {
            "detail": {
                "anyOf": [
                    {"type": "string"},
                    {"type": "array", "items": {"type": "object", "properties": {"msg": {"type": "string"}}}},
                ]
            }
        },
    }
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            refusals = dict(GUARD_RESPONSES)
            if method != "get":
                refusals.update(CHANGE_RESPONSES)
            if config.api_key and path not in OPEN_PATHS:
                refusals["401"] = "The API key is missing or wrong."
            refusals.update(ENDPOINT_RESPONSES.get(path, {}))
            responses = operation.setdefault("responses", {})
            for status, description in refusals.items():
                responses.setdefault(status, {"description": description, **error})
    ask = schema.get("paths", {}).get("/ask/run", {}).get("post", {})
    body = ask.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    name = body.get("$ref", "").rsplit("/", 1)[-1]
    question = components.get(name, {}).get("properties", {}).get("question")
    if question is not None:
        question.update({"minLength": 1, "maxLength": settings.max_question_chars})


def _describe_api(app: Any, config: ServeConfig, settings: Settings) -> None:
    """
    The OpenAPI schema states what the server does: its refusals (`_describe_responses`), and with a key, that every
    endpoint but the open ones needs it (the docs page can then send it).
    """
    from fastapi import FastAPI

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = FastAPI.openapi(app)
        _describe_responses(schema, config, settings)
        if config.api_key:
            schema.setdefault("components", {})["securitySchemes"] = {
                "bearer": {"type": "http", "scheme": "bearer", "description": "EQA_API_KEY"},
                "apiKey": {"type": "apiKey", "in": "header", "name": API_KEY_HEADER, "description": "EQA_API_KEY"},
            }
            for path, operations in schema.get("paths", {}).items():
                if path in OPEN_PATHS:
                    continue
                for operation in operations.values():
                    operation["security"] = [{"bearer": []}, {"apiKey": []}]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi


def serve(settings: Settings, host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> None:
    """
    Runs the guarded server (what `extractive-qa serve` does); returns when it stops.

    :param settings: The application's settings.
    :param host: The address to bind. Anything but loopback makes the server exposed (and needs `EQA_API_KEY`).
    :param port: The port.
    """
    from hayhooks.server.app import run_app
    from hayhooks.settings import settings as hayhooks_settings

    hayhooks_settings.port = port
    app = create_app(settings, ServeConfig.from_env(host))
    run_app(app, host=host, port=port)
