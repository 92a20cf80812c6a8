"""The application: index documents and answer questions with the YAML pipelines."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from haystack import Document, Pipeline
from haystack.document_stores.types import DocumentStore

from extractive_qa.answers import QAResult
from extractive_qa.app.pipeline_loader import load_pipeline, read_documents, warm_up
from extractive_qa.app.validation import (
    DEFAULT_TOP_K,
    MAX_RETRIEVER_TOP_K,
    MAX_TOP_K,
    validate_count,
    validate_question,
)
from extractive_qa.components.no_answer_decision import threshold_for_confidence, validate_threshold
from extractive_qa.errors import InvalidField, InvalidQuestion, NothingIndexed, ServerBusy, SourceNotFound
from extractive_qa.indexing.indexer import index_files, index_texts, index_uploads
from extractive_qa.indexing.report import IndexReport
from extractive_qa.indexing.uploads import Upload
from extractive_qa.logs import quiet_libraries
from extractive_qa.settings import DEFAULT_BATCH_SIZE, Settings
from extractive_qa.store import memory_file
from extractive_qa.store.configured_store import open_store, persist, store_errors
from extractive_qa.store.embedded_index import missing_store_message, store_missing
from extractive_qa.store.sources import Source, find_source, list_sources, remove_source, remove_sources
from extractive_qa.utils import find_cause, printable

T = TypeVar("T")
#: The metadata field that holds a passage's source name (what answers show as `source`).
SOURCE_NAME_FIELD = "meta.file_name"


def named_sources(filters: Mapping[str, Any] | None) -> list[str]:
    """
    The source names a filter restricts a question to: `meta.file_name` compared with `==` or `in`, at the top or
    under `AND` (names under `OR` or `NOT` restrict nothing on their own).
    """
    if not isinstance(filters, Mapping):
        return []
    if filters.get("field") == SOURCE_NAME_FIELD:
        value = filters.get("value")
        if filters.get("operator") == "==" and isinstance(value, str):
            return [value]
        if filters.get("operator") == "in" and isinstance(value, list):
            return [v for v in value if isinstance(v, str)]
        return []
    if filters.get("operator") == "AND" and isinstance(filters.get("conditions"), list):
        return [name for condition in filters["conditions"] for name in named_sources(condition)]
    return []


@contextmanager
def reader_busy_as_server_busy() -> Iterator[None]:
    """The reader engine's full queue (`ReaderBusyError`, however wrapped by the pipeline) as `ServerBusy` (503)."""
    from extractive_qa.components.reader.engine import ReaderBusyError

    try:
        yield
    except Exception as error:
        busy = find_cause(error, lambda cause: isinstance(cause, ReaderBusyError))
        if busy is None:
            raise
        raise ServerBusy(str(busy)) from None


