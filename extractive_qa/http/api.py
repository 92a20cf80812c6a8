"""
The served application's own endpoints, beside the hayhooks wrappers' `/ask/run` and `/index/run`: what the web page
needs and anyone may use with the key.

| endpoint | what it does |
|---|---|
| `GET /info` | the passages in the store, the no-answer decision's signal and threshold, the upload limits |
| `POST /upload` | indexes uploaded files (multipart field `files`: txt, md, pdf, html, docx), file by file |
| `POST /feedback` | stores a rating of an answer (`up`, `down`, `wrong_span`) for `extractive-qa feedback export` |

Usage example:
```python
from fastapi import FastAPI

from extractive_qa.http.api import api_router
from extractive_qa.http.application import ServedApplication
from extractive_qa.http.config import ServeConfig
from extractive_qa.settings import Settings

app = FastAPI()
app.include_router(api_router(ServedApplication(Settings.from_env(), ServeConfig())))
```
"""

from __future__ import annotations

from fastapi import APIRouter, File, UploadFile
from starlette.concurrency import run_in_threadpool

from extractive_qa.http.application import ServedApplication
from extractive_qa.http.models import FeedbackRequest, FeedbackResult, InfoResult, UploadResult
from extractive_qa.indexing.uploads import Upload


def api_router(application: ServedApplication) -> APIRouter:
    """The FastAPI router of `/info`, `/upload` and `/feedback`, serving `application`."""
    router = APIRouter(tags=["application"])

    @router.get("/info", response_model=InfoResult, summary="The store's size and the no-answer decision")
    def info() -> InfoResult:
        return application.info()

    @router.post(
        "/upload",
        response_model=UploadResult,
        summary="Index uploaded files",
        description=(
            "Indexes the files sent as the multipart field `files` (.txt, .md, .pdf, .html, .docx): each is stored "
            "under its name (uploading a name again replaces that file's passages). Files that cannot be indexed are "
            "listed as skipped with the reason; when none can be, the answer is 422 with each file's reason. The "
            "body may hold at most EQA_MAX_UPLOAD_BYTES (413 otherwise), at most EQA_MAX_DOCUMENTS files."
        ),
    )
    async def upload(files: list[UploadFile] = File(description="The files to index.")) -> UploadResult:  # noqa: B008
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

    return router
