"""
The one writer of an index, held for a single write: tantivy's writer lock (`.tantivy-writer.lock`, an OS file lock,
so it is released even when the holding process is killed) admits one `IndexWriter` per index across processes.
"""

import random
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import tantivy
from haystack.document_stores.errors import DocumentStoreError

from extractive_qa.components.document_stores.tantivy.errors import (
    IndexBusyError,
    IndexDamagedError,
    is_tantivy_failure,
    tantivy_failure,
)

WRITER_LOCK_FILE = ".tantivy-writer.lock"
MIN_HEAP_BYTES_PER_THREAD = 15_000_000  # tantivy refuses smaller indexing arenas

# One indexing thread by default: each commit then makes one segment (fewer segments to merge and search), and
# tantivy indexes on that thread while Python prepares the documents, which keeps two cores busy.
DEFAULT_WRITER_THREADS = 1

_POLL_SECONDS = 0.01


@contextmanager
def exclusive_writer(
    index: tantivy.Index, index_path: str, *, heap_bytes: int, threads: int, lock_timeout: float
) -> Iterator[tantivy.IndexWriter]:
    """
    Opens the index's writer for one write, waiting up to `lock_timeout` seconds while another writer holds the lock.

    The body adds and deletes documents and commits; if it raises, the uncommitted changes are rolled back (a
    `ValueError` or a panic, tantivy's ways of reporting a failure, becomes a `DocumentStoreError`, an
    `IndexDamagedError` where the index is damaged). On leaving, the merges the commit started are finished and the
    lock is released.

    :param index: The index.
    :param index_path: The index directory, for error messages.
    :param heap_bytes: The indexing memory budget (shared by the threads).
    :param threads: The number of indexing threads.
    :param lock_timeout: Seconds to wait for another writer to finish.
    :raises IndexBusyError: If the lock is still held after `lock_timeout` seconds.
    :raises IndexDamagedError: If tantivy finds the index damaged while writing or merging.
    :raises DocumentStoreError: If tantivy cannot open a writer for another reason, or the write fails.
    """
    writer = _acquire(index, index_path, heap_bytes, threads, lock_timeout)
    try:
        yield writer
    except BaseException as error:
        with suppress(Exception):  # the original error is the one to report
            writer.rollback()
        if is_tantivy_failure(error):  # how tantivy reports failures (an I/O error while committing, damage, ...)
            raise _write_failure(error, index_path, "Writing to") from error
        raise
    finally:
        try:
            writer.wait_merging_threads()
        except BaseException as error:
            if not is_tantivy_failure(error):
                raise
            raise _write_failure(error, index_path, "Merging segments of") from error


def _write_failure(error: BaseException, index_path: str, doing: str) -> DocumentStoreError:
    """
    The store error for a failed write: the disk is (nearly) full, or the index is damaged (only where tantivy says
    so in as many words: a write's I/O error is no proof of damage), or else what tantivy said.
    """
    note = _disk_note(index_path, error)
    failure = tantivy_failure(error, index_path, doing, writing=True)
    if isinstance(failure, IndexDamagedError) and not note and "No space left" not in str(error):
        return failure
    return DocumentStoreError(
        f"{doing} the tantivy index at '{index_path}' failed: {' '.join(str(error).split())}{note}"
    )


def _acquire(
    index: tantivy.Index, index_path: str, heap_bytes: int, threads: int, lock_timeout: float
) -> tantivy.IndexWriter:
    deadline = time.monotonic() + lock_timeout
    while True:
        try:
            return index.writer(heap_size=heap_bytes, num_threads=threads)
        except ValueError as error:
            if "LockBusy" not in str(error):
                raise tantivy_failure(error, index_path, "Opening a writer on") from error
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise IndexBusyError(
                f"Another process is writing to the tantivy index at '{index_path}': its writer lock "
                f"({WRITER_LOCK_FILE}) was still held after {lock_timeout:g} s; try again when that write is done."
            )
        time.sleep(min(remaining, _POLL_SECONDS * random.uniform(0.5, 1.5)))


# Free space under which a failed write is most likely a full disk (tantivy does not always say so).
_LOW_DISK_BYTES = 64 * 1024 * 1024


def _disk_note(index_path: str, error: Exception) -> str:
    """`" (No space left on device: ... bytes free)"` when the index's disk is (nearly) full and `error` does not
    say so already, else `""`."""
    if "No space left" in str(error):
        return ""
    try:
        free = shutil.disk_usage(index_path).free
    except OSError:
        return ""
    if free >= _LOW_DISK_BYTES:
        return ""
    return f" (No space left on device: {free} bytes free where the index is; the last commit is intact)"
