"""
The MCP tools at `/mcp` (MCP Streamable HTTP), served by the same application as the HTTP API.

| tool | what it does |
|---|---|
| `ask_documents` | answers a question: spans best first, each with its file, page, confidence and context |
| `index_text` | indexes one text (a name again replaces it) |
| `list_sources` | the sources the store holds (read-only: name, type, passages, pages, size, modified), paged |

Only these tools exist: unlike `hayhooks mcp run`, this server has no tools that deploy or undeploy pipelines (code
the server would run). It sits behind the same guard as the HTTP API (the API key, the body limit, the exposure
rules) and runs through the same `ServedApplication` (question length, `top_k`, the queue for model work), so an
agent meets the limits a `curl` does; a refused call is a tool error with the same message. The transport is
stateless JSON (no sessions kept on the server). The guard's rules hold here as everywhere: a `Host` that is not this
server's name is refused (DNS rebinding), and so is a request from another site's page.

Usage example (a client):
```python
import asyncio

from mcp import ClientSession
from mcp.client.streamable_http import streamablehttp_client


async def main() -> None:
    async with streamablehttp_client("http://127.0.0.1:1416/mcp") as (read, write, _):
        async with ClientSession(read, write) as session:
            await session.initialize()
            result = await session.call_tool("ask_documents", {"question": "What is the capital of Victoria?"})
            print(result.structuredContent["answers"][0]["text"])


asyncio.run(main())
```
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any, TypeVar

from pydantic import Field

from extractive_qa.app.validation import DEFAULT_TOP_K
from extractive_qa.errors import QAError
from extractive_qa.http.application import DEFAULT_SOURCES_PAGE, MAX_SOURCES_PAGE, ServedApplication
from extractive_qa.http.guard import MCP_PATH
from extractive_qa.http.models import AskResult, Filters, IndexResult, MinConfidence, Scalar, SourcesResult, TopK
from extractive_qa.store.sources import MAX_KEY_CHARS

SERVER_NAME = "extractive-qa"
INSTRUCTIONS = (
    "Extractive question answering over the documents indexed on this server: `ask_documents` returns exact answer "
    "spans quoted from the documents, each with its source file (and page), a confidence from 0 to 1 and the text "
    "around it, or says that the documents hold no answer (`no_answer`: true). Prefer it over guessing when a "
    "question is about these documents. `index_text` adds a text to them; `list_sources` lists them."
)

T = TypeVar("T")


def error_message(error: Exception) -> str:
    """The message of a refused call: the application's error, or an HTTP error's detail (fields named)."""
    detail = getattr(error, "detail", None)
    if isinstance(detail, list):
        parts = []
        for item in detail:
            if isinstance(item, dict):
                where = ".".join(str(part) for part in item.get("loc", [])[1:])
                parts.append(f"{where}: {item.get('msg')}" if where else str(item.get("msg")))
            else:
                parts.append(str(item))
        return "; ".join(parts)
    return str(detail) if detail is not None else str(error)


async def _call(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Runs application work in a worker thread (the model must not block the event loop); errors as tool errors."""
    import anyio
    from fastapi import HTTPException
    from mcp.server.fastmcp.exceptions import ToolError

    try:
        return await anyio.to_thread.run_sync(functools.partial(function, *args, **kwargs))
    except (HTTPException, QAError) as error:
        raise ToolError(error_message(error)) from None


