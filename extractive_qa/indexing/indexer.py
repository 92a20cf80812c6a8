"""
Runs the indexing pipeline over files or given texts, replacing what was indexed before under the same names.

Files and texts take the same path: a batch of sources runs through the pipeline (router, converters, cleaner,
splitter, writer); the passages each source gave are counted; the passages a source had before and no longer has
are deleted; at the end the store is made searchable. Passages get stable ids (content and metadata hashes), so
re-indexing overwrites instead of duplicating.

Usage example:
```python
from extractive_qa.app.pipeline_loader import load_pipeline
from extractive_qa.indexing.indexer import index_files
from extractive_qa.settings import Settings
from extractive_qa.store.configured_store import open_store

settings = Settings.from_env()
report = index_files(load_pipeline(settings, "indexing"), open_store(settings), ["data/"])
print(report.summary())
```
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from haystack import Pipeline
from haystack.dataclasses import ByteStream
from haystack.document_stores.errors import DocumentStoreError
from haystack.document_stores.types import DocumentStore

from extractive_qa.errors import InvalidText, StoreWriteFailed
from extractive_qa.indexing.files import check_file, iter_files
from extractive_qa.indexing.formats import document_type, no_text_reason
from extractive_qa.indexing.report import IndexReport
from extractive_qa.indexing.texts import as_text
from extractive_qa.indexing.uploads import Upload, check_upload
from extractive_qa.settings import DEFAULT_BATCH_SIZE
from extractive_qa.store.configured_store import is_connection_error
from extractive_qa.store.elasticsearch import make_searchable
from extractive_qa.utils import batched, find_cause

# Passage ids per stale-passage deletion request (Elasticsearch's terms query takes at most 65,536).
MAX_IDS_PER_DELETE = 50_000


def index_files(
    pipeline: Pipeline,
    store: DocumentStore,
    paths: Iterable[str | Path],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = True,
) -> IndexReport:
    """
    Indexes files and folders with the indexing pipeline, replacing the passages of files indexed before.

    Each file is checked first (readable, not empty, not binary, UTF-8 for text files); a file that fails is
    skipped with its reason in the report and nothing is written for it. An interrupted run leaves whole earlier
    batches written, and running it again completes the collection without duplicates.

    :param pipeline: The indexing pipeline (its components must include `router`, `splitter` and `writer`).
    :param store: The store the pipeline's writer writes to.
    :param paths: Files and folders.
    :param batch_size: Files converted and written per pipeline run.
    :param progress: Whether to show a progress bar.
    :raises StoreWriteFailed: When the store refused a batch's passages; the message names the files, and the
        batches written before stay in the store.
    """
    from tqdm import tqdm

    started = time.perf_counter()
    report = IndexReport()
    accepted: list[Path] = []
    for path in dict.fromkeys(iter_files(paths, report)):
        reason = check_file(path)
        if reason:
            report.skipped.append((str(path), reason))
        else:
            accepted.append(path)
    bar = tqdm(total=len(accepted), unit="file", desc="indexing", disable=not progress, leave=False)
    try:
        with _searchable_afterwards(store):
            for batch in batched(accepted, batch_size):
                sources = {str(path): path for path in batch}
                try:
                    _index_batch(pipeline, store, sources, [{"file_name": p.name} for p in batch], report)
                except StoreWriteFailed as refusal:
                    raise StoreWriteFailed(_refusal_message(refusal, list(sources), report)) from refusal
                bar.update(len(batch))
    finally:
        bar.close()
        report.seconds = time.perf_counter() - started
    return report


def index_texts(pipeline: Pipeline, store: DocumentStore, texts: Iterable[str | Mapping[str, Any]]) -> IndexReport:
    """
    Indexes texts with the indexing pipeline, in one run. All texts are checked before anything is written.

    Each text is identified by its name (stored as `meta.file_path` and `meta.file_name`, like a file's path):
    indexing a text under a name used before replaces that text's passages.

    :param pipeline: The indexing pipeline.
    :param store: The store the pipeline's writer writes to.
    :param texts: Strings, or mappings with `content` and optionally `name` and `meta` (metadata for every passage,
        usable in filters, e.g. `{"topic": "history"}`).
    :returns: The report: `files_read` counts the texts indexed, `skipped` lists texts that gave no passage.
    :raises InvalidText: When a text is invalid (nothing is written then), or two texts share one name.
    :raises StoreWriteFailed: When the store refused the passages.
    """
    started = time.perf_counter()
    checked = [as_text(given, position) for position, given in enumerate(texts)]
    names = [text.name for text in checked]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise InvalidText(f"texts share the name(s) {', '.join(map(repr, duplicates))}; names must be unique")
    report = IndexReport()
    if checked:
        sources = {
            text.name: ByteStream.from_string(
                text.content,
                mime_type="text/plain",
                meta={**text.meta, "file_path": text.name, "file_name": text.name},
            )
            for text in checked
        }
        _index_in_one_run(pipeline, store, sources, "texts", report)
    report.seconds = time.perf_counter() - started
    return report


def index_uploads(pipeline: Pipeline, store: DocumentStore, uploads: Iterable[Upload]) -> IndexReport:
    """
    Indexes uploaded files (their bytes, never a path on the server) with the indexing pipeline, in one run.

    Each file is checked first (`check_upload`: name, type, content); a file that fails is skipped with its reason.
    A file is identified by its name (`meta.file_path` and `meta.file_name`): uploading a name again replaces its
    passages. `report.passages_per_source` gives each indexed file's passages.

    :param pipeline: The indexing pipeline.
    :param store: The store the pipeline's writer writes to.
    :param uploads: The files; their names must be unique (the last of several with one name is indexed).
    :raises StoreWriteFailed: When the store refused the passages.
    """
    started = time.perf_counter()
    report = IndexReport()
    sources: dict[str, ByteStream] = {}
    for upload in uploads:
        reason = check_upload(upload)
        if reason:
            report.skipped.append((upload.name, reason))
            continue
        kind = document_type(upload.name)
        assert kind is not None  # check_upload refuses other types
        sources[upload.name] = ByteStream(
            data=upload.data,
            mime_type=kind.mime_type,
            meta={"file_path": upload.name, "file_name": upload.name},
        )
    if sources:
        _index_in_one_run(pipeline, store, sources, "files", report)
    report.seconds = time.perf_counter() - started
    return report


def delete_sources(store: DocumentStore, paths: Iterable[str | Path]) -> int:
    """Removes every passage of the given files from the store; returns how many were removed."""
    names = [str(Path(p).expanduser().resolve()) for p in paths]
    removed = store.delete_by_filter(  # type: ignore[attr-defined]
        filters={"field": "meta.file_path", "operator": "in", "value": names}
    )
    make_searchable(store)
    return removed


@contextlib.contextmanager
def _searchable_afterwards(store: DocumentStore) -> Any:
    """Makes the store searchable when the block ends; after a failure too, keeping the first error."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):  # the store may be what failed
            make_searchable(store)
        raise
    make_searchable(store)


def _index_in_one_run(
    pipeline: Pipeline, store: DocumentStore, sources: Mapping[str, ByteStream], what: str, report: IndexReport
) -> None:
    """Indexes sources given in memory in one pipeline run; the store is searchable afterwards."""
    with _searchable_afterwards(store):
        try:
            _index_batch(pipeline, store, sources, None, report)
        except StoreWriteFailed as refusal:
            raise StoreWriteFailed(f"the document store refused the passages of the {what}: {refusal}") from refusal


def _index_batch(
    pipeline: Pipeline,
    store: DocumentStore,
    sources: Mapping[str, Path | ByteStream],
    meta: list[dict[str, Any]] | None,
    report: IndexReport,
) -> None:
    """
    Runs one batch of sources (by their `meta.file_path`) through the pipeline, counts the passages, and deletes the
    passages those sources had before and no longer have.

    :raises StoreWriteFailed: When the store refused the passages (the reason in the message).
    """
    router_input: dict[str, Any] = {"sources": list(sources.values())}
    if meta is not None:
        router_input["meta"] = meta
    try:
        result = pipeline.run({"router": router_input}, include_outputs_from={"splitter"})
    except Exception as error:
        refusal = None if is_connection_error(error) else find_cause(error, _is_store_refusal)
        if refusal is None:
            raise
        sources = getattr(refusal, "sources", None)
        raise StoreWriteFailed(" ".join(str(refusal).split()), sources=list(sources) if sources else None) from error
    report.passages_written += result.get("writer", {}).get("documents_written", 0)
    by_source: dict[str, set[str]] = {}
    for passage in result.get("splitter", {}).get("documents", []):
        by_source.setdefault(str(passage.meta.get("file_path")), set()).add(passage.id)
    for name, source in sources.items():
        if name in by_source:
            report.files_read += 1
            report.passages_per_source[name] = len(by_source[name])
        else:
            report.skipped.append((name, no_text_reason(name, source)))
    report.passages_removed += _remove_stale(store, by_source, list(sources))


def _is_store_refusal(error: BaseException) -> bool:
    return isinstance(error, DocumentStoreError)


def _refusal_message(refusal: StoreWriteFailed, files: list[str], report: IndexReport) -> str:
    refused = refusal.sources or files
    shown = ", ".join(refused[:5]) + (f" and {len(refused) - 5} more" if len(refused) > 5 else "")
    return (
        f"the document store refused the passages of {len(refused)} file(s): {shown}: {refusal}; "
        f"the {report.files_read} file(s) indexed before ({report.passages_written} passage(s)) are kept; "
        "fix the cause and index again (files already indexed are overwritten, not duplicated)"
    )


def _remove_stale(store: DocumentStore, current: dict[str, set[str]], sources: list[str]) -> int:
    """
    Deletes the passages of these sources that the new run did not write (the file changed or vanished).

    One delete-by-filter request per group of sources (file path among them and id not among their new passages),
    instead of reading their passages back: Elasticsearch serves `filter_documents` ten documents per request.
    """
    removed = 0
    group: list[str] = []
    ids: list[str] = []
    for path in [*sources, None]:
        new_ids = current.get(path, set()) if path is not None else set()
        if group and (path is None or len(ids) + len(new_ids) > MAX_IDS_PER_DELETE):
            filters = {
                "operator": "AND",
                "conditions": [
                    {"field": "meta.file_path", "operator": "in", "value": group},
                    {"field": "id", "operator": "not in", "value": ids},
                ],
            }
            removed += store.delete_by_filter(filters=filters)  # type: ignore[attr-defined]
            group, ids = [], []
        if path is not None:
            group.append(path)
            ids.extend(new_ids)
    return removed
