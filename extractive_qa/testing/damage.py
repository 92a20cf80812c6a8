"""
Damage done to a store's files on purpose, for the tests of what the application does with a damaged store: bytes
inverted in place, files cut short, and a listing to show that nothing else changed.

Usage example:
```python
from pathlib import Path

from extractive_qa.testing.damage import flip, listing, segment_file, truncate

index = Path("store")
before = listing(index)
flip(segment_file(index, "store"), 0, 64)  # the first 64 bytes of the stored passages, inverted
truncate(index / "meta.json")
```
"""

from __future__ import annotations

import os
from pathlib import Path


def segment_file(index: Path, kind: str) -> Path:
    """The one segment file of a tantivy index with this suffix (`store`, `idx`, `term`, ...)."""
    (path,) = [path for path in index.iterdir() if path.suffix == f".{kind}"]
    return path


def flip(path: Path, start: int, length: int) -> None:
    """Inverts `length` bytes of `path` from `start` (a negative start counts from the end); the size stays."""
    data = bytearray(path.read_bytes())
    start %= len(data)
    for offset in range(start, min(start + length, len(data))):
        data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def truncate(path: Path) -> None:
    """Cuts a file to half its size."""
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def listing(path: Path) -> dict[str, tuple[int, int]]:
    """Every file of a directory (hidden ones too) with its size and modification time."""
    return {entry.name: (entry.stat().st_size, entry.stat().st_mtime_ns) for entry in os.scandir(path)}
