"""
Files sent to the server (the page's upload, `POST /upload`): their names, and the checks made before indexing.

An uploaded file is identified by its name alone (the server never keeps or shows a client's path): `C:\\docs\\a.pdf`
and `../../a.pdf` are both `a.pdf`, and uploading a name again replaces that file's passages. Its content gets the
checks of a file on disk (`extractive_qa.indexing.formats.check_document`).

Usage example:
```python
from extractive_qa.indexing.uploads import Upload, check_upload

upload = Upload.named("notes.txt", b"The office moved to Leipzig in 2021.")
print(upload.name, check_upload(upload))  # notes.txt None
```
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import PurePosixPath

from extractive_qa.document_types import document_type, unsupported_reason
from extractive_qa.indexing.formats import check_document
from extractive_qa.indexing.names import name_problem


def upload_name(given: str | None) -> str:
    """
    The name an uploaded file is stored under: the last part of the name the client sent (either kind of slash),
    with surrounding white space removed; `""` when nothing is left.
    """
    if not given:
        return ""
    return PurePosixPath(given.replace("\\", "/")).name.strip()


@dataclass(frozen=True)
class Upload:
    """One uploaded file: the name it is stored under and its bytes."""

    name: str
    data: bytes

    @classmethod
    def named(cls, given_name: str | None, data: bytes) -> Upload:
        """An upload with the name made safe (`upload_name`)."""
        return cls(name=upload_name(given_name), data=data)


def check_upload(upload: Upload) -> str | None:
    """Why an uploaded file cannot be indexed (its name, its type, its content), or `None` when it looks fine."""
    problem = name_problem(upload.name)
    if problem:
        return problem
    kind = document_type(upload.name)
    if kind is None:
        return unsupported_reason(upload.name)
    return check_document(kind, io.BytesIO(upload.data))
