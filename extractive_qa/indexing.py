"""Turns files and folders into passages in the document store, file by file, with a report."""

from __future__ import annotations

import codecs
import contextlib
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from haystack import Pipeline
from haystack.document_stores.errors import DocumentStoreError
from haystack.document_stores.types import DocumentStore

from extractive_qa.elasticsearch_store import make_searchable
from extractive_qa.errors import StoreWriteFailed

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown"}
PDF_SUFFIXES = {".pdf"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | PDF_SUFFIXES
# Passage ids per stale-passage deletion request (Elasticsearch's terms query takes at most 65,536).
MAX_IDS_PER_DELETE = 50_000


@dataclass
class IndexReport:
    """What an indexing run did."""

    files_read: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    passages_written: int = 0
    passages_removed: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        """One line for people: files indexed, passages written, files skipped."""
        line = f"indexed {self.files_read} file(s) into {self.passages_written} passage(s) in {self.seconds:.1f} s"
        if self.passages_removed:
            line += f", removed {self.passages_removed} outdated passage(s)"
        if self.skipped:
            line += f"; skipped {len(self.skipped)} file(s)"
        return line

    def to_dict(self) -> dict[str, Any]:
        return {
            "files_read": self.files_read,
            "skipped": [{"path": p, "reason": r} for p, r in self.skipped],
            "passages_written": self.passages_written,
            "passages_removed": self.passages_removed,
            "seconds": round(self.seconds, 3),
        }


def iter_files(paths: Iterable[str | Path], report: IndexReport) -> Iterator[Path]:
    """Expands files and folders (recursively, hidden entries skipped) in a stable order."""
    for given in paths:
        path = Path(given).expanduser()
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path)
                if any(part.startswith(".") for part in relative.parts):
                    continue
                if child.is_symlink() and not child.exists():
                    report.skipped.append((str(child), "broken symbolic link"))
                    continue
                if not child.is_file():
                    continue
                if child.suffix.lower() in SUPPORTED_SUFFIXES:
                    yield child.resolve()
        elif path.is_file():
            yield path.resolve()
        elif path.exists():
            report.skipped.append((str(path), "not a regular file"))
        else:
            report.skipped.append((str(path), "no such file or directory"))


