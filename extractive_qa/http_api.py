"""
The HTTP API: typed requests and responses, and the application object the hayhooks wrappers call.

The wrappers in `serving/` (`ask`, `index`) share one `ServedApplication` per process (`served_application()`), so
the model is loaded once, at start-up, however many wrappers use it.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from extractive_qa.errors import InvalidQuestion, QAError
from extractive_qa.service import QuestionAnswerer, validate_question
from extractive_qa.serving import (
    ReadWriteLock,
    ServeConfig,
    ServerBusy,
    Unauthorized,
    WorkGate,
    ensure_safe_to_serve,
    is_guarded,
)
from extractive_qa.settings import Settings
from extractive_qa.text_indexing import InvalidText, as_text

MAX_TOP_K = 100
MAX_RETRIEVER_TOP_K = 50

Scalar = str | int | float | bool | None

# ---- requests -------------------------------------------------------------------------------------------------


class FilterCondition(BaseModel):
    """One comparison on a document field, in Haystack's filter syntax."""

    model_config = ConfigDict(extra="forbid")

    field: str = Field(
        min_length=1,
        max_length=200,
        description="The field compared: `meta.<key>` for metadata (e.g. `meta.file_name`), `content` or `id`.",
        examples=["meta.file_name"],
    )
    operator: Literal["==", "!=", ">", ">=", "<", "<=", "in", "not in"] = Field(
        description="The comparison; `in` and `not in` take a list as `value`."
    )
    value: Scalar | list[Scalar] = Field(description="The value compared with.", examples=["Normans.txt"])


class FilterGroup(BaseModel):
    """Conditions combined with AND, OR or NOT (NOT negates the AND of its conditions)."""

    model_config = ConfigDict(extra="forbid")

    operator: Literal["AND", "OR", "NOT"] = Field(description="How the conditions combine.")
    conditions: list[FilterCondition | FilterGroup] = Field(
        min_length=1, max_length=50, description="The conditions: comparisons or further groups."
    )


Filters = FilterCondition | FilterGroup


class TextDocument(BaseModel):
    """A text to index, given in the request body (the server never reads a path named in a request)."""

    model_config = ConfigDict(extra="forbid")

    content: str = Field(min_length=1, description="The text. It is split into passages of 200 words.")
    name: str | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description=(
            "Identifies the text in the store (as `meta.file_name`, and the answers' `source`): indexing the "
            "same name again replaces the text's passages. Default: a digest of the content."
        ),
        examples=["berlin-notes.txt"],
    )
    meta: dict[str, Scalar] = Field(
        default_factory=dict,
        description=(
            "Metadata stored with every passage of the text, usable in filters as `meta.<key>`. Keys starting with "
            "`_` and the keys the pipeline sets (file_path, file_name, source_id, parent_id, split_id, "
            "split_idx_start, page_number, encoding) are refused."
        ),
        examples=[{"topic": "travel"}],
    )


# ---- responses ------------------------------------------------------------------------------------------------


class AnswerModel(BaseModel):
    """One answer, or the no-answer entry (`text` is null)."""

    text: str | None = Field(description="The answer span, exactly as in the passage; null for the no-answer entry.")
    score: float = Field(
        description="The answer's score in [0, 1]; for the no-answer entry, the model's probability of no answer."
    )
    document_id: str | None = Field(description="The id of the passage the answer was found in.")
    source: str | None = Field(description="The file name (or indexed text name) the passage comes from.")
    file_path: str | None = Field(description="The path (or indexed text name) the passage comes from.")
    document_meta: dict[str, Any] = Field(
        default_factory=dict, description="The passage's metadata (file_name, split_id, split_idx_start, ...)."
    )
    start: int | None = Field(description="Character offset of the answer's start in the passage.")
    end: int | None = Field(description="Character offset just after the answer's end in the passage.")
    context: str | None = Field(description="The text around the answer (up to 150 characters on each side).")
    context_start: int | None = Field(description="Character offset of the answer's start in `context`.")
    context_end: int | None = Field(description="Character offset just after the answer's end in `context`.")
    meta: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "The reader's evidence: `null_score_diff`, `supporting_documents` and `support` (passages that gave the "
            "same answer); for the no-answer entry `answerable`, `signal` and `threshold`."
        ),
    )


class AskResult(BaseModel):
    """The answers to one question, best first."""

    question: str = Field(description="The question as answered (surrounding white space removed).")
    no_answer: bool = Field(
        description="True when the decision is that the documents hold no answer (the first entry is no-answer)."
    )
    answers: list[AnswerModel] = Field(
        description=(
            "The answers that cleared the no-answer threshold, then the no-answer entry, then answers that did not."
        )
    )


class SkippedText(BaseModel):
    """A text that gave no passage."""

    name: str = Field(description="The text's name.")
    reason: str = Field(description="Why nothing was indexed.")


class IndexResult(BaseModel):
    """What an indexing request did."""

    documents_indexed: int = Field(description="The number of texts indexed.")
    passages_written: int = Field(description="Passages written (new or replaced).")
    passages_removed: int = Field(description="Outdated passages of re-indexed texts that were removed.")
    skipped: list[SkippedText] = Field(default_factory=list, description="Texts that gave no passage.")
    names: list[str] = Field(description="The names the texts are stored under, in request order.")
    passages_in_store: int = Field(description="The number of passages in the store afterwards.")
    seconds: float = Field(description="Time spent indexing.")


# ---- errors ---------------------------------------------------------------------------------------------------


