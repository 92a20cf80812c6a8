"""
Copies of the bundled collection (`data/`, 35 articles) for tests and benchmarks that index more files, or the same
files under other names, into a store of their own.

Usage example:
```python
from pathlib import Path

from extractive_qa.testing.collection_copies import copy_collection

files = copy_collection(Path("work/docs"), copies=4)  # 140 files with names of their own
print(len(files), files[0].name)
```
"""

from __future__ import annotations

import shutil
from pathlib import Path

from extractive_qa.testing.paths import DATA_DIR


def copy_collection(target: Path, copies: int = 1, *, prefix: str = "", source: Path = DATA_DIR) -> list[Path]:
    """
    Copies the .txt files of `source` into `target`, `copies` times, and returns the copies.

    One copy keeps each file's name; more copies are named `<stem> (<n>).txt` (n from 1), so no two collide.
    `prefix` starts every name (for copies that must not collide with another call's).
    """
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for n in range(copies):
        for path in sorted(source.glob("*.txt")):
            name = path.name if copies == 1 else f"{path.stem} ({n + 1}).txt"
            destination = target / f"{prefix}{name}"
            shutil.copyfile(path, destination)
            written.append(destination)
    return written