def check_file(path: Path) -> str | None:
    """Returns why a file cannot be indexed, or `None` when it looks fine."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        return f"unsupported file type '{suffix or path.name}' (supported: {', '.join(sorted(SUPPORTED_SUFFIXES))})"
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
            if not head:
                return "empty file"
            if suffix in PDF_SUFFIXES:
                return None if head.startswith(b"%PDF-") else "not a PDF file (no %PDF- header)"
            if b"\x00" in head:
                return "binary file, not text"
            decoder = codecs.getincrementaldecoder("utf-8")()
            position = 0
            chunk = head
            has_text = False
            while chunk:
                try:
                    text = decoder.decode(chunk)
                except UnicodeDecodeError as error:
                    return f"not UTF-8 text (invalid byte at offset {position + error.start})"
                has_text = has_text or bool(text.strip())
                position += len(chunk)
                chunk = handle.read(1 << 20)
                if b"\x00" in chunk:
                    return "binary file, not text"
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                return "not UTF-8 text (truncated character at the end)"
            return None if has_text else "no text (only white space)"
    except PermissionError:
        return "permission denied"
    except OSError as error:
        return f"cannot read: {error.strerror or error}"


def _batches(items: list[Path], size: int) -> Iterator[list[Path]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _writer_store(pipeline: Pipeline) -> DocumentStore:
    writer = pipeline.get_component("writer")
    return writer.document_store  # type: ignore[attr-defined]


def index_files(
    pipeline: Pipeline,
    paths: Iterable[str | Path],
    *,
    batch_size: int = 16,
    progress: bool = True,
    on_batch_done: Any = None,
) -> IndexReport:
    """
    Indexes files and folders with the indexing pipeline, replacing the passages of files indexed before.

    Each file is checked first (readable, not empty, not binary, UTF-8 for text files); a file that fails is
    skipped with its reason in the report and nothing is written for it. Passages get stable ids (content and
    metadata hashes), so re-indexing a file overwrites its passages, and passages that a changed file no longer
    has are removed once its new passages are written. At the end (also after a failure) the store is made
    searchable, so counts are exact when this returns; an interrupted run leaves whole earlier batches written,
    and running it again completes the collection without duplicates.

    :param pipeline: The indexing pipeline (its components must include `splitter` and `writer`).
    :param paths: Files and folders.
    :param batch_size: Files converted and written per pipeline run.
    :param progress: Whether to show a progress bar.
    :param on_batch_done: Called after every written batch (used to save the in-memory store).
    :raises StoreWriteFailed: When the store refused a batch's passages; the message names the files, and the
        batches written before stay in the store.
    """
    from tqdm import tqdm

    started = time.perf_counter()
    report = IndexReport()
    files = list(dict.fromkeys(iter_files(paths, report)))
    accepted: list[Path] = []
    for path in files:
        reason = check_file(path)
        if reason:
            report.skipped.append((str(path), reason))
        else:
            accepted.append(path)

    store = _writer_store(pipeline)
    bar = tqdm(total=len(accepted), unit="file", desc="indexing", disable=not progress, leave=False)
    try:
        for batch in _batches(accepted, batch_size):
            try:
                result = pipeline.run(
                    {"router": {"sources": batch, "meta": [{"file_name": p.name} for p in batch]}},
                    include_outputs_from={"splitter"},
                )
            except Exception as error:
                refusal = _store_refusal(error)
                if refusal is None:
                    raise
                raise StoreWriteFailed(_refusal_message(refusal, batch, report)) from error
            passages = result.get("splitter", {}).get("documents", [])
            report.passages_written += result.get("writer", {}).get("documents_written", 0)
            by_file: dict[str, set[str]] = {}
            for passage in passages:
                by_file.setdefault(str(passage.meta.get("file_path")), set()).add(passage.id)
            for path in batch:
                if str(path) not in by_file:
                    report.skipped.append((str(path), "no text could be extracted"))
                else:
                    report.files_read += 1
            report.passages_removed += _remove_stale(store, by_file, [str(p) for p in batch])
            if on_batch_done is not None:
                on_batch_done()
            bar.update(len(batch))
    except BaseException:
        with contextlib.suppress(Exception):  # keep the first error; the store may be what failed
            make_searchable(store)
        raise
    else:
        make_searchable(store)
    finally:
        bar.close()
        report.seconds = time.perf_counter() - started
    return report


def _store_refusal(error: BaseException) -> DocumentStoreError | None:
    """The store's refusal to write (e.g. `BulkWriteError`) behind a pipeline error; `None` for anything else."""
    from extractive_qa.service import _is_connection_error  # service imports this module

    if _is_connection_error(error):
        return None
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DocumentStoreError):
            return current
        current = current.__cause__ or current.__context__
    return None


def _refusal_message(refusal: DocumentStoreError, batch: list[Path], report: IndexReport) -> str:
    files = list(getattr(refusal, "sources", None) or [str(p) for p in batch])
    shown = ", ".join(files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5 else "")
    reason = " ".join(str(refusal).split())
    return (
        f"the document store refused the passages of {len(files)} file(s): {shown}: {reason}; "
        f"the {report.files_read} file(s) indexed before ({report.passages_written} passage(s)) are kept; "
        "fix the cause and index again (files already indexed are overwritten, not duplicated)"
    )


def _remove_stale(store: DocumentStore, current: dict[str, set[str]], batch: list[str]) -> int:
    """
    Deletes the passages of these files that the new run did not write (the file changed or vanished).

    One delete-by-filter request per group of files (file path among them and id not among their new passages),
    instead of reading their passages back: Elasticsearch serves `filter_documents` ten documents per request.
    """
    removed = 0
    group: list[str] = []
    ids: list[str] = []
    for path in [*batch, None]:
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


def delete_sources(store: DocumentStore, paths: Iterable[str | Path]) -> int:
    """Removes every passage of the given files from the store; returns how many were removed."""
    names = [str(Path(p).expanduser().resolve()) for p in paths]
    removed = store.delete_by_filter(  # type: ignore[attr-defined]
        filters={"field": "meta.file_path", "operator": "in", "value": names}
    )
    make_searchable(store)
    return removed


__all__ = ["IndexReport", "check_file", "delete_sources", "index_files", "iter_files"]
