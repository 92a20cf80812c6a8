"""
Telling a damaged index from other failures, in a few words that name no path: what tantivy raises on damage, the
checksums of the segment files, and a cheap probe of every segment.

This module imports tantivy and the standard library only (no Haystack), so that `extractive-qa count` can use it
and still answer in milliseconds.

Usage example:
```python
from pathlib import Path

from extractive_qa.components.document_stores.tantivy.damage import damage_reason, verify_checksums

problem = verify_checksums(Path("/tmp/my-index"))  # None, or e.g. "3f2a...store: checksum mismatch"
try:
    ...  # a tantivy call
except ValueError as error:
    print(damage_reason(error, "/tmp/my-index"))  # None: not damage (permissions, full disk, ...)
```
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from pathlib import Path
from typing import Any

import tantivy

META_FILE = "meta.json"

# Every segment file ends with a footer: its JSON (tantivy's version and the CRC32 of what precedes it), the JSON's
# length and a magic number, both little-endian u32.
FOOTER_MAGIC_NUMBER = 1337
_FOOTER_TAIL = struct.Struct("<II")
_CHUNK_BYTES = 1 << 20
# A directory path inside tantivy's words (a file's full name, say): only the last part is kept.
_ANY_PATH = re.compile(r"(?:/[^/\s'\"`()]+)+/([^/\s'\"`()]+)")
_MAX_REASON_CHARS = 200

# What tantivy says when the files of an index are not what it wrote.
_DAMAGE_MARKERS = (
    "corrupt",
    "Corrupt",
    "InvalidData",
    "FileDoesNotExist",
    "Footer",
    "footer",
    "checksum",
    "decompress",
    "offset to copy",
    "cannot be decoded",
    "UnexpectedEof",
    "deserializ",
)
# Reading intact files only fails for the reasons below, so any other I/O error while reading is damage; a write can
# fail on its own (a full disk does not always say so), so a write's I/O error alone is not.
_READ_IO_ERROR = "An IO error occurred"
# What it says when the index's surroundings fail: the files may well be intact.
_ENVIRONMENT_MARKERS = (
    "Permission denied",
    "Read-only file system",
    "No space left",
    "Disk quota",
    "Too many open files",
    "LockBusy",
    "Failed to acquire Lockfile",
    "os error 13)",
    "os error 28)",
    "os error 30)",
)


class UnreadableMeta(ValueError):
    """The index's meta.json cannot be read or parsed: the index is damaged."""


def is_panic(error: BaseException) -> bool:
    """Whether `error` is a Rust panic inside tantivy (pyo3's `PanicException`, a `BaseException`)."""
    return type(error).__name__ == "PanicException"


def damage_reason(error: BaseException, index_path: str, *, writing: bool = False) -> str | None:
    """
    What is damaged, in a few words without the index's path, when `error` says that the index's files are damaged.

    :param error: What a tantivy call (or decoding a stored document) raised.
    :param index_path: The index directory, left out of the words.
    :param writing: Whether `error` came from a write (an I/O error alone then does not count as damage).
    :returns: The reason, e.g. `"3f2a...pos: footer magic byte mismatch"`; `None` when `error` is not damage: a
        failure of the surroundings (permissions, a read-only or full disk, a held lock) or no tantivy error at all.
    """
    if is_panic(error):
        return _shortened(f"tantivy failed on its data: {str(error).splitlines()[0] if str(error) else 'a panic'}")
    if isinstance(error, UnreadableMeta):
        return _shortened(str(error))
    if not isinstance(error, ValueError):
        return None
    text = str(error)
    if any(marker in text for marker in _ENVIRONMENT_MARKERS):
        return None
    markers = _DAMAGE_MARKERS if writing else (*_DAMAGE_MARKERS, _READ_IO_ERROR)
    if not any(marker in text for marker in markers):
        return None
    return _shortened(_ANY_PATH.sub(r"\1", _described(text).replace(index_path, "")).strip())


def damaged_message(subject: str, reason: str) -> str:
    """
    The one line for a damaged index: `subject` (e.g. `"the index at '/srv/index'"`) is damaged, why, what to do.
    """
    return f"{subject} is damaged ({reason}): delete it and re-index, or restore it from a backup"


def _described(text: str) -> str:
    """tantivy's long error text, cut down to the file it names and what is wrong with it."""
    named = re.search(r'filepath: "([^"]+)"|FileDoesNotExist\("([^"]+)"\)|in file `"([^"]+)"`', text)
    file_name = Path(next(group for group in named.groups() if group)).name if named else None
    if "FileDoesNotExist" in text:
        what = "missing"
    elif found := re.search(r'error: "([^"]+)"', text):
        what = found.group(1).split(". ")[0]
    elif found := re.search(r'error: Error\("([^"]+)"', text):
        what = f"its footer cannot be read ({found.group(1)})"
    elif found := re.search(r"Data corruption \(in file [^)]*\): ([^.]+)", text):
        what = found.group(1)
    else:
        what = re.sub(r"^An IO error occurred: ", "", text).strip(" '\"")
    if file_name is None and ("decompress" in text or "offset to copy" in text):
        file_name = "stored documents"
    return f"{file_name}: {what}" if file_name else what


