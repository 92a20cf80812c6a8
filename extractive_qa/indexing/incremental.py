"""
Incremental indexing: which files changed since they were indexed, read once and whole.

A file is unchanged when the store's record of it (`extractive_qa.store.sources`: size, modification time, content
hash, kept with its passages) has its size and modification time (no byte read), or, where those differ, its content
hash (a file touched or copied back is not indexed again). Every other file is read once, into memory, and indexed
from those bytes: a file that changes while it is read (its size or modification time differ after the read) is read
again, and skipped with a reason if it keeps changing, so a half-written state is never indexed. With `--sync`, the
sources indexed from the given folders (and files) that are no longer there are the ones to remove.

Usage example:
```python
from pathlib import Path

from extractive_qa.indexing.incremental import read_stable, unchanged_by_stat

read = read_stable(Path("data/Oxygen.txt"))
print(read.size, read.sha256[:12], read.reason)  # reason: None, or why the file cannot be read
```
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from extractive_qa.store.sources import Source

#: Reads of a file that keeps changing while it is read, before it is skipped.
READ_ATTEMPTS = 3


@dataclass(frozen=True)
class FileRead:
    """A file's bytes as read in one stable state, with its size, modification time and content hash."""

    path: Path
    data: bytes = b""
    size: int = 0
    mtime_ns: int = 0
    sha256: str = ""
    reason: str | None = None
    """Why the file could not be read (the other fields are then empty)."""


def file_stat(path: Path) -> tuple[int, int] | None:
    """The file's size and modification time in nanoseconds, or `None` where it cannot be read."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_size, status.st_mtime_ns


def unchanged_by_stat(stored: Source | None, stat: tuple[int, int] | None) -> bool:
    """Whether the store's record of a file has the file's size and modification time (and a content hash)."""
    return (
        stored is not None and stat is not None and stored.sha256 is not None and (stored.size, stored.mtime_ns) == stat
    )


def read_stable(path: Path, max_bytes: int | None = None) -> FileRead:
    """
    Reads a whole file in one state: its size and modification time are the same before and after the read (tried
    `READ_ATTEMPTS` times, then skipped as changing while read).

    :param max_bytes: Refuse (with a reason) a file larger than this without reading it.
    """
    for _attempt in range(READ_ATTEMPTS):
        try:
            with path.open("rb") as handle:
                before = os.fstat(handle.fileno())
                if max_bytes is not None and before.st_size > max_bytes:
                    return FileRead(path, reason=f"too large ({before.st_size} bytes)")
                data = handle.read()
            after = os.stat(path)
        except PermissionError:
            return FileRead(path, reason="permission denied")
        except FileNotFoundError:
            return FileRead(path, reason="no such file or directory (removed while being indexed)")
        except OSError as error:
            return FileRead(path, reason=f"cannot read: {error.strerror or error}")
        state = (before.st_size, before.st_mtime_ns, before.st_ino)
        if state == (after.st_size, after.st_mtime_ns, after.st_ino) and len(data) == after.st_size:
            return FileRead(path, data, len(data), after.st_mtime_ns, hashlib.sha256(data).hexdigest())
    return FileRead(path, reason="the file kept changing while it was read; index it again once it is written")


def gone_sources(stored: Iterable[Source], roots: Iterable[Path], present: set[str]) -> list[str]:
    """
    The sources indexed from `roots` (folders: anything under them; files: themselves) whose file is not among
    `present` (the files found there now), by `meta.file_path`.
    """
    folders: list[str] = []
    files: set[str] = set()
    for root in roots:
        resolved = root.expanduser().resolve()
        if resolved.is_dir():
            folders.append(str(resolved).rstrip(os.sep) + os.sep)
        else:
            files.add(str(resolved))
    gone = []
    for source in stored:
        if source.path in present:
            continue
        if source.path in files or any(source.path.startswith(folder) for folder in folders):
            gone.append(source.path)
    return sorted(gone)
