"""
Keeps a store in sync with folders while it runs (`extractive-qa index --watch FOLDER...`).

First the folders are synced as `index --sync` does (new and changed files indexed, files gone removed); then each
batch of file events (`watchfiles`: the operating system's notifications, coalesced over a short quiet spell) is
applied: a path that is a file now is indexed (incrementally: a file whose content did not change is left alone), a
folder now there is indexed as a folder, a path that is gone has its passages removed (a folder's: every source
under it). A rename is both. A file that cannot be read whole in one state (it is being written) is tried once more
on the next batch, then skipped with its reason; it is never indexed half.

Every change is a write of its own (the embedded store's writer lock is taken and released by each write), so a
server and other commands keep working while the watch runs. A batch with more than `MAX_BATCH_PATHS` paths (a
folder copied in, thousands of files at once) is applied as a sync of the folders, so memory stays bounded.

Usage example:
```python
import threading

from extractive_qa.app.pipeline_loader import load_pipeline
from extractive_qa.indexing.watch import FolderWatch
from extractive_qa.settings import Settings
from extractive_qa.store.configured_store import open_store

settings = Settings.from_env()
watch = FolderWatch(load_pipeline(settings, "indexing"), open_store(settings), ["notes/"])
print(watch.sync().summary())
stop = threading.Event()  # set it (from a signal handler, another thread) to end the loop
for report in watch.batches(stop):
    print(report.summary())
```
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from haystack import Pipeline
from haystack.document_stores.types import DocumentStore

from extractive_qa.document_types import SUPPORTED_SUFFIXES
from extractive_qa.errors import QAError
from extractive_qa.indexing.incremental import file_stat
from extractive_qa.indexing.indexer import index_files
from extractive_qa.indexing.report import IndexReport
from extractive_qa.settings import DEFAULT_BATCH_SIZE
from extractive_qa.store.sources import read_sources, remove_sources

#: Distinct paths one batch applies one by one; a larger batch is applied as a sync of the watched folders.
MAX_BATCH_PATHS = 5000
#: watchfiles: a batch is yielded once no event came for `STEP_MS`, or at the latest `DEBOUNCE_MS` after its first.
STEP_MS = 300
DEBOUNCE_MS = 2000
#: How often (milliseconds) the loop wakes without events: to retry files that were being written, and to stop.
WAKE_MS = 1000


class FolderWatch:
    """
    Applies file events under folders to a store: one `IndexReport` per batch (see the module's docstring).
    """

    def __init__(
        self,
        pipeline: Pipeline,
        store: DocumentStore,
        folders: Iterable[str | Path],
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        full: bool = False,
        after_write: Callable[[], None] | None = None,
    ) -> None:
        """
        :param pipeline: The indexing pipeline.
        :param store: The store its writer writes to.
        :param folders: The folders to watch (each must exist).
        :param batch_size: Files per pipeline run.
        :param full: Index every file of the first sync again (as `index --full`).
        :param after_write: Called after each batch that may have written (e.g. to save the in-memory store's file).
        :raises QAError: If a folder does not exist or is not a folder (one line, exit 2).
        """
        self.folders = [checked_folder(folder) for folder in folders]
        self.pipeline = pipeline
        self.store = store
        self.batch_size = batch_size
        self.full = full
        self.after_write = after_write or (lambda: None)
        self._known: set[str] = set()  # the indexed files under the folders (to remove a folder's files when it goes)
        self._retry: set[str] = set()  # files skipped while being written: tried again on the next batch

    def sync(self) -> IndexReport:
        """Syncs the folders with the store, as `index --sync` does; the watch starts from here."""
        try:
            report = index_files(
                self.pipeline,
                self.store,
                self.folders,
                batch_size=self.batch_size,
                progress=False,
                full=self.full,
                sync=True,
            )
            self._known = {path for path in read_sources(self.store) if self._under_folders(path)}
        finally:
            self.after_write()
        return report

    def batches(self, stop: threading.Event) -> Iterator[IndexReport]:
        """
        Watches the folders until `stop` is set (or a folder goes away): a report for each batch of events that
        named a file or folder to index or remove, as soon as it is applied.
        """
        from watchfiles import watch

        for changes in watch(
            *self.folders,
            watch_filter=self._relevant,
            debounce=DEBOUNCE_MS,
            step=STEP_MS,
            stop_event=stop,
            rust_timeout=WAKE_MS,
            yield_on_timeout=True,
            raise_interrupt=False,
        ):
            paths = {path for _change, path in changes}
            if not paths and not self._retry:
                continue
            yield self.apply(paths)
            if stop.is_set():
                return

    def apply(self, paths: set[str]) -> IndexReport:
        """Applies one batch of changed paths (files or folders, there or gone) to the store."""
        retry, self._retry = self._retry, set()
        paths = {str(Path(path)) for path in paths} | retry
        if len(paths) > MAX_BATCH_PATHS:
            return self.sync()
        started = time.perf_counter()
        present: list[Path] = []
        gone: set[str] = set()
        for path in sorted(paths):
            stat = file_stat(Path(path))
            if stat is None:
                gone.add(path)
            elif os.path.isdir(path) or Path(path).suffix.lower() in SUPPORTED_SUFFIXES:
                present.append(Path(path))
        try:
            report = IndexReport()
            if present:
                report = index_files(self.pipeline, self.store, present, batch_size=self.batch_size, progress=False)
                self._known.update(report.passages_per_source)
                report.skipped = self._skipped_or_retried(report.skipped, retry)
            if gone:
                self._remove(gone, report)
        finally:
            self.after_write()
        report.seconds = time.perf_counter() - started
        return report

    def _skipped_or_retried(self, skipped: list[tuple[str, str]], retried: set[str]) -> list[tuple[str, str]]:
        """The skipped files to report: a file still there that was not retried yet is kept for the next batch."""
        reported = []
        for path, reason in skipped:
            if path not in retried and file_stat(Path(path)) is not None:
                self._retry.add(path)
            else:
                reported.append((path, reason))
        return reported

    def _remove(self, gone: set[str], report: IndexReport) -> None:
        """Removes the sources of gone paths: a file's own, and for a folder every known source under it."""
        candidates = set(gone)
        prefixes = tuple(path.rstrip(os.sep) + os.sep for path in gone)
        candidates.update(path for path in self._known if path.startswith(prefixes))
        stored = read_sources(self.store, sorted(candidates))
        if stored:
            report.passages_removed += remove_sources(self.store, sorted(stored))
            report.removed += len(stored)
        self._known.difference_update(candidates)

    def _relevant(self, _change: object, path: str) -> bool:
        """watchfiles' filter: nothing hidden under a watched folder (dot files and folders, editors' swap files)."""
        for folder in self.folders:
            folder_name = str(folder)
            if path.startswith(folder_name.rstrip(os.sep) + os.sep):
                relative = Path(path[len(folder_name) :].lstrip(os.sep))
                return not any(part.startswith(".") for part in relative.parts) and not path.endswith("~")
        return False

    def _under_folders(self, path: str) -> bool:
        return any(path.startswith(str(folder).rstrip(os.sep) + os.sep) for folder in self.folders)


def checked_folder(folder: str | Path) -> Path:
    """
    A folder to watch, resolved.

    :raises QAError: If it does not exist or is not a folder.
    """
    path = Path(folder).expanduser()
    if not path.exists():
        raise QAError(f"cannot watch {folder}: no such folder")
    if not path.is_dir():
        raise QAError(f"cannot watch {folder}: not a folder (watch the folder that holds it)")
    return path.resolve()


def add_report(total: IndexReport, batch: IndexReport) -> None:
    """Adds one batch's counts to a running total (the watch's summary)."""
    total.files_read += batch.files_read
    total.new += batch.new
    total.changed += batch.changed
    total.unchanged += batch.unchanged
    total.removed += batch.removed
    total.skipped.extend(batch.skipped)
    total.passages_written += batch.passages_written
    total.passages_removed += batch.passages_removed