def _shortened(reason: str) -> str:
    reason = " ".join(reason.split())
    return reason if len(reason) <= _MAX_REASON_CHARS else reason[: _MAX_REASON_CHARS - 3] + "..."


def read_meta(index_dir: Path) -> dict[str, Any]:
    """
    The index's meta.json, parsed.

    :raises UnreadableMeta: If it is not JSON, or lacks the segments and schema tantivy records.
    :raises OSError: If the directory cannot be read at all (permissions): not damage.
    """
    path = index_dir / META_FILE
    try:
        meta = json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as error:
        raise UnreadableMeta(f"meta.json cannot be read: {error}") from error
    if not _is_meta(meta):
        raise UnreadableMeta("meta.json cannot be read: it lacks the index's segments or schema")
    return meta


def _is_meta(meta: Any) -> bool:
    """Whether parsed JSON has what tantivy's meta.json always records: segments with IDs, fields with types."""
    if (
        not isinstance(meta, dict)
        or not isinstance(meta.get("segments"), list)
        or not isinstance(meta.get("schema"), list)
    ):
        return False
    return all(isinstance(segment, dict) and "segment_id" in segment for segment in meta["segments"]) and all(
        isinstance(field, dict) and "name" in field and "type" in field for field in meta["schema"]
    )


def segment_files(index_dir: Path, meta: dict[str, Any]) -> list[Path]:
    """The files of the segments meta.json lists (their postings, terms, stored documents, deletes, ...)."""
    prefixes = {str(segment["segment_id"]).replace("-", "") for segment in meta["segments"]}
    return sorted(path for path in index_dir.iterdir() if path.name.split(".", 1)[0] in prefixes)


def verify_checksums(index_dir: Path) -> str | None:
    """
    Checks every file of the index's segments against the checksum in its footer. Reads every byte (about a second
    per GB), so it is the thorough check, not one for every command.

    :param index_dir: The index directory.
    :returns: `None` when every file is intact, else what is damaged (path-free), e.g. `"3f2a....store: checksum
        mismatch"` or `"meta.json cannot be read: ..."`.
    """
    try:
        meta = read_meta(index_dir)
    except UnreadableMeta as error:
        return str(error)
    missing = _missing_segments(index_dir, meta)
    if missing:
        return f"segment {missing} has no files"
    for path in segment_files(index_dir, meta):
        problem = _file_problem(path)
        if problem is not None:
            return f"{path.name}: {problem}"
    return None


def _missing_segments(index_dir: Path, meta: dict[str, Any]) -> str | None:
    present = {path.name.split(".", 1)[0] for path in index_dir.iterdir()}
    for segment in meta["segments"]:
        prefix = str(segment["segment_id"]).replace("-", "")
        if prefix not in present:
            return prefix
    return None


def _file_problem(path: Path) -> str | None:
    """What is wrong with one segment file's footer or checksum, or `None`."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        if size < _FOOTER_TAIL.size:
            return "truncated (no footer)"
        handle.seek(size - _FOOTER_TAIL.size)
        footer_length, magic = _FOOTER_TAIL.unpack(handle.read(_FOOTER_TAIL.size))
        body_length = size - _FOOTER_TAIL.size - footer_length
        if magic != FOOTER_MAGIC_NUMBER or body_length < 0:
            return "footer magic byte mismatch (truncated or overwritten)"
        handle.seek(body_length)
        try:
            expected = json.loads(handle.read(footer_length))["crc"]
        except (ValueError, KeyError, TypeError):
            return "its footer cannot be read"
        handle.seek(0)
        crc, remaining = 0, body_length
        while remaining > 0:
            chunk = handle.read(min(_CHUNK_BYTES, remaining))
            if not chunk:
                return "truncated"
            crc = zlib.crc32(chunk, crc)
            remaining -= len(chunk)
    return None if crc == expected else "checksum mismatch"


def probe_segments(searcher: tantivy.Searcher) -> None:
    """
    Reads the first stored document of every segment: a damaged stored-documents file then fails at once (in
    microseconds) rather than in the middle of a search. Damage further inside a file shows when it is read.

    :raises ValueError: What tantivy raises on damage (see `damage_reason`).
    """
    for segment in range(searcher.num_segments):
        searcher.doc(tantivy.DocAddress(segment, 0))
