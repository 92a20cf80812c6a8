"""Which files of the given files and folders get indexed, and why the others are skipped."""

from __future__ import annotations

import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from extractive_qa.document_types import SUPPORTED_SUFFIXES, document_type, unsupported_reason
from extractive_qa.indexing.formats import check_document
from extractive_qa.indexing.report import IndexReport


def special_file_reason(path: Path) -> str | None:
    """Why `path` is not a file to read (a FIFO, a socket, a device, a broken or looping link), or `None`."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "broken symbolic link" if path.is_symlink() else "no such file or directory"
    except RuntimeError:  # pragma: no cover - Python < 3.13 raises it for some loops
        return "symbolic link loop"
    except OSError as error:
        if error.errno == 40:  # ELOOP
            return "symbolic link loop"
        return f"cannot read: {error.strerror or error}"
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "not a regular file (a named pipe)"
    if stat.S_ISSOCK(mode):
        return "not a regular file (a socket)"
    return "not a regular file (a device)"


def iter_files(paths: Iterable[str | Path], report: IndexReport) -> Iterator[Path]:
    """
    Expands files and folders (recursively, hidden entries skipped) in a stable order. In folders, files of a
    supported type are taken; named pipes, sockets, devices and broken or looping links are skipped with their
    reason in `report`.
    """
    for given in paths:
        path = Path(given).expanduser()
        reason = special_file_reason(path)
        if reason is not None:
            report.skipped.append((str(path), reason))
        elif path.is_dir():
            for child in sorted(path.rglob("*")):
                if any(part.startswith(".") for part in child.relative_to(path).parts):
                    continue
                reason = special_file_reason(child)
                if reason is not None:
                    report.skipped.append((str(child), reason))
                elif child.is_file() and child.suffix.lower() in SUPPORTED_SUFFIXES:
                    yield child.resolve()
        else:
            yield path.resolve()


def check_file(path: Path) -> str | None:
    """Returns why a file cannot be indexed, or `None` when it looks fine (see `formats.check_document`)."""
    kind = document_type(path)
    if kind is None:
        return unsupported_reason(path)
    try:
        with path.open("rb") as handle:
            return check_document(kind, handle)
    except PermissionError:
        return "permission denied"
    except OSError as error:
        return f"cannot read: {error.strerror or error}"
