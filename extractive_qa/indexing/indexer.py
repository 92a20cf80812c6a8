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
import hashlib
import io
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from haystack import Pipeline
from haystack.dataclasses import ByteStream
from haystack.document_stores.errors import DocumentStoreError
from haystack.document_stores.types import DocumentStore

from extractive_qa.document_types import document_type
from extractive_qa.errors import InvalidText, StoreWriteFailed
from extractive_qa.indexing.files import check_file, iter_files
from extractive_qa.indexing.formats import check_document, no_text_reason
from extractive_qa.indexing.incremental import file_stat, gone_sources, read_stable, unchanged_by_stat
from extractive_qa.indexing.report import IndexReport
from extractive_qa.indexing.texts import as_text
from extractive_qa.indexing.uploads import Upload, check_upload
from extractive_qa.settings import DEFAULT_BATCH_SIZE
from extractive_qa.store.configured_store import is_connection_error
from extractive_qa.store.elasticsearch import make_searchable
from extractive_qa.store.sources import Source, read_sources, remove_sources, source_meta
from extractive_qa.utils import find_cause

# Passage ids per stale-passage deletion request (Elasticsearch's terms query takes at most 65,536).
MAX_IDS_PER_DELETE = 50_000
# Bytes of files read into memory for one pipeline run (a batch ends early when its files reach this).
MAX_BATCH_BYTES = 256_000_000


def index_files(
    pipeline: Pipeline,
    store: DocumentStore,
    paths: Iterable[str | Path],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: bool = True,
    full: bool = False,
    sync: bool = False,
) -> IndexReport:
    """
    Indexes files and folders with the indexing pipeline: new and changed files (their old passages replaced),
    unchanged ones skipped (see `incremental`), and with `sync` the passages of files gone from the folders removed.

    Each file is checked first (readable, not empty, not binary, UTF-8 for text files); a file that fails is
    skipped with its reason in the report and nothing is written for it. A file is read once, whole, and indexed from
    those bytes (never half: one that keeps changing while read is skipped saying so). An interrupted run leaves whole
    earlier batches written, and running it again completes the collection without duplicates.

    :param pipeline: The indexing pipeline (its components must include `router`, `splitter` and `writer`).
    :param store: The store the pipeline's writer writes to.
    :param paths: Files and folders.
    :param batch_size: Files converted and written per pipeline run.
    :param progress: Whether to show a progress bar.
    :param full: Index every file, unchanged ones too (their passages keep their ids).
    :param sync: Remove the passages of files indexed from these folders (or these files) that are gone.
    :raises StoreWriteFailed: When the store refused a batch's passages; the message names the files, and the
        batches written before stay in the store.
    """
    from tqdm import tqdm

    started = time.perf_counter()
    report = IndexReport()
    found = list(dict.fromkeys(iter_files(paths, report)))
    stored = read_sources(store) if sync else read_sources(store, [str(path) for path in found])
    candidates: list[Path] = []
    for path in found:
        if not full and unchanged_by_stat(stored.get(str(path)), file_stat(path)):
            report.unchanged += 1
        else:
            candidates.append(path)
    bar = tqdm(total=len(candidates), unit="file", desc="indexing", disable=not progress, leave=False)
    try:
        with _searchable_afterwards(store):
            for batch in _read_batches(candidates, stored, batch_size, full, report):
                try:
                    _index_batch(pipeline, store, {str(p): s for p, s in batch}, None, report)
                except StoreWriteFailed as refusal:
                    names = [str(path) for path, _source in batch]
                    raise StoreWriteFailed(_refusal_message(refusal, names, report)) from refusal
                for path, _source in batch:
                    if str(path) in report.passages_per_source:
                        report.changed += 1 if str(path) in stored else 0
                        report.new += 0 if str(path) in stored else 1
                bar.update(len(batch))
            if sync:
                gone = gone_sources(stored.values(), [Path(p) for p in paths], {str(path) for path in found})
                if gone:
                    report.passages_removed += remove_sources(store, gone)
                    report.removed = len(gone)
    finally:
        bar.close()
        report.seconds = time.perf_counter() - started
    return report


def _read_batches(
    candidates: list[Path], stored: Mapping[str, Source], batch_size: int, full: bool, report: IndexReport
) -> Iterator[list[tuple[Path, ByteStream]]]:
    """
    The files to index, read (once, whole) and checked, in batches of at most `batch_size` files and about
    `MAX_BATCH_BYTES`; skipped files go to the report, and files whose content hash is the stored one count as
    unchanged (unless `full`).
    """
    batch: list[tuple[Path, ByteStream]] = []
    size = 0
    for path in candidates:
        source = _read_source(path, stored.get(str(path)), full, report)
        if source is None:
            continue
        batch.append((path, source))
        size += len(source.data)
        if len(batch) >= batch_size or size >= MAX_BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _read_source(path: Path, stored: Source | None, full: bool, report: IndexReport) -> ByteStream | None:
    """A file to index as bytes with its metadata; `None` (counted in the report) when skipped or unchanged."""
    kind = document_type(path)
    stat = file_stat(path)
    if kind is None or stat is None or stat[0] > kind.max_bytes:
        report.skipped.append((str(path), check_file(path) or "cannot read"))
        return None
    read = read_stable(path)
    reason = read.reason or check_document(kind, io.BytesIO(read.data))
    if reason:
        report.skipped.append((str(path), reason))
        return None
    same = stored is not None and stored.sha256 == read.sha256
    if same and not full:
        report.unchanged += 1
        return None
    meta = {"file_path": str(path), "file_name": path.name}
    if same and stored is not None:  # indexed again as it was (touched): the same metadata, so the same passage ids
        meta.update(source_meta(kind.name, read.size, read.sha256, stored.mtime_ns))
    else:
        meta.update(source_meta(kind.name, read.size, read.sha256, read.mtime_ns))
    return ByteStream(data=read.data, mime_type=kind.mime_type, meta=meta)


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
    return remove_sources(store, [str(Path(p).expanduser().resolve()) for p in paths])


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
    _add_source_meta(sources)
    with _searchable_afterwards(store):
        try:
            _index_batch(pipeline, store, sources, None, report)
        except StoreWriteFailed as refusal:
            raise StoreWriteFailed(f"the document store refused the passages of the {what}: {refusal}") from refusal


def _add_source_meta(sources: Mapping[str, ByteStream]) -> None:
    """
    Gives texts and uploads their source metadata (type, size, content hash).
    """
    for name, stream in sources.items():
        sha256 = hashlib.sha256(stream.data).hexdigest()
        kind = document_type(name)
        stream.meta.update(source_meta(kind.name if kind else "text", len(stream.data), sha256))


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
