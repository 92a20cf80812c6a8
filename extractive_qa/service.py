"""The application: index documents and answer questions with the YAML pipelines."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from haystack import Document, Pipeline
from haystack.document_stores.in_memory import InMemoryDocumentStore

from extractive_qa import memory_store
from extractive_qa.answers import QAResult
from extractive_qa.errors import InvalidQuestion, ModelNotFound, NothingIndexed, QAError, StoreUnavailable
from extractive_qa.indexing import IndexReport, delete_sources, index_files
from extractive_qa.logs import quiet_libraries
from extractive_qa.pipelines import load_pipeline
from extractive_qa.settings import Settings
from extractive_qa.text_indexing import index_texts


def validate_question(question: Any, max_chars: int) -> str:
    """Returns the question stripped of surrounding white space, or raises `InvalidQuestion`."""
    if not isinstance(question, str):
        raise InvalidQuestion(f"the question must be text, got {type(question).__name__}")
    stripped = question.strip()
    if not stripped:
        raise InvalidQuestion("the question is empty")
    if len(stripped) > max_chars:
        raise InvalidQuestion(f"the question is too long ({len(stripped)} characters; the limit is {max_chars})")
    return stripped


def validate_top_k(top_k: Any, limit: int = 100) -> int:
    if isinstance(top_k, bool) or not isinstance(top_k, int):
        raise InvalidQuestion(f"top_k must be a whole number, got {top_k!r}")
    if not 1 <= top_k <= limit:
        raise InvalidQuestion(f"top_k must be between 1 and {limit}, got {top_k}")
    return top_k


class QuestionAnswerer:
    """
    Indexes documents and answers questions over them, with the pipelines in `pipelines/`.

    Usage example:
    ```python
    from extractive_qa import QuestionAnswerer

    qa = QuestionAnswerer(model="deepset/roberta-base-squad2")
    qa.index(["data/"])
    result = qa.ask("What is the capital of Victoria?")
    print(result.best.text if result.best else "no answer")
    ```
    """

    def __init__(self, settings: Settings | None = None, **overrides: Any) -> None:
        """
        :param settings: The settings; `None` reads them from the environment (see `Settings`).
        :param overrides: Settings to override, e.g. `model=`, `store_path=`, `store="elasticsearch"`.
        """
        quiet_libraries()
        self.settings = (settings or Settings.from_env()).with_overrides(**overrides)
        self._query: Pipeline | None = None
        self._indexing: Pipeline | None = None
        self._loaded_store = False
        self._lock = threading.Lock()

    # ---- pipelines ----------------------------------------------------------------------------------------------

    @property
    def query_pipeline(self) -> Pipeline:
        """The question pipeline, loaded and warmed up (the model is loaded once)."""
        with self._lock:
            if self._query is None:
                pipeline = load_pipeline(self.settings, "query")
                try:
                    pipeline.warm_up()
                except QAError:
                    raise
                except Exception as error:
                    raise ModelNotFound(_model_error(self.reader_model(pipeline), error)) from error
                self._query = pipeline
            return self._query

    @property
    def indexing_pipeline(self) -> Pipeline:
        with self._lock:
            if self._indexing is None:
                self._indexing = load_pipeline(self.settings, "indexing")
            return self._indexing

    @staticmethod
    def reader_model(pipeline: Pipeline) -> str:
        return str(getattr(pipeline.get_component("reader"), "model_name_or_path", "?"))

    @property
    def document_store(self) -> Any:
        """The document store the pipelines read and write (loaded from its file for the in-memory store)."""
        store = self.indexing_pipeline.get_component("writer").document_store  # type: ignore[attr-defined]
        if isinstance(store, InMemoryDocumentStore) and not self._loaded_store:
            memory_store.load_documents(store, self.settings.store_path)
            self._loaded_store = True
        return store

    def _save(self) -> None:
        store = self.document_store
        if isinstance(store, InMemoryDocumentStore):
            memory_store.save(store, self.settings.store_path)

    def count_documents(self) -> int:
        """The number of passages in the store."""
        return _store_call(self.settings, lambda: self.document_store.count_documents())

    # ---- indexing -----------------------------------------------------------------------------------------------

    def index(self, paths: Iterable[str | Path], *, progress: bool = False, batch_size: int = 16) -> IndexReport:
        """
        Indexes files and folders (`.txt`, `.md`, `.pdf`) into the store; files indexed before are replaced.

        :returns: The report: files read, files skipped with their reasons, passages written.
        """
        store = _store_call(self.settings, lambda: self.document_store)
        _store_call(self.settings, store.count_documents)  # reach the store before reading any file
        pipeline = self.indexing_pipeline
        is_memory = isinstance(store, InMemoryDocumentStore)
        try:
            report = _store_call(
                self.settings,
                lambda: index_files(pipeline, list(paths), batch_size=batch_size, progress=progress),
            )
        finally:
            if is_memory:
                self._save()
        return report

    def index_texts(self, texts: Iterable[str | Mapping[str, Any]]) -> IndexReport:
        """
        Indexes texts given in memory (no files involved) with the indexing pipeline's components.

        :param texts: Strings, or mappings with `content` and optionally `name` (identifies the text: indexing a
            name again replaces its passages) and `meta` (metadata for every passage, usable in filters).
        :returns: The report: `files_read` counts the texts indexed.
        :raises InvalidText: When a text is empty or its metadata uses a key the pipeline sets; nothing is written.
        """
        store = _store_call(self.settings, lambda: self.document_store)
        pipeline = self.indexing_pipeline
        try:
            report = _store_call(self.settings, lambda: index_texts(pipeline, texts))
        finally:
            if isinstance(store, InMemoryDocumentStore):
                self._save()
        return report

    def remove(self, paths: Iterable[str | Path]) -> int:
        """Removes every passage of the given files from the store; returns how many passages were removed."""
        removed = _store_call(self.settings, lambda: delete_sources(self.document_store, paths))
        self._save()
        return removed

    # ---- questions ----------------------------------------------------------------------------------------------

    def ask(
        self,
        question: str,
        *,
        top_k: int = 5,
        filters: dict[str, Any] | None = None,
        threshold: float | None = None,
        retriever_top_k: int | None = None,
    ) -> QAResult:
        """
        Answers a question from the indexed documents.

        :param question: The question, in plain language.
        :param top_k: The number of distinct answers to return (1 to 100).
        :param filters: Haystack metadata filters for the retriever, e.g.
            `{"field": "meta.file_name", "operator": "==", "value": "Normans.txt"}`.
        :param threshold: Overrides the no-answer threshold of the query pipeline for this question.
        :param retriever_top_k: The number of passages the reader reads (default: the YAML's, 10).
        :returns: The answers, best first; `result.no_answer` tells whether the documents hold no answer.
        :raises InvalidQuestion: For an empty or over-long question or a bad `top_k`.
        :raises NothingIndexed: When the store holds no documents.
        """
        question = validate_question(question, self.settings.max_question_chars)
        top_k = validate_top_k(top_k)
        pipeline = self.query_pipeline
        if self.count_documents() == 0:
            raise NothingIndexed("no documents are indexed yet; index some first (extractive-qa index PATH)")
        retriever: dict[str, Any] = {"query": question, "filters": filters}
        if retriever_top_k is not None:
            retriever["top_k"] = validate_top_k(retriever_top_k, limit=1000)
        result = _store_call(
            self.settings,
            lambda: pipeline.run(
                {
                    "retriever": retriever,
                    "reader": {"query": question},
                    "deduplicator": {"top_k": top_k},
                    "threshold": {"threshold": threshold},
                }
            ),
        )
        return QAResult.from_extracted(question, result["threshold"]["answers"])

    def answer(
        self, question: str, texts: str | list[str], *, top_k: int = 5, threshold: float | None = None
    ) -> QAResult:
        """
        Answers a question from the given texts, without any store (the seed's `question` + `context` use).

        :param question: The question.
        :param texts: One text or several; each is read as one document.
        """
        question = validate_question(question, self.settings.max_question_chars)
        top_k = validate_top_k(top_k)
        if isinstance(texts, str):
            texts = [texts]
        documents = [Document(content=t, meta={"file_name": f"text {i + 1}"}) for i, t in enumerate(texts)]
        if not any(t.strip() for t in texts):
            raise InvalidQuestion("there is no text to answer from")
        pipeline = self.query_pipeline
        reader = pipeline.get_component("reader")
        answers = reader.run(query=question, documents=documents)["answers"]
        answers = pipeline.get_component("deduplicator").run(answers=answers, top_k=top_k)["answers"]
        answers = pipeline.get_component("threshold").run(answers=answers, threshold=threshold)["answers"]
        return QAResult.from_extracted(question, answers)


def _model_error(model: str, error: Exception) -> str:
    if isinstance(error, FileNotFoundError):
        return str(error)
    first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return f"cannot load the model '{model}': {first_line}"


def _store_call(settings: Settings, call: Any) -> Any:
    """Runs a store operation, turning connection failures into one clear `StoreUnavailable` line."""
    try:
        return call()
    except QAError:
        raise
    except Exception as error:
        if _is_connection_error(error):
            raise StoreUnavailable(
                f"cannot reach Elasticsearch at {settings.elasticsearch_url}: {_connection_reason(error)}"
            ) from error
        raise


def _connection_reason(error: BaseException) -> str:
    """The operating system's words for a failed connection ("Connection refused", ...), else the error's type."""
    import re

    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        found = re.search(r"\[Errno -?\d+\] ([^)\]\[(]+)", str(current))
        if found:
            return found.group(1).strip(" ,'\"")
        if type(current).__name__ == "ConnectionTimeout":
            return "no answer in time (ConnectionTimeout)"
        current = current.__cause__ or current.__context__
    return type(error).__name__


def _is_connection_error(error: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        name = type(current).__name__
        if name in {"ConnectionError", "ConnectionTimeout", "TransportError", "ConnectionRefusedError"}:
            return True
        current = current.__cause__ or current.__context__
    return False
