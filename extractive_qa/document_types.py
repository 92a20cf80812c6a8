"""
The document types the application reads (text, Markdown, PDF, HTML, Word): their suffixes, MIME types, the largest
file of each that is indexed and whether its text comes in pages. Nothing here reads a file or imports Haystack: the
answer object asks it whether a page number means something, the indexing checks (`indexing/formats.py`) and the
upload form which files to take.

Usage example:
```python
from extractive_qa.document_types import PDF, document_type, is_paged

assert document_type("report.PDF") is PDF and is_paged("report.pdf")
assert document_type("picture.png") is None
```
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MB = 1_000_000
"""Sizes in reasons are given in MB (10^6 bytes)."""

# The limits bound what indexing one file may cost. Peak RSS of an `extractive-qa index` run over the largest file a
# limit admits, measured against the same run over ordinary files (0.78 GB): a 32 MB text file about +0.4 GB (64 MB:
# +0.77 GB); a Word file of 63 MB of XML +0.79 GB, so half that is admitted; one of 125 MB of pictures +0.32 GB
# (250 MB: +0.79 GB); a PDF of 16 pages of 2 MB strings +0.03 GB, of 16 pages of 2 MB of short text operators
# +0.00 GB (but 206 s), of a 70 MB picture +0.04 GB; a web page of 300,000 tags +0.30 GB (24 s).

# Files of each type: the converters read a whole file into memory, and the pipeline (cleaner, splitter) holds about
# 7-12 bytes per byte of text (a 16 MB .txt file: +113 MB; 64 MB: +0.77 GB), so a text file may have 32 MB (about
# five million words). PDF and Word files are mostly pictures and fonts, which are not converted but are read whole
# (a Word file's parts two or three times over): 128 MB leaves room for large illustrated files. HTML costs the most
# per byte (lxml and trafilatura: ~1.5 KB per tag), so a web page gets 20 MB (and its markup is counted, below).
TEXT_MAX_BYTES = 32 * MB
HTML_MAX_BYTES = 20 * MB
PDF_MAX_BYTES = 128 * MB
DOCX_MAX_BYTES = 128 * MB


@dataclass(frozen=True)
class DocumentType:
    """A kind of document the indexing pipeline reads."""

    name: str
    suffixes: frozenset[str]
    mime_type: str
    max_bytes: int
    """The largest file of this type that is indexed."""
    is_text: bool = False
    paged: bool = False
    """Whether its text comes in pages (form feeds between them), so that answers can name their page."""


TEXT = DocumentType("text", frozenset({".txt", ".text"}), "text/plain", TEXT_MAX_BYTES, is_text=True)
MARKDOWN = DocumentType("Markdown", frozenset({".md", ".markdown"}), "text/markdown", TEXT_MAX_BYTES, is_text=True)
PDF = DocumentType("PDF", frozenset({".pdf"}), "application/pdf", PDF_MAX_BYTES, paged=True)
HTML = DocumentType("HTML", frozenset({".html", ".htm"}), "text/html", HTML_MAX_BYTES, is_text=True)
DOCX = DocumentType(
    "Word",
    frozenset({".docx"}),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    DOCX_MAX_BYTES,
)  # not paged: only some writers record where Word's pages break, so a page number could be wrong
DOCUMENT_TYPES: tuple[DocumentType, ...] = (TEXT, MARKDOWN, PDF, HTML, DOCX)
SUPPORTED_SUFFIXES = frozenset(suffix for kind in DOCUMENT_TYPES for suffix in kind.suffixes)
_BY_SUFFIX = {suffix: kind for kind in DOCUMENT_TYPES for suffix in kind.suffixes}


def document_type(name: str | Path) -> DocumentType | None:
    """The type of a file by its name's suffix (case ignored), or `None` when the pipeline does not read it."""
    return _BY_SUFFIX.get(Path(name).suffix.lower())


def is_paged(name: str | Path) -> bool:
    """Whether a file of this name comes in pages (PDF), so that a page number means something."""
    kind = document_type(name)
    return kind is not None and kind.paged


def unsupported_reason(name: str | Path) -> str:
    """The reason given for a file whose type the pipeline does not read."""
    suffix = Path(name).suffix.lower()
    return f"unsupported file type '{suffix or Path(name).name}' (supported: {', '.join(sorted(SUPPORTED_SUFFIXES))})"
