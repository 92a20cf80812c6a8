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
    _describe_security(app, config)
    app.add_middleware(ServingGuard, config=config, pipelines=names)
    app.state.serve_config = config
    return app


def _remove_hayhooks_endpoints(app: Any) -> None:
    """
    Takes every route and mount hayhooks' app brings out of it (deploy, undeploy, status, draw, the chat
    completions and file endpoints, the Chainlit UI), keeping FastAPI's OpenAPI docs; the pipelines' `/{name}/run`
    routes, which hayhooks adds when the app starts, and the application's own endpoints are added after this.
    """
    docs = {app.openapi_url, app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url}
    app.router.routes[:] = [route for route in app.router.routes if getattr(route, "path", None) in docs]


def _describe_security(app: Any, config: ServeConfig) -> None:
    """With a key, every endpoint that needs it says so in the OpenAPI schema (the docs page can then send it)."""
    from fastapi import FastAPI

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = FastAPI.openapi(app)
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