def create_mcp(application: ServedApplication) -> Any:
    """
    The MCP server (`mcp.server.fastmcp.FastMCP`) with the application's tools, nothing else.

    :param application: The served application the tools run through.
    """
    from mcp.server.fastmcp import FastMCP
    from mcp.server.transport_security import TransportSecuritySettings
    from mcp.types import ToolAnnotations

    # The guard in front of the whole server checks `Host` and cross-site requests for every endpoint, `/mcp`
    # included (`extractive_qa.http.guard`); the MCP library's own copy of that check would refuse the names of
    # EQA_ALLOWED_HOSTS.
    security = TransportSecuritySettings(enable_dns_rebinding_protection=False)
    mcp = FastMCP(
        SERVER_NAME,
        instructions=INSTRUCTIONS,
        stateless_http=True,
        json_response=True,
        streamable_http_path=MCP_PATH,
        transport_security=security,
        max_request_body_size=application.config.max_body_bytes,
        log_level="ERROR",
    )

    @mcp.tool(
        name="ask_documents",
        description=(
            "Answers a question from the indexed documents with exact spans quoted from them. Returns `no_answer` "
            "(true when the documents hold no answer) and `answers`, best first: each with `text`, `source` (the "
            "file), `page_number` (PDF), `confidence` (0 to 1), `context` (the text around it) and "
            "`below_threshold` (true for candidates not confident enough to be given); the entry with `text` null "
            'is the no-answer decision, and its `reason` says why in one short phrase (e.g. "no passage mentions '
            'Veltmark": the documents do not cover what was asked; "the best candidate is below the threshold"); a '
            "candidate below the threshold has its own `reason`."
        ),
    )
    async def ask_documents(
        question: Annotated[str, Field(description="The question in plain language.", strict=True)],
        top_k: Annotated[TopK, Field(description="How many distinct answers to return.")] = DEFAULT_TOP_K,
        filters: Annotated[
            Filters | None,
            Field(
                description=(
                    "Haystack metadata filters restricting the passages searched, e.g. "
                    '{"field": "meta.file_name", "operator": "==", "value": "report.pdf"}'
                )
            ),
        ] = None,
        min_confidence: Annotated[
            MinConfidence,
            Field(
                description=(
                    "Give answers only from this confidence up (0 to 1, exclusive; 0.3 for 30%), in the unit of "
                    "`confidence`; by default the server's threshold, which the result's `min_confidence` states."
                ),
            ),
        ] = None,
    ) -> AskResult:
        return await _call(application.ask, question, top_k=top_k, filters=filters, min_confidence=min_confidence)

    @mcp.tool(
        name="index_text",
        description=(
            "Indexes a text so that ask_documents can answer from it; indexing a name again replaces that text. "
            "Returns the passages written and the passages in the store."
        ),
    )
    async def index_text(
        content: Annotated[str, Field(description="The text.", min_length=1, strict=True)],
        name: Annotated[
            str | None,
            Field(
                description="The name the text is stored and cited under (default: a digest of the content).",
                min_length=1,
                max_length=500,
            ),
        ] = None,
        meta: Annotated[
            dict[str, Scalar] | None,
            Field(description="Metadata for every passage of the text, usable in filters as meta.<key>."),
        ] = None,
    ) -> IndexResult:
        document: dict[str, Any] = {"content": content}
        if name is not None:
            document["name"] = name
        if meta:
            document["meta"] = meta
        return await _call(application.index, [document])

    @mcp.tool(
        name="list_sources",
        description=(
            "Lists the documents (sources) the store holds, sorted by name, a page at a time: each with `name` (what "
            "answers cite as `source` and `meta.file_name` filters on), `type`, `passages`, `pages`, `size` (bytes) "
            "and `modified` (the file's modification time as indexed); `total` counts every match. Read-only."
        ),
        annotations=ToolAnnotations(readOnlyHint=True),
    )
    async def list_sources(
        name: Annotated[
            str | None,
            Field(description="Keep sources whose name holds this (case ignored).", max_length=MAX_KEY_CHARS),
        ] = None,
        offset: Annotated[int, Field(description="Sources to pass over.", ge=0, le=10_000_000, strict=True)] = 0,
        limit: Annotated[
            int, Field(description="Sources in this page.", ge=1, le=MAX_SOURCES_PAGE, strict=True)
        ] = DEFAULT_SOURCES_PAGE,
    ) -> SourcesResult:
        return await _call(application.sources, name, offset, limit)

    return mcp


def mount_mcp(app: Any, application: ServedApplication) -> None:
    """
    Serves the MCP tools at `/mcp` of `app` (a FastAPI app), and runs the MCP session manager with the app's
    lifespan (after the app's own start-up, which loads the model).
    """
    from mcp.server.fastmcp.server import StreamableHTTPASGIApp
    from starlette.routing import Route

    mcp = create_mcp(application)
    mcp.streamable_http_app()  # creates the session manager
    manager = mcp.session_manager
    app.router.routes.append(
        Route(MCP_PATH, endpoint=StreamableHTTPASGIApp(manager), methods=["GET", "POST", "DELETE"])
    )
    original = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app_: Any) -> AsyncIterator[Any]:
        async with original(app_) as state, manager.run():
            yield state

    app.router.lifespan_context = lifespan