class QuestionAnswerer:
    """
    Indexes documents and answers questions over them, with the pipelines in `extractive_qa.pipelines`.

    The store opens on first use, the query pipeline (and its model) on the first question, the indexing pipeline
    on the first indexing call: a command pays only for what it uses.

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
        self._store: DocumentStore | None = None
        self._lock = threading.Lock()

    # ---- parts, loaded on first use -----------------------------------------------------------------------------

    @property
    def query_pipeline(self) -> Pipeline:
        """The question pipeline, loaded and warmed up (the model is loaded once)."""
        with self._lock:
            if self._query is None:
                self._query = warm_up(self._store_call(lambda: load_pipeline(self.settings, "query")))
            return self._query

    @property
    def model_loaded(self) -> bool:
        """Whether the query pipeline, and so the model, has been loaded."""
        return self._query is not None

    @property
    def indexing_pipeline(self) -> Pipeline:
        """The indexing pipeline (no model)."""
        with self._lock:
            if self._indexing is None:
                self._indexing = self._store_call(lambda: load_pipeline(self.settings, "indexing"))
            return self._indexing

    @property
    def document_store(self) -> DocumentStore:
        """The document store the pipelines read and write (the in-memory store is filled from its file)."""
        with self._lock:
            if self._store is None:
                self._store = open_store(self.settings)
            return self._store

    def _store_call(self, call: Callable[[], T]) -> T:
        with store_errors(self.settings), reader_busy_as_server_busy():
            return call()

    def count_documents(self) -> int:
        """The number of passages in the store."""
        return self._store_call(self.document_store.count_documents)

    # ---- indexing -----------------------------------------------------------------------------------------------

    def index(
        self,
        paths: Iterable[str | Path],
        *,
        progress: bool = False,
        batch_size: int = DEFAULT_BATCH_SIZE,
        full: bool = False,
        sync: bool = False,
    ) -> IndexReport:
        """
        Indexes files and folders (`.txt`, `.md`, `.pdf`, `.html`, `.docx`) into the store: new and changed files
        (replacing what was indexed before from them), unchanged ones skipped.

        :param full: Index unchanged files too.
        :param sync: Also remove the passages of files gone from these folders.
        :returns: The report: files new, changed, unchanged, removed, skipped with their reasons; passages written.
        """
        store = self.document_store
        self._store_call(store.count_documents)  # reach the store before reading any file
        pipeline = self.indexing_pipeline
        return self._writing(
            lambda: index_files(
                pipeline, store, list(paths), batch_size=batch_size, progress=progress, full=full, sync=sync
            )
        )

    def index_texts(self, texts: Iterable[str | Mapping[str, Any]]) -> IndexReport:
        """
        Indexes texts given in memory (no files involved) with the indexing pipeline's components.

        :param texts: Strings, or mappings with `content` and optionally `name` (identifies the text: indexing a
            name again replaces its passages) and `meta` (metadata for every passage, usable in filters).
        :returns: The report: `files_read` counts the texts indexed.
        :raises InvalidText: When a text is empty or its metadata uses a key the pipeline sets; nothing is written.
        """
        store = self.document_store
        pipeline = self.indexing_pipeline
        return self._writing(lambda: index_texts(pipeline, store, texts))

    def index_uploads(self, uploads: Iterable[Upload]) -> IndexReport:
        """
        Indexes uploaded files (their bytes, never a path) with the indexing pipeline; a name indexed before is
        replaced. Each file is checked first (`check_upload`); one that fails is skipped with its reason.

        :param uploads: The files, under unique names.
        :returns: The report: `files_read` counts the files indexed, `passages_per_source` each one's passages,
            `skipped` the files not indexed and why.
        """
        store = self.document_store
        pipeline = self.indexing_pipeline
        return self._writing(lambda: index_uploads(pipeline, store, list(uploads)))

    def remove(self, paths: Iterable[str | Path]) -> int:
        """
        Removes every passage of the given sources, each named by its path or as `find_source` takes it (its id, or
        the source name answers show when one source alone has it: `Oxygen.txt`); returns how many were removed.

        :raises SourceNotFound: Naming what is not indexed, or a name several sources share; nothing is removed then.
        """
        store = self.document_store
        found = self._store_call(lambda: [self._find_source(store, str(key)) for key in paths])
        problems = [problem for _, problem in found if problem]
        if problems:
            raise SourceNotFound(f"nothing removed: {'; '.join(problems)}")
        return self._writing(lambda: remove_sources(store, [source.path for source, _ in found if source]))

    @staticmethod
    def _find_source(store: DocumentStore, key: str) -> tuple[Source | None, str | None]:
        """The source a path (as given on the command line) or a key names, or what is wrong with it."""
        try:
            return find_source(store, str(Path(key).expanduser().resolve())), None
        except SourceNotFound:
            pass
        try:
            return find_source(store, key), None
        except SourceNotFound as error:  # AmbiguousSource too
            return None, str(error)

    def sources(self, name_filter: str | None = None) -> list[Source]:
        """The sources in the store (files, texts, uploads), sorted by name; `name_filter` keeps those whose name or
        path holds it (see `extractive_qa.store.sources`)."""
        store = self.document_store
        return self._store_call(lambda: list_sources(store, name_filter))

    def remove_source(self, key: str, *, by_path: bool = True) -> tuple[Source, int]:
        """
        Removes one source (by id, path where `by_path`, or its unique name): all its passages and nothing else.

        :returns: The source and the number of passages removed.
        :raises SourceNotFound: If the store holds no such source (nothing is changed).
        """
        store = self.document_store
        return self._writing(lambda: remove_source(store, key, by_path=by_path))

    def import_store_file(self, path: str | Path) -> int:
        """
        Copies the passages of an in-memory store file (the `store.json` earlier versions kept) into the store.

        :returns: The number of passages written.
        :raises StoreUnavailable: When the file cannot be read.
        """
        file = Path(path).expanduser()
        store = self.document_store
        return self._writing(lambda: memory_file.import_documents(store, file))

    def _writing(self, call: Callable[[], T]) -> T:
        """Runs a store change; what was written is kept (the in-memory store's file saved), even after a failure."""
        try:
            return self._store_call(call)
        finally:
            persist(self.document_store, self.settings)

    # ---- questions ----------------------------------------------------------------------------------------------

    def ask(
        self,
        question: str,
        *,
        top_k: int = DEFAULT_TOP_K,
        filters: dict[str, Any] | None = None,
        threshold: float | None = None,
        retriever_top_k: int | None = None,
        min_confidence: float | None = None,
    ) -> QAResult:
        """
        Answers a question from the indexed documents.

        :param question: The question, in plain language.
        :param top_k: The number of distinct answers to return (1 to 100).
        :param filters: Haystack metadata filters for the retriever, e.g.
            `{"field": "meta.file_name", "operator": "==", "value": "Normans.txt"}`; source names (`meta.file_name`
            with `==` or `in`) that no passage has are refused (`NothingIndexed`).
        :param threshold: Overrides the no-answer threshold of the query pipeline for this question, in the unit of
            its signal (the YAML's).
        :param retriever_top_k: The number of passages the reader reads (1 to 50; default: the YAML's, 10).
        :param min_confidence: The same override as the confidence an answer needs (0 to 1, exclusive), the unit
            answers show (`Answer.confidence`); give it or `threshold`.
        :returns: The answers: those that cleared the threshold by confidence, the no-answer entry, then the best
            candidates below the threshold (`below_threshold`), `top_k` answers in all; `result.no_answer` tells
            whether the documents hold no answer.
        :raises InvalidQuestion: For an empty or over-long question or a bad `top_k`.
        :raises NothingIndexed: When the store holds no documents, or none of a source name the filters ask for.
        """
        question = validate_question(question, self.settings.max_question_chars)
        top_k = validate_count(top_k, "top_k", MAX_TOP_K)
        threshold = self._threshold(threshold, min_confidence)
        retriever: dict[str, Any] = {"query": question, "filters": filters}
        if retriever_top_k is not None:
            retriever["top_k"] = validate_count(retriever_top_k, "retriever_top_k", MAX_RETRIEVER_TOP_K)
        passages = self.count_documents()  # a store that cannot be used says so before the model loads
        pipeline = self.query_pipeline
        if passages == 0:
            if store_missing(self.settings):
                raise NothingIndexed(missing_store_message(self.settings))
            raise NothingIndexed("no documents are indexed yet; index some first (extractive-qa index PATH)")
        self._check_named_sources(filters)
        result = self._store_call(
            lambda: pipeline.run(
                {
                    "retriever": retriever,
                    "reader": {"query": question},
                    "deduplicator": {"top_k": top_k},
                    "threshold": {"threshold": threshold},
                }
            )
        )
        return QAResult.from_extracted(question, result["threshold"]["answers"])

    def _check_named_sources(self, filters: Mapping[str, Any] | None) -> None:
        """
        Refuses a question restricted to source names (`meta.file_name` with `==` or `in`, alone or under `AND`)
        that no passage has: a mistyped or never indexed name would otherwise give a silent "no answer".

        :raises NothingIndexed: Naming the names that are not indexed.
        """
        names = named_sources(filters)
        if not names:
            return
        store = self.document_store

        def passages(name: str) -> int:
            condition = {"field": SOURCE_NAME_FIELD, "operator": "==", "value": name}
            if hasattr(store, "count_documents_by_filter"):
                return int(store.count_documents_by_filter(condition))
            return len(store.filter_documents(condition))

        missing = [name for name in names if self._store_call(lambda name=name: passages(name)) == 0]
        if missing:
            listed = ", ".join(printable(name) for name in missing)
            raise NothingIndexed(
                f"not indexed: {listed} (no passage has this source name; "
                "'extractive-qa sources' lists the names there are)"
            )

    def _threshold(self, threshold: float | None, min_confidence: float | None = None) -> float | None:
        """
        A threshold override checked for the query pipeline's decision (finite; 0 to 1 for its bounded signals),
        given as the threshold itself or as the confidence an answer needs.

        :raises InvalidField: Naming `threshold` or `min_confidence`, for a value the decision cannot use.
        """
        if min_confidence is not None:
            if threshold is not None:
                raise InvalidField("min_confidence", "give min_confidence or threshold, not both")
            if isinstance(min_confidence, bool) or not isinstance(min_confidence, (int, float)):
                raise InvalidField("min_confidence", f"min_confidence must be a number, got {min_confidence!r}")
            try:
                threshold_for_confidence("null_score_diff", float(min_confidence))  # refused before the model loads
                signal = getattr(self.query_pipeline.get_component("threshold"), "signal", "null_score_diff")
                threshold = threshold_for_confidence(signal, float(min_confidence))
            except ValueError as error:
                raise InvalidField("min_confidence", f"min_confidence: {error}") from None
        if threshold is None:
            return None
        try:
            validate_threshold(threshold)  # a NaN is refused before the model loads
            return validate_threshold(
                threshold, getattr(self.query_pipeline.get_component("threshold"), "signal", None)
            )
        except ValueError as error:
            raise InvalidField("threshold", str(error)) from None

    def answer(
        self,
        question: str,
        texts: str | list[str],
        *,
        top_k: int = DEFAULT_TOP_K,
        threshold: float | None = None,
        min_confidence: float | None = None,
    ) -> QAResult:
        """
        Answers a question from the given texts, without any store.

        :param question: The question.
        :param texts: One text or several; each is read as one document.
        :param threshold: Overrides the no-answer threshold (see `ask`).
        :param min_confidence: The override as the confidence an answer needs (see `ask`).
        """
        question = validate_question(question, self.settings.max_question_chars)
        top_k = validate_count(top_k, "top_k", MAX_TOP_K)
        threshold = self._threshold(threshold, min_confidence)
        if isinstance(texts, str):
            texts = [texts]
        if not any(t.strip() for t in texts):
            raise InvalidQuestion("there is no text to answer from")
        documents = [Document(content=t, meta={"file_name": f"text {i + 1}"}) for i, t in enumerate(texts)]
        with reader_busy_as_server_busy():
            answers = read_documents(self.query_pipeline, [question], [documents], top_k=top_k, threshold=threshold)
        return QAResult.from_extracted(question, answers[0])
