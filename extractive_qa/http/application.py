"""
The application as the HTTP server runs it: limits and a store lock around `QuestionAnswerer`, errors as HTTP errors.

The wrappers in `wrappers/` (`ask`, `index`), the page's endpoints (`api`: upload, feedback, info) and the MCP
tools (`mcp_server`) share the process's one `ServedApplication` (`served_application()`), so the model is loaded
once, at start-up, however many ways in use it. `extractive-qa serve` installs it with its settings before hayhooks
loads the wrappers (`install_application`); under a plain `hayhooks run` it is built from the environment on first
use. Answers it gives are remembered for a while (`RecentAnswers`), so that people can rate them (`feedback`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from extractive_qa.answers import Answer, QAResult
from extractive_qa.app.question_answerer import QuestionAnswerer
from extractive_qa.app.validation import DEFAULT_TOP_K
from extractive_qa.components.no_answer_decision import min_confidence
from extractive_qa.document_types import SUPPORTED_SUFFIXES
from extractive_qa.errors import (
    InvalidField,
    InvalidQuestion,
    InvalidText,
    InvalidUpload,
    QAError,
    ServerBusy,
    UnknownAnswer,
)
from extractive_qa.feedback.recent import RecentAnswers
from extractive_qa.feedback.store import Feedback, FeedbackStore, Rating, feedback_path
from extractive_qa.http.concurrency import ReadWriteLock, WorkGate
from extractive_qa.http.config import ServeConfig, check_plain_hayhooks
from extractive_qa.http.models import (
    AskResult,
    FeedbackResult,
    Filters,
    IndexResult,
    InfoResult,
    RemovedSource,
    SkippedText,
    SourceModel,
    SourcesResult,
    StatusResult,
    TextDocument,
    UploadedFile,
    UploadResult,
)
from extractive_qa.indexing.texts import as_text
from extractive_qa.indexing.uploads import Upload, check_upload
from extractive_qa.settings import Settings
from extractive_qa.store.configured_store import StoreDamaged, store_errors, store_health
from extractive_qa.utils import find_cause


def validation_detail(field: str, message: str, kind: str = "value_error") -> list[dict[str, Any]]:
    """A `detail` shaped like FastAPI's own validation errors, naming the field."""
    return [{"loc": ["body", field], "msg": message, "type": kind}]


def too_many_detail(field: str, count: int | str, limit: int, what: str, several: str) -> list[dict[str, Any]]:
    """The 413's `detail` for a request with more texts or files than `EQA_MAX_DOCUMENTS` allows."""
    return validation_detail(
        field,
        f"too many {what} ({count}; the limit is {limit}, EQA_MAX_DOCUMENTS); send them in several {several}",
        "too_many",
    )


def redact_paths(message: str, paths: list[str]) -> str:
    """`message` with each of the server's own paths (longest first) replaced by a word that names no place."""
    for path in sorted(paths, key=len, reverse=True):
        message = message.replace(path, "<server path>")
    return message


@contextmanager
def http_errors(field: str, redact: Callable[[str], str] = str) -> Iterator[None]:
    """
    Turns the application's errors into HTTP errors with a message and no traceback.

    Validation errors (422) name `field`; 503 says when to retry (only where a retry can help: a full queue).

    :param redact: Applied to every message, e.g. to take the server's paths out of it.
    """
    from fastapi import HTTPException

    try:
        yield
    except ServerBusy as error:
        raise HTTPException(status_code=503, detail=redact(str(error)), headers={"Retry-After": "1"}) from None
    except StoreDamaged as error:  # no Retry-After: a retry cannot mend it
        raise HTTPException(status_code=503, detail=redact(error.public_message)) from None
    except InvalidUpload as error:
        detail = error.detail or validation_detail(field, str(error))
        raise HTTPException(status_code=422, detail=_redacted(detail, redact)) from None
    except InvalidField as error:
        raise HTTPException(status_code=422, detail=validation_detail(error.field, redact(str(error)))) from None
    except (InvalidQuestion, InvalidText) as error:
        raise HTTPException(status_code=422, detail=validation_detail(field, redact(str(error)))) from None
    except QAError as error:
        raise HTTPException(status_code=error.http_status, detail=redact(str(error))) from None
    except Exception as error:
        filter_error = find_cause(error, lambda cause: type(cause).__name__ == "FilterError")
        if filter_error is None:
            raise
        raise HTTPException(status_code=422, detail=validation_detail("filters", redact(str(filter_error)))) from None


