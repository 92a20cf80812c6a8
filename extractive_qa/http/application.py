"""
The application as the HTTP server runs it: limits and a store lock around `QuestionAnswerer`, errors as HTTP errors.

The wrappers in `wrappers/` (`ask`, `index`) share the process's one `ServedApplication` (`served_application()`), so
the model is loaded once, at start-up, however many wrappers use it. `extractive-qa serve` installs it with its
settings before hayhooks loads the wrappers (`install_application`); under a plain `hayhooks run` it is built from
the environment on first use.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from pydantic import BaseModel

from extractive_qa.app.question_answerer import QuestionAnswerer
from extractive_qa.app.validation import validate_question
from extractive_qa.errors import InvalidField, InvalidQuestion, InvalidText, QAError, ServerBusy
from extractive_qa.http.concurrency import ReadWriteLock, WorkGate
from extractive_qa.http.config import ServeConfig, check_plain_hayhooks
from extractive_qa.http.models import AskResult, Filters, IndexResult, SkippedText, TextDocument
from extractive_qa.indexing.texts import as_text
from extractive_qa.settings import Settings
from extractive_qa.utils import find_cause


def validation_detail(field: str, message: str, kind: str = "value_error") -> list[dict[str, Any]]:
    """A `detail` shaped like FastAPI's own validation errors, naming the field."""
    return [{"loc": ["body", field], "msg": message, "type": kind}]


@contextmanager
def http_errors(field: str) -> Iterator[None]:
    """
    Turns the application's errors into HTTP errors with a message and no traceback.

    Validation errors (422) name `field`; 503 says when to retry.
    """
    from fastapi import HTTPException

    try:
        yield
    except ServerBusy as error:
        raise HTTPException(status_code=503, detail=str(error), headers={"Retry-After": "1"}) from None
    except InvalidField as error:
        raise HTTPException(status_code=422, detail=validation_detail(error.field, str(error))) from None
    except (InvalidQuestion, InvalidText) as error:
        raise HTTPException(status_code=422, detail=validation_detail(field, str(error))) from None
    except QAError as error:
        raise HTTPException(status_code=error.http_status, detail=str(error)) from None
    except Exception as error:
        filter_error = find_cause(error, lambda cause: type(cause).__name__ == "FilterError")
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


class ServedApplication:
    """
    The question answerer as the HTTP server runs it: request limits, and a store lock around it.

    Questions run concurrently with each other (up to `EQA_MAX_CONCURRENT`), never with indexing, which changes
    the store. The API key is not checked here: `ServingGuard` checks it before a request reaches the app.

    Usage example:
    ```python
    from extractive_qa.http.application import ServedApplication
    from extractive_qa.http.config import ServeConfig
    from extractive_qa.settings import Settings

    application = ServedApplication(Settings.from_env(), ServeConfig())
    application.load()
    print(application.ask("What is the capital of Victoria?").answers[0].text)
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
        self.gate = WorkGate(config.max_concurrent, config.max_queue, config.queue_timeout)
        self.store_lock = ReadWriteLock()

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
    ) -> AskResult:
        """
        Answers a question from the store; raises FastAPI's `HTTPException` for every problem.

        :param filters: Haystack filters, as a model or a dictionary (what hayhooks passes after validation).
        """
        if isinstance(filters, BaseModel):
            filters = filters.model_dump()
        with http_errors("question"):
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

    def index(self, documents: list[TextDocument | Mapping[str, Any] | str]) -> IndexResult:
        """
        Indexes texts given in the request; raises FastAPI's `HTTPException` for every problem.

        :param documents: Texts as models, dictionaries (what hayhooks passes after validation) or strings.
        """
        from fastapi import HTTPException

        with http_errors("documents"):
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
