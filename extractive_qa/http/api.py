"""
The served application's own endpoints, beside the hayhooks wrappers' `/ask/run` and `/index/run`: what the web page
needs and anyone may use with the key.

| endpoint | what it does |
|---|---|
| `GET /status` | the health check: up, and whether the store can be read (503 when it cannot) |
| `GET /info` | the passages in the store, the no-answer decision's signal and threshold, the upload limits |
| `POST /upload` | indexes uploaded files (multipart field `files`: txt, md, pdf, html, docx), file by file |
| `POST /feedback` | stores a rating of an answer (`up`, `down`, `wrong_span`) for `extractive-qa feedback export` |
| `GET /sources` | the store's sources (files, texts, uploads), paged, filtered by name |
| `DELETE /sources/{source}` | removes one source (by id or unique name): all its passages, nothing else |

Usage example:
```python
from fastapi import FastAPI

from extractive_qa.http.api import api_router
from extractive_qa.http.application import ServedApplication
from extractive_qa.http.config import ServeConfig
from extractive_qa.settings import Settings

app = FastAPI()
app.include_router(api_router(ServedApplication(Settings.from_env(), ServeConfig()), pipelines=["ask", "index"]))
```
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from extractive_qa.http.application import (
    DEFAULT_SOURCES_PAGE,
    MAX_SOURCES_PAGE,
    ServedApplication,
    too_many_detail,
)
from extractive_qa.http.models import (
    FeedbackRequest,
    FeedbackResult,
    InfoResult,
    RemovedSource,
    SourcesResult,
    StatusResult,
    UploadResult,
)
from extractive_qa.indexing.uploads import Upload
from extractive_qa.store.sources import MAX_KEY_CHARS

UPLOAD_FIELD = "files"
# The multipart body `POST /upload` takes, for the OpenAPI schema (the form is read by the endpoint itself, so that
# too many files is the documented 413, not the multipart parser's 400).
UPLOAD_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": [UPLOAD_FIELD],
                "properties": {
                    UPLOAD_FIELD: {
                        "type": "array",
                        "items": {"type": "string", "format": "binary"},
                        "description": "The files to index.",
                    }
                },
            }
        }
    },
}


def api_router(application: ServedApplication, pipelines: list[str]) -> APIRouter:
    """
    The FastAPI router of `/status`, `/info`, `/upload` and `/feedback`, serving `application`.

    :param pipelines: The served pipelines' names (`/status` lists them).
    """
    router = APIRouter(tags=["application"])

    @router.get(
        "/status",
        response_model=StatusResult,
        summary="Health check",
        description="Up, and whether the store can be read: 503 (`store unreadable`) when it is damaged or "
        "cannot be reached. Needs no key.",
        responses={503: {"model": StatusResult, "description": "The store cannot be read."}},
    )
    def status() -> Any:
        result = application.status(pipelines)
        if result.store == "unreadable":
            return JSONResponse(status_code=503, content=result.model_dump())
        return result

    @router.get("/info", response_model=InfoResult, summary="The store's size and the no-answer decision")
    def info() -> InfoResult:
        return application.info()

    @router.post(
        "/upload",
        response_model=UploadResult,
        openapi_extra={"requestBody": UPLOAD_BODY},
        summary="Index uploaded files",
        description=(
            "Indexes the files sent as the multipart field `files` (.txt, .md, .pdf, .html, .docx): each is stored "
            "under its name (uploading a name again replaces that file's passages). Files that cannot be indexed are "
            "listed as skipped with the reason; when none can be, the answer is 422 with each file's reason. The "
            "body may hold at most EQA_MAX_UPLOAD_BYTES (413 otherwise), at most EQA_MAX_DOCUMENTS files."
        ),
    )
    async def upload(request: Request) -> UploadResult:
        limit = application.config.max_documents
        try:
            form = await request.form(max_files=limit, max_fields=limit)
        except StarletteHTTPException as error:  # what the multipart parser raises
            if "Maximum number of files" not in str(error.detail):
                raise
            raise HTTPException(
                status_code=413,
                detail=too_many_detail(UPLOAD_FIELD, f"more than {limit}", limit, "files in one upload", "uploads"),
            ) from None
        files = [item for item in form.getlist(UPLOAD_FIELD) if isinstance(item, UploadFile)]
        uploads = [Upload.named(file.filename, await file.read()) for file in files]
        return await run_in_threadpool(application.upload, uploads)

    @router.post(
        "/feedback",
        response_model=FeedbackResult,
        summary="Rate an answer",
        description=(
            "Stores a rating of an answer this server gave (by its `answer_id`), durably; a new rating of the same "
            "answer replaces the old one. `extractive-qa feedback export FILE` writes the ratings as SQuAD 2.0 data "
            "for `eval` and `tune-threshold`. An id the server did not give (or no longer remembers) is a 404."
        ),
    )
    def feedback(body: FeedbackRequest) -> FeedbackResult:
        return application.feedback(body.answer_id, body.rating, body.correct_answer)

    @router.get(
        "/sources",
        response_model=SourcesResult,
        summary="The store's sources",
        description=(
            "The files, texts and uploads the store holds, sorted by name, a page at a time (`offset`, `limit` up to "
            f"{MAX_SOURCES_PAGE}); `name` keeps those whose name holds it (case ignored). Each has its `id` (what "
            "`DELETE /sources/{source}` takes), name, type, passages, pages, size and when it was indexed; `path` "
            "is null unless EQA_SHOW_FILE_PATHS=1."
        ),
    )
    def sources(
        name: str | None = Query(default=None, max_length=MAX_KEY_CHARS, description="Part of the names wanted."),
        offset: int = Query(default=0, ge=0, le=10_000_000, description="Sources to pass over."),
        limit: int = Query(default=DEFAULT_SOURCES_PAGE, ge=1, le=MAX_SOURCES_PAGE, description="Sources a page."),
    ) -> SourcesResult:
        return application.sources(name, offset, limit)

    @router.delete(
        "/sources/{source}",
        response_model=RemovedSource,
        summary="Remove a source",
        description=(
            "Removes every passage of one source and nothing else: `source` is its `id` from `GET /sources`, or its "
            "name where one source alone has it (409 lists the ids where several do; the path only where "
            "EQA_SHOW_FILE_PATHS=1). A source that is not in the store is a 404 and nothing changes. A write: it "
            "needs the key where one is set, and a page of another site cannot send it."
        ),
        responses={404: {"description": "No such source (or several by that name); nothing changed."}},
    )
    def remove_source(source: str) -> RemovedSource:
        return application.remove_source(source)

    return router