def _redacted(detail: list[dict[str, Any]], redact: Callable[[str], str]) -> list[dict[str, Any]]:
    return [{**item, "msg": redact(str(item.get("msg", "")))} for item in detail]


class ServedApplication:
    """
    The question answerer as the HTTP server runs it: request limits, and a store lock around it.

    Questions run concurrently with each other (up to `EQA_MAX_CONCURRENT`), never with indexing (texts or
    uploaded files), which changes the store. Answers come with the file's name, not its path on the server's disk
    (`shown`), and are remembered for a while so that people can rate them (`feedback`, stored durably). The API key
    is not checked here: `ServingGuard` checks it before a request reaches the app.

    Usage example:
    ```python
    from extractive_qa.http.application import ServedApplication
    from extractive_qa.http.config import ServeConfig
    from extractive_qa.settings import Settings

    application = ServedApplication(Settings.from_env(), ServeConfig())
    application.load()
    answers = application.ask("What is the capital of Victoria?").answers
    best = next(answer for answer in answers if answer.text is not None)
    application.feedback(best.answer_id, "up")
    ```
    """

    def __init__(self, settings: Settings, config: ServeConfig) -> None:
        """
        :param settings: The application's settings (model, store, pipelines).
        :param config: The server's exposure, key and limits.
        """
        self.settings = settings
        self.config = config
        self.qa = QuestionAnswerer(settings)
        self.gate = WorkGate(config.max_concurrent or FALLBACK_CONCURRENT, config.max_queue, config.queue_timeout)
        self.store_lock = ReadWriteLock()
        self.recent = RecentAnswers()
        self.feedback_store = FeedbackStore(feedback_path(settings))
        self.hidden_paths = [] if config.show_file_paths else _server_paths(settings)

    def redact(self, message: str) -> str:
        """A message as the server shows it: without the server's own paths (unless `EQA_SHOW_FILE_PATHS=1`)."""
        return redact_paths(message, self.hidden_paths)

    def _errors(self, field: str) -> Any:
        """`http_errors` for this server: the application's errors as HTTP errors, without the server's paths."""
        return http_errors(field, self.redact)

    def _check_filters(self, filters: Mapping[str, Any] | None) -> None:
        """
        Refuses filters on the files' paths while answers hide them: a filter would tell whether a guessed path was
        indexed, and an error comparing values could quote one.
        """
        if filters is None or self.config.show_file_paths:
            return
        pending: list[Any] = [filters]
        while pending:
            condition = pending.pop()
            if not isinstance(condition, Mapping):
                continue
            if condition.get("field") == HIDDEN_FILTER_FIELD:
                raise InvalidField(
                    "filters",
                    f"{HIDDEN_FILTER_FIELD} cannot be filtered on: this server hides its paths (EQA_SHOW_FILE_PATHS); "
                    "filter on meta.file_name instead",
                )
            conditions = condition.get("conditions")
            if isinstance(conditions, list):
                pending.extend(conditions)

    def load(self) -> None:
        """
        Loads the model and the store now, so that no request pays for it; without `EQA_MAX_CONCURRENT`, admits as
        many questions at once as the reader's engine batches (its batch size times its workers).
        """
        pipeline = self.qa.query_pipeline
        _ = self.qa.document_store
        if self.config.max_concurrent is None:
            engine = getattr(pipeline.get_component("reader"), "engine", None)
            if engine is not None:
                admitted = engine.limits.max_batch_size * engine.limits.workers
                self.gate = WorkGate(admitted, self.config.max_queue, self.config.queue_timeout)

    def ask(
        self,
        question: str,
        *,
        top_k: int = DEFAULT_TOP_K,
        filters: Filters | Mapping[str, Any] | None = None,
        threshold: float | None = None,
        retriever_top_k: int | None = None,
        min_confidence: float | None = None,
    ) -> AskResult:
        """
        Answers a question from the store; raises FastAPI's `HTTPException` for every problem.

        :param filters: Haystack filters, as a model or a dictionary (what hayhooks passes after validation).
        """
        if isinstance(filters, BaseModel):
            filters = filters.model_dump()
        with self._errors("question"):
            self._check_filters(filters)
            with self.gate.slot(), self.store_lock.read():
                result = self.qa.ask(
                    question,
                    top_k=top_k,
                    filters=dict(filters) if filters is not None else None,
                    threshold=threshold,
                    retriever_top_k=retriever_top_k,
                    min_confidence=min_confidence,
                )
        self.recent.remember(result)
        return self.shown(result)

    def shown(self, result: QAResult) -> AskResult:
        """
        A result as the server returns it: the file's name, not its path on the server's disk (unless
        `EQA_SHOW_FILE_PATHS=1`), and no number JSON cannot hold.
        """
        data = result.to_dict()
        if not self.config.show_file_paths:
            for answer in data["answers"]:
                answer["file_path"] = None
                answer["document_meta"].pop("file_path", None)
        return AskResult.model_validate(data)

    def _check_count(self, count: int, field: str, what: str, several: str) -> None:
        """Refuses (413, naming `field`) a request carrying more than `EQA_MAX_DOCUMENTS` texts or files."""
        from fastapi import HTTPException

        if count > self.config.max_documents:
            raise HTTPException(
                status_code=413, detail=too_many_detail(field, count, self.config.max_documents, what, several)
            )

    def index(self, documents: list[TextDocument | Mapping[str, Any] | str]) -> IndexResult:
        """
        Indexes texts given in the request; raises FastAPI's `HTTPException` for every problem.

        :param documents: Texts as models, dictionaries (what hayhooks passes after validation) or strings.
        """

        with self._errors("documents"):
            self._check_count(len(documents), "documents", "documents in one request", "requests")
            if not documents:
                raise InvalidText("documents is empty: send at least one text")
            texts = [d.model_dump(exclude_none=True) if isinstance(d, BaseModel) else d for d in documents]
            names = [as_text(text, position, "documents").name for position, text in enumerate(texts)]
            for position, name in enumerate(names):
                if name in names[:position]:
                    first = names.index(name)
                    raise InvalidField(
                        "documents",
                        f"documents[{first}] and documents[{position}] have the same name {name!r}; "
                        "names must be unique",
                    )
            started = time.perf_counter()
            with self.gate.slot(), self.store_lock.write():
                report = self.qa.index_texts(texts)
                count = self.qa.count_documents()
        return IndexResult(
            documents_indexed=report.files_read,
            passages_written=report.passages_written,
            passages_removed=report.passages_removed,
            skipped=[SkippedText(name=name, reason=reason) for name, reason in report.skipped],
            names=names,
            passages_in_store=count,
            seconds=round(time.perf_counter() - started, 3),
        )

    def upload(self, uploads: list[Upload]) -> UploadResult:
        """
        Indexes uploaded files (their bytes; a name again replaces that file's passages), file by file.

        Files that cannot be indexed are skipped with their reason; when none can be, nothing is written and the
        answer is a 422 naming each file's reason. Raises FastAPI's `HTTPException` for every problem.
        """

        with self._errors("files"):
            if not uploads:
                raise InvalidUpload("no file in the upload: send one or more files as the multipart field 'files'")
            self._check_count(len(uploads), "files", "files in one upload", "uploads")
            names = [upload.name for upload in uploads]
            reasons: dict[int, str] = {}
            for position, upload in enumerate(uploads):
                if upload.name in names[:position]:
                    reasons[position] = f"a file named {upload.name!r} comes earlier in this upload"
                elif (reason := check_upload(upload)) is not None:
                    reasons[position] = reason
            accepted = [upload for position, upload in enumerate(uploads) if position not in reasons]
            started = time.perf_counter()
            report = None
            count = 0
            if accepted:
                with self.gate.slot(), self.store_lock.write():
                    report = self.qa.index_uploads(accepted)
                    count = self.qa.count_documents()
            skipped_later = dict(report.skipped) if report else {}
            files = []
            for position, upload in enumerate(uploads):
                reason = reasons.get(position) or skipped_later.get(upload.name)
                if reason:
                    files.append(UploadedFile(name=upload.name or "(no name)", status="skipped", reason=reason))
                else:
                    passages = report.passages_per_source.get(upload.name, 0) if report else 0
                    files.append(UploadedFile(name=upload.name, status="indexed", passages=passages))
            if report is None or not report.files_read:
                raise InvalidUpload(
                    "no file of the upload could be indexed",
                    detail=[
                        {
                            "loc": ["body", "files", position],
                            "msg": f"{file.name}: {file.reason}",
                            "type": "value_error",
                        }
                        for position, file in enumerate(files)
                    ],
                )
        return UploadResult(
            files=files,
            files_indexed=report.files_read,
            passages_written=report.passages_written,
            passages_removed=report.passages_removed,
            passages_in_store=count,
            seconds=round(time.perf_counter() - started, 3),
        )

    def feedback(self, answer_id: str, rating: Rating, correct_answer: str | None = None) -> FeedbackResult:
        """
        Stores a person's rating of an answer this server gave (durably, before returning); a new rating of the same
        answer replaces the old one. Raises FastAPI's `HTTPException` for every problem (404 for an unknown id).
        """
        with self._errors("answer_id"):
            given = self.recent.get(answer_id)
            if given is None:
                raise UnknownAnswer(
                    f"unknown answer id {answer_id!r}: rate an answer this server gave since it started "
                    f"(it remembers the last {self.recent.limit}); ask the question again"
                )
            answer = given.answer
            passage, start = self._passage_of(answer)
            correct = correct_answer.strip() if correct_answer and rating == "wrong_span" else None
            stored = self.feedback_store.save(
                Feedback(
                    answer_id=answer_id,
                    rating=rating,
                    question=given.question,
                    answer=answer.text or "",
                    answer_start=start,
                    passage=passage,
                    document_id=answer.document_id,
                    source=answer.source,
                    page_number=answer.page_number,
                    correct_answer=correct or None,
                    confidence=answer.confidence,
                    below_threshold=answer.below_threshold,
                )
            )
            count = self.feedback_store.count()
        return FeedbackResult(
            answer_id=stored.answer_id,
            rating=stored.rating,
            correct_answer_found=(correct in passage) if correct else None,
            ratings_stored=count,
        )

    def _passage_of(self, answer: Answer) -> tuple[str, int]:
        """
        The whole passage of an answer and the answer's offset in it, read from the store; the answer's context when
        the passage is gone or changed (re-indexed) since.
        """
        text = answer.text or ""
        if answer.document_id is not None and answer.start is not None:
            with self.store_lock.read(), store_errors(self.settings):
                found = self.qa.document_store.filter_documents(
                    {"field": "id", "operator": "==", "value": answer.document_id}
                )
            content = found[0].content if found else None
            if content is not None and content[answer.start : answer.start + len(text)] == text:
                return content, answer.start
        return answer.context or text, answer.context_start or 0

    def status(self, pipelines: list[str]) -> StatusResult:
        """
        The health check: up, and whether the store can be read (`unreadable`, with a path-free reason, when it is
        damaged or cannot be reached; `empty` before anything is indexed).

        :param pipelines: The served pipelines' names.
        """
        with self.store_lock.read():
            try:
                store = self.qa.document_store
            except QAError:
                store = None  # the check names what is wrong
            health = store_health(self.settings, store)
        state: Literal["ok", "empty", "unreadable"] = "ok"
        if health.state == "missing" or (health.ok and health.passages == 0):
            state = "empty"
        elif not health.ok:
            state = "unreadable"
        return StatusResult(
            status="Up!" if state != "unreadable" else "store unreadable",
            pipelines=pipelines,
            store=state,
            detail=self.redact(health.message) if state == "unreadable" else None,
        )

    def sources(self, name: str | None = None, offset: int = 0, limit: int | None = None) -> SourcesResult:
        """
        A page of the store's sources, sorted by name (`name`: those whose name holds it, case ignored); paths
        only where `EQA_SHOW_FILE_PATHS=1` (and only then does the filter look at them).
        """
        with self._errors("name"), self.store_lock.read():
            found = self.qa.sources(name or None)
            count = self.qa.count_documents()
        limit = limit or DEFAULT_SOURCES_PAGE
        if name and not self.config.show_file_paths:
            found = [source for source in found if name.casefold() in source.name.casefold()]
        shown = found[offset : offset + limit]
        return SourcesResult(
            total=len(found),
            offset=offset,
            limit=limit,
            passages_in_store=count,
            sources=[SourceModel(**s.to_dict(show_path=self.config.show_file_paths)) for s in shown],
        )

    def remove_source(self, key: str) -> RemovedSource:
        """
        Removes one source (by its id, or its name where one source alone has it; by its path only where
        `EQA_SHOW_FILE_PATHS=1`): all its passages, nothing else. A source not there is a 404, nothing changed.
        """
        with self._errors("source"), self.gate.slot(), self.store_lock.write():
            source, removed = self.qa.remove_source(key, by_path=self.config.show_file_paths)
            count = self.qa.count_documents()
        return RemovedSource(
            source=SourceModel(**source.to_dict(show_path=self.config.show_file_paths)),
            passages_removed=removed,
            passages_in_store=count,
        )

    def info(self) -> InfoResult:
        """The store's size and the no-answer decision's settings (the page's threshold control starts there)."""
        with self._errors("info"):
            with self.store_lock.read():
                count = self.qa.count_documents()
            decision = self.qa.query_pipeline.get_component("threshold")
        return InfoResult(
            passages_in_store=count,
            signal=str(getattr(decision, "signal", "null_score_diff")),
            threshold=float(getattr(decision, "threshold", 0.0)),
            min_confidence=min_confidence(
                str(getattr(decision, "signal", "null_score_diff")), float(getattr(decision, "threshold", 0.0))
            ),
            calibrated=getattr(decision, "calibration", None) is not None,
            accepted_files=sorted(SUPPORTED_SUFFIXES),
            max_upload_bytes=self.config.max_upload_bytes,
            max_files=self.config.max_documents,
            max_question_chars=self.settings.max_question_chars,
        )


