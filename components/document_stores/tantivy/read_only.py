"""
Reading an index where this process may not write (a read-only mount, a directory without write permission).

tantivy creates and locks `.tantivy-meta.lock` in the index directory even to read, which fails there. A
`ReadOnlyView` is a private temporary directory holding a copy of the index's meta.json and symbolic links to its
segment files (which tantivy never changes once written): tantivy reads the index through it, and the index
directory is only read. Opening one costs a few milliseconds at any index size; a view that another process's commit
made stale (its meta.json differs) is replaced on the next read.

This module imports tantivy and the standard library only (no Haystack), so that `extractive-qa count` can use it.

Usage example:
```python
from extractive_qa.components.document_stores.tantivy.read_only import open_to_read

readable = open_to_read("/mnt/backup/index")  # in place where it can, else through a view
print(readable.index.searcher().num_docs)
```
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from dataclasses import dataclass
from pathlib import Path

import tantivy

from extractive_qa.components.document_stores.tantivy.damage import META_FILE, probe_segments

META_LOCK_FILE = ".tantivy-meta.lock"
_VIEW_PREFIX = "tantivy-read-only-view-"
_ATTEMPTS = 3  # a writer's commit may replace meta.json (and drop merged segments) while a view is made


def can_write(index_dir: Path) -> bool:
    """Whether this process may create and lock files in the index directory, as tantivy needs to read in place."""
    if not os.access(index_dir, os.W_OK | os.X_OK):
        return False
    lock = index_dir / META_LOCK_FILE
    return not lock.exists() or os.access(lock, os.W_OK)


def cannot_write_message(index_dir: Path) -> str:
    """The one line for a write refused where `can_write` is false."""
    return (
        f"Cannot write to the index at '{index_dir}': the directory is not readable and writable by this process "
        "(a read-only store can be read, not changed)."
    )


def open_in_place(index_dir: Path) -> tantivy.Index:
    """
    Opens the index in its directory, its reader reloading only when asked (`Index.reload()`), and probes every
    segment (see `probe_segments`).

    :raises ValueError: What tantivy raises (a damaged index, ...); a Rust panic on some kinds of damage.
    """
    index = tantivy.Index.open(str(index_dir))
    index.config_reader(reload_policy="manual")
    index.reload()
    probe_segments(index.searcher())
    return index


class ReadOnlyView:
    """An index opened through a private directory of links to its files; see the module docstring."""

    def __init__(self, index_dir: Path) -> None:
        """
        :param index_dir: The index directory (only read).
        :raises ValueError: What tantivy raises on a damaged index.
        :raises OSError: If the index directory cannot be read.
        """
        self.index_dir = index_dir
        self.directory = Path(tempfile.mkdtemp(prefix=_VIEW_PREFIX))
        self._remove = weakref.finalize(self, shutil.rmtree, str(self.directory), True)
        try:
            self.meta = (index_dir / META_FILE).read_bytes()
            (self.directory / META_FILE).write_bytes(self.meta)
            for entry in os.scandir(index_dir):
                if entry.name != META_FILE and not entry.name.startswith("."):
                    os.symlink(entry.path, self.directory / entry.name)
            self.index = open_in_place(self.directory)
        except BaseException:
            self.close()
            raise

    def is_current(self) -> bool:
        """Whether the index directory's meta.json is still the one the view was made from."""
        try:
            return (self.index_dir / META_FILE).read_bytes() == self.meta
        except OSError:
            return False

    def close(self) -> None:
        """Removes the view's directory (the index directory is left alone); also done when the view is collected."""
        self._remove()


@dataclass
class ReadableIndex:
    """An index opened to be read: `index`, and the `view` it is read through (`None`: in place)."""

    index: tantivy.Index
    view: ReadOnlyView | None = None


def open_to_read(index_dir: str | Path) -> ReadableIndex:
    """
    Opens an existing index to read it: in place where this process may write there, else through a
    `ReadOnlyView`. Nothing in the index directory is created, changed or locked for writing.

    :param index_dir: A directory holding an index (with its meta.json).
    :raises ValueError: What tantivy raises on a damaged index; a Rust panic on some kinds of damage.
    :raises OSError: If the directory cannot be read.
    """
    path = Path(index_dir)
    if can_write(path):
        return ReadableIndex(open_in_place(path))
    view = open_view(path)
    return ReadableIndex(view.index, view)


def open_view(index_dir: Path) -> ReadOnlyView:
    """
    A `ReadOnlyView` of the index's latest commit, made again when a commit replaced meta.json meanwhile.

    :raises ValueError: What tantivy raises on a damaged index.
    """
    for attempt in range(_ATTEMPTS):
        before = _meta_bytes(index_dir)
        try:
            view = ReadOnlyView(index_dir)
        except ValueError:
            if attempt + 1 < _ATTEMPTS and _meta_bytes(index_dir) != before:
                continue  # a commit replaced files while the view was made: not damage
            raise
        if view.is_current():
            return view
        view.close()
    return ReadOnlyView(index_dir)


def _meta_bytes(index_dir: Path) -> bytes | None:
    try:
        return (index_dir / META_FILE).read_bytes()
    except OSError:
        return None
