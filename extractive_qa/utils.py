"""
Small helpers the application's modules share: walking an error's causes, replacing a file atomically, batching.

Usage example:
```python
from pathlib import Path

from extractive_qa.utils import batched, find_cause, write_atomically

write_atomically(Path("out/report.json"), lambda path: path.write_text("{}"))
list(batched([1, 2, 3], 2))  # [[1, 2], [3]]
find_cause(RuntimeError("wrapped"), lambda e: isinstance(e, OSError))  # None
```
"""

from __future__ import annotations

import math
import os
import tempfile
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def iter_causes(error: BaseException) -> Iterator[BaseException]:
    """The error, then what caused it (`__cause__`, else `__context__`), and so on; each error once."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def find_cause(error: BaseException, matches: Callable[[BaseException], bool]) -> BaseException | None:
    """The first error in `error`'s chain of causes (itself included) that `matches`, or `None`."""
    return next((cause for cause in iter_causes(error) if matches(cause)), None)


def write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """
    Replaces `path` atomically: `write` fills a temporary file beside it, which then takes its name. The old file
    stays whole until the new one is complete; a failed `write` leaves no temporary file behind.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        write(Path(temporary))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_text_atomically(path: Path, text: str) -> None:
    """Replaces `path` with `text` (UTF-8) atomically (see `write_atomically`)."""
    write_atomically(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))


def batched(items: Sequence[T], size: int) -> Iterator[list[T]]:
    """`items` in consecutive lists of `size` (the last may be shorter)."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def json_safe(value: Any) -> Any:
    """
    `value` as strict JSON can hold it: NaN and infinities become `None` (JSON has no such numbers), mapping keys
    strings, tuples lists; everything else as it is.
    """
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


# Unicode's control (Cc), format (Cf: e.g. right-to-left overrides), line and paragraph separator (Zl, Zp) characters.
_UNPRINTABLE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


def has_unprintable(text: str) -> bool:
    """Whether a text holds control or format characters (a newline, a NUL, a right-to-left override, ...)."""
    return any(unicodedata.category(character) in _UNPRINTABLE_CATEGORIES for character in text)


def printable(text: str) -> str:
    """
    A name or path from outside as a terminal line shows it: control and format characters written as escapes
    (`\\n`, `\\x00`, `\\u202e`), so that a crafted file name cannot forge a line of output.
    """
    return "".join(
        character.encode("unicode_escape").decode("ascii")
        if unicodedata.category(character) in _UNPRINTABLE_CATEGORIES
        else character
        for character in text
    )
