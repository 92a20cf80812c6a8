"""
The document types the indexing pipeline reads, and the checks that say why a file of one cannot be indexed.

| type | suffixes | MIME type (the pipeline router's key) | converter in the indexing YAML |
|---|---|---|---|
| text | `.txt` `.text` | `text/plain` | `TextFileToDocument` |
| Markdown | `.md` `.markdown` | `text/markdown` | `TextFileToDocument` |
| PDF | `.pdf` | `application/pdf` | `PyPDFToDocument` (pages separated by form feeds) |
| HTML | `.html` `.htm` | `text/html` | `HTMLToDocument` (the main text, without menus and scripts) |
| Word | `.docx` | `application/vnd.openxmlformats-officedocument.wordprocessingml.document` | `DOCXToDocument` |

Files on disk and uploaded files get the same checks (`check_document` reads from any binary stream): not empty,
text files UTF-8 and not binary, a PDF that is one and is not password-protected, a DOCX that is a Word file.
When a file passes but gives no passage, `no_text_reason` says why (an image-only PDF, a page without main text).

Usage example:
```python
from pathlib import Path

from extractive_qa.indexing.formats import check_document, document_type

path = Path("report.pdf")
kind = document_type(path.name)
with path.open("rb") as stream:
    print(kind.name if kind else "unsupported", check_document(kind, stream) if kind else None)
```
"""

from __future__ import annotations

import codecs
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from haystack.dataclasses import ByteStream


@dataclass(frozen=True)
class DocumentType:
    """A kind of document the indexing pipeline reads."""

    name: str
    suffixes: frozenset[str]
    mime_type: str
    is_text: bool = False
    paged: bool = False
    """Whether its text comes in pages (form feeds between them), so that answers can name their page."""


TEXT = DocumentType("text", frozenset({".txt", ".text"}), "text/plain", is_text=True)
MARKDOWN = DocumentType("Markdown", frozenset({".md", ".markdown"}), "text/markdown", is_text=True)
PDF = DocumentType("PDF", frozenset({".pdf"}), "application/pdf", paged=True)
HTML = DocumentType("HTML", frozenset({".html", ".htm"}), "text/html", is_text=True)
DOCX = DocumentType(
    "Word",
    frozenset({".docx"}),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
)  # not paged: only some writers record where Word's pages break, so a page number could be wrong
DOCUMENT_TYPES: tuple[DocumentType, ...] = (TEXT, MARKDOWN, PDF, HTML, DOCX)
SUPPORTED_SUFFIXES = frozenset(suffix for kind in DOCUMENT_TYPES for suffix in kind.suffixes)
_BY_SUFFIX = {suffix: kind for kind in DOCUMENT_TYPES for suffix in kind.suffixes}
_HEAD_BYTES = 4096
_CHUNK_BYTES = 1 << 20


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


def check_document(kind: DocumentType, stream: BinaryIO) -> str | None:
    """
    Why a document of type `kind`, read from `stream` (at its start), cannot be indexed; `None` when it looks fine.

    Reads the stream in chunks (text files to the end, to check the encoding); PDFs and DOCX files are opened.
    """
    head = stream.read(_HEAD_BYTES)
    if not head:
        return "empty file"
    if kind is PDF:
        return pdf_problem(head, stream)
    if kind is DOCX:
        return docx_problem(head, stream)
    return _text_problem(head, stream)


def _text_problem(head: bytes, stream: BinaryIO) -> str | None:
    """UTF-8 text, not binary, not only white space; read to the end in chunks."""
    if b"\x00" in head:
        return "binary file, not text"
    decoder = codecs.getincrementaldecoder("utf-8")()
    position = 0
    chunk = head
    has_text = False
    while chunk:
        try:
            text = decoder.decode(chunk)
        except UnicodeDecodeError as error:
            return f"not UTF-8 text (invalid byte at offset {position + error.start})"
        has_text = has_text or bool(text.strip())
        position += len(chunk)
        chunk = stream.read(_CHUNK_BYTES)
        if b"\x00" in chunk:
            return "binary file, not text"
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "not UTF-8 text (truncated character at the end)"
    return None if has_text else "no text (only white space)"


def _whole(head: bytes, stream: BinaryIO) -> io.BytesIO:
    return io.BytesIO(head + stream.read())


def pdf_problem(head: bytes, stream: BinaryIO) -> str | None:
    """A PDF that is not one, cannot be parsed, or is password-protected; `None` for a readable PDF."""
    if not head.startswith(b"%PDF-"):
        return "not a PDF file (no %PDF- header)"
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    try:
        reader = PdfReader(_whole(head, stream))
        if reader.is_encrypted and not reader.decrypt(""):
            return "encrypted PDF (password-protected): remove the password to index it"
        len(reader.pages)
    except DependencyError:
        return "encrypted PDF (its encryption needs the 'cryptography' package to be read)"
    except Exception as error:
        reason = " ".join(str(error).split())[:200] or type(error).__name__
        return f"damaged PDF, it cannot be read ({reason})"
    return None


def docx_problem(head: bytes, stream: BinaryIO) -> str | None:
    """A DOCX file that is not a Word document (a DOCX is a ZIP archive holding `word/document.xml`)."""
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "not a DOCX file: an old Word .doc file (save it as .docx to index it)"
    if not head.startswith(b"PK\x03\x04"):
        return "not a DOCX file (a Word .docx file is a ZIP archive)"
    try:
        with zipfile.ZipFile(_whole(head, stream)) as archive:
            if "word/document.xml" not in archive.namelist():
                return "not a DOCX file (the archive holds no word/document.xml)"
    except zipfile.BadZipFile:
        return "damaged DOCX file (not a readable ZIP archive)"
    return None


def _open(source: Path | ByteStream) -> BinaryIO:
    return source.open("rb") if isinstance(source, Path) else io.BytesIO(source.data)


def no_text_reason(name: str, source: Path | ByteStream) -> str:
    """
    Why a document that passed `check_document` gave no passage: its converter found no text in it.

    :param name: The document's name (its suffix gives the type, unless the bytes carry a MIME type).
    :param source: The file, or its bytes.
    """
    kind = document_type(name)
    if isinstance(source, ByteStream) and source.mime_type:
        kind = next((k for k in DOCUMENT_TYPES if k.mime_type == source.mime_type), kind)
    if kind is PDF:
        return _pdf_without_text(source)
    if kind is HTML:
        return "no main text found in the web page (menus, scripts and markup are left out)"
    if kind is DOCX:
        return "the Word document holds no text"
    return "no text could be extracted"


def _pdf_without_text(source: Path | ByteStream) -> str:
    from pypdf import PdfReader

    try:
        with _open(source) as stream:
            reader = PdfReader(stream)
            pages = len(reader.pages)
            with_images = sum(1 for page in reader.pages if _has_images(page))
    except Exception:
        return "no text could be extracted from the PDF"
    if pages == 0:
        return "the PDF has no pages"
    if with_images:
        return (
            f"image-only PDF: {with_images} of its {pages} page(s) hold pictures and none holds text (a scan?); "
            "text recognition (OCR) is not supported"
        )
    return "no text could be extracted from the PDF"


def _has_images(page: object) -> bool:
    try:
        return len(page.images) > 0  # type: ignore[attr-defined]
    except Exception:
        return False