HIDDEN_FILTER_FIELD = "meta.file_path"
#: Sources per page of `GET /sources` unless asked otherwise, and the most a page holds.
DEFAULT_SOURCES_PAGE = 50
MAX_SOURCES_PAGE = 500
#: Requests doing model work at once where neither `EQA_MAX_CONCURRENT` nor the reader's engine says how many.
FALLBACK_CONCURRENT = 8


def _server_paths(settings: Settings) -> list[str]:
    """The server's own paths a message could name: the store, the pipelines, the feedback, the model, the home."""
    paths = [settings.store_path, settings.pipelines_dir, feedback_path(settings), Path.home(), Path.cwd()]
    if settings.model and Path(settings.model).expanduser().exists():
        paths.append(Path(settings.model).expanduser())
    shown: set[str] = set()
    for path in paths:
        shown.add(str(path))
        with suppress(OSError):
            shown.add(str(path.resolve()))
    return sorted(name for name in shown if len(name) > 1)


_application: ServedApplication | None = None
_application_lock = threading.Lock()


def install_application(application: ServedApplication) -> None:
    """Makes `application` the one the wrappers serve (what `create_app` does before hayhooks loads them)."""
    global _application
    with _application_lock:
        _application = application


def served_application() -> ServedApplication:
    """
    The process's one `ServedApplication`, loaded on first use (the wrappers' `setup()`).

    Without one installed by `create_app`, this is a plain `hayhooks run`: the application is built from the
    environment, and refused where a plain hayhooks server would be unsafe (`check_plain_hayhooks`).

    :raises UnsafeToServe: When a plain `hayhooks run` would be exposed, or would ignore a configured API key.
    :raises SystemExit: When the model or the store cannot be loaded: a server without its model is no use.
    """
    global _application
    with _application_lock:
        try:
            if _application is None:
                config = ServeConfig.from_env()
                check_plain_hayhooks(config)
                from hayhooks import log

                log.warning(
                    "extractive-qa is served by a plain 'hayhooks run': hayhooks' deploy endpoints are on and CORS "
                    "allows every origin (web pages can call this server). 'extractive-qa serve' turns both off."
                )
                _application = ServedApplication(Settings.from_env(), config)
            _application.load()
        except QAError as error:
            raise SystemExit(f"extractive-qa cannot start: {error}") from error
        return _application