def validation_detail(field: str, message: str, kind: str = "value_error") -> list[dict[str, Any]]:
    """A `detail` shaped like FastAPI's own validation errors, naming the field."""
    return [{"loc": ["body", field], "msg": message, "type": kind}]


def _caused_by(error: BaseException, name: str) -> BaseException | None:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if type(current).__name__ == name:
            return current
        current = current.__cause__ or current.__context__
    return None


class InvalidField(QAError):
    """A request field has a value the type alone does not rule out (e.g. a threshold that is not finite)."""

    http_status = 422

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@contextmanager
def http_errors(field: str) -> Iterator[None]:
    """
    Turns the application's errors into HTTP errors with a message and no traceback.

    Validation errors (422) name `field`; 401 asks for the key; 503 says when to retry.
    """
    from fastapi import HTTPException

    try:
        yield
    except Unauthorized as error:
        raise HTTPException(status_code=401, detail=str(error), headers={"WWW-Authenticate": "Bearer"}) from None
    except ServerBusy as error:
        raise HTTPException(status_code=503, detail=str(error), headers={"Retry-After": "1"}) from None
    except InvalidField as error:
        raise HTTPException(status_code=422, detail=validation_detail(error.field, str(error))) from None
    except (InvalidQuestion, InvalidText) as error:
        raise HTTPException(status_code=422, detail=validation_detail(field, str(error))) from None
    except QAError as error:
        raise HTTPException(status_code=error.http_status, detail=str(error)) from None
    except Exception as error:
        filter_error = _caused_by(error, "FilterError")
        if filter_error is None:
            raise
        raise HTTPException(status_code=422, detail=validation_detail("filters", str(filter_error))) from None


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: such numbers become null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


# ---- the application ------------------------------------------------------------------------------------------


class ServedApplication:
    """
    The question answerer as the HTTP server runs it: limits, the API key, and a store lock around it.

    Questions run concurrently with each other (up to `EQA_MAX_CONCURRENT`), never with indexing, which changes
    the store.
    """

    def __init__(self, settings: Settings, config: ServeConfig) -> None:
        """
        :param settings: The application's settings (model, store, pipelines).
        :param config: The server's exposure, key and limits.
        """
        self.settings = settings
        self.config = config
        self.qa = QuestionAnswerer(settings)
        self.gate = WorkGate(config.max_concurrent, config.max_queue, config.queue_timeout)
        self.store_lock = ReadWriteLock()

    @classmethod
    def from_env(cls) -> ServedApplication:
        return cls(Settings.from_env(), ServeConfig.from_env())

    def load(self) -> None:
        """Loads the model and the store now, so that no request pays for it."""
        _ = self.qa.query_pipeline
        _ = self.qa.document_store

    def ask(
        self,
        question: str,
        *,
        top_k: int = 5,
        filters: Filters | Mapping[str, Any] | None = None,
        threshold: float | None = None,
        retriever_top_k: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> AskResult:
        """
        Answers a question from the store; raises FastAPI's `HTTPException` for every problem.

        :param filters: Haystack filters, as a model or a dictionary (what hayhooks passes after validation).
        """
        if isinstance(filters, BaseModel):
            filters = filters.model_dump()
        with http_errors("question"):
            self.config.require_key(headers)
            question = validate_question(question, self.settings.max_question_chars)
            if threshold is not None and (isinstance(threshold, bool) or not math.isfinite(threshold)):
                raise InvalidField("threshold", f"threshold must be a finite number, got {threshold!r}")
            with self.gate.slot(), self.store_lock.read():
                result = self.qa.ask(
                    question,
                    top_k=top_k,
                    filters=dict(filters) if filters is not None else None,
                    threshold=threshold,
                    retriever_top_k=retriever_top_k,
                )
        return AskResult.model_validate(_finite(result.to_dict()))

    def index(
        self, documents: list[TextDocument | Mapping[str, Any] | str], *, headers: Mapping[str, str] | None = None
    ) -> IndexResult:
        """
        Indexes texts given in the request; raises FastAPI's `HTTPException` for every problem.

        :param documents: Texts as models, dictionaries (what hayhooks passes after validation) or strings.
        """
        from fastapi import HTTPException

        with http_errors("documents"):
            self.config.require_key(headers)
            if len(documents) > self.config.max_documents:
                raise HTTPException(
                    status_code=413,
                    detail=validation_detail(
                        "documents",
                        f"too many documents in one request ({len(documents)}; the limit is "
                        f"{self.config.max_documents}, EQA_MAX_DOCUMENTS); send them in several requests",
                        "too_many",
                    ),
                )
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


_application: ServedApplication | None = None
_application_lock = threading.Lock()


def served_application() -> ServedApplication:
    """
    The process's one `ServedApplication`, created and loaded on first use (the wrappers' `setup()`).

    :raises UnsafeToServe: When the server would be exposed without `extractive-qa serve`'s guard.
    :raises SystemExit: When the model or the store cannot be loaded: a server without its model is no use.
    """
    global _application
    with _application_lock:
        if _application is None:
            try:
                config = ServeConfig.from_env()
            except QAError as error:
                raise SystemExit(f"extractive-qa cannot start: {error}") from error
            ensure_safe_to_serve(config)
            if not is_guarded():
                from hayhooks import log

                log.warning(
                    "extractive-qa is served by a plain 'hayhooks run': hayhooks' deploy endpoints are on and CORS "
                    "allows every origin (web pages can call this server). 'extractive-qa serve' turns both off."
                )
            try:
                config.check_startup()
                application = ServedApplication(Settings.from_env(), config)
                application.load()
            except QAError as error:
                raise SystemExit(f"extractive-qa cannot start: {error}") from error
            _application = application
        return _application
