"""
The names documents are stored and cited under (an uploaded file's, a given text's): what a name may hold.

A name identifies a document in the store (`meta.file_name`, the answers' `source`); it is never a path. So it holds
no path separator, no control or format character (a newline in a name could forge a line of the CLI's output, a NUL
cuts it short in C libraries), and at most `MAX_NAME_CHARS` characters.

Usage example:
```python
from extractive_qa.indexing.names import name_problem, shown_name

name_problem("notes.txt")  # None
name_problem("../../etc/passwd")  # "the name holds a path separator ('/' or '\\\\'): give the file's name alone"
print(shown_name("evil\\nskipped x: y.txt"))  # evil\\nskipped x: y.txt, on one line
```
"""

from __future__ import annotations

from extractive_qa.utils import has_unprintable

MAX_NAME_CHARS = 255


def name_problem(name: str) -> str | None:
    """Why a document name cannot be used (missing, a path, too long, control characters), or `None`."""
    if not name or not name.strip() or name in (".", ".."):
        return "the file has no name"
    if len(name) > MAX_NAME_CHARS:
        return f"the file name is too long ({len(name)} characters; the limit is {MAX_NAME_CHARS})"
    if has_unprintable(name):
        return "the file name holds control characters"
    if "/" in name or "\\" in name:
        return "the name holds a path separator ('/' or '\\'): give the file's name alone"
    return None
