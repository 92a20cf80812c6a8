"""Turns files and folders into passages in the document store, file by file, with a report."""

from __future__ import annotations

import codecs
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from haystack import Pipeline
from haystack.document_stores.types import DocumentStore

TEXT_SUFFIXES = {".txt", ".text", ".md", ".markdown"}
PDF_SUFFIXES = {".pdf"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | PDF_SUFFIXES


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
    has are removed once its new passages are written.

    :param pipeline: The indexing pipeline (its components must include `splitter` and `writer`).
    :param paths: Files and folders.
    :param batch_size: Files converted and written per pipeline run.
    :param progress: Whether to show a progress bar.
    :param on_batch_done: Called after every written batch (used to save the in-memory store).
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
            result = pipeline.run(
                {"router": {"sources": batch, "meta": [{"file_name": p.name} for p in batch]}},
                include_outputs_from={"splitter"},
            )
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
    finally:
        bar.close()
        report.seconds = time.perf_counter() - started
    return report


def _remove_stale(store: DocumentStore, current: dict[str, set[str]], batch: list[str]) -> int:
    """Deletes the passages of these files that the new run did not write (the file changed or vanished)."""
    old = store.filter_documents(filters={"field": "meta.file_path", "operator": "in", "value": batch})
    stale = [d.id for d in old if d.id not in current.get(str(d.meta.get("file_path")), set())]
    if stale:
        store.delete_documents(stale)
    return len(stale)


def delete_sources(store: DocumentStore, paths: Iterable[str | Path]) -> int:
    """Removes every passage of the given files from the store; returns how many were removed."""
    names = [str(Path(p).expanduser().resolve()) for p in paths]
    old = store.filter_documents(filters={"field": "meta.file_path", "operator": "in", "value": names})
    if old:
        store.delete_documents([d.id for d in old])
    return len(old)


__all__ = ["IndexReport", "check_file", "delete_sources", "index_files", "iter_files"]
