"""
Real documents made in memory for tests and examples: PDFs (text pages, image-only, encrypted, with a dangling
reference), DOCX and HTML files, so that no binary test file has to be kept in the repository.

The PDFs are written by hand in PDF 1.4 syntax (the standard Helvetica font, one content stream per page), so they
need no PDF library; `encrypted_pdf` uses pypdf (a dependency) to add RC4 encryption.

Usage example:
```python
from pathlib import Path

from extractive_qa.testing.documents import docx_file, pdf_file

Path("report.pdf").write_bytes(pdf_file(["Page one says hello.", "Page two says goodbye."]))
Path("notes.docx").write_bytes(docx_file(["The office moved to Leipzig in 2021."]))
```
"""

from __future__ import annotations

import io
import textwrap
import zlib
from collections.abc import Sequence

LINE_CHARS = 90


def _escape(text: str) -> str:
    """A PDF literal string's content: backslashes and parentheses escaped; Latin-1 only."""
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _page_stream(text: str, keep_lines: bool = False) -> bytes:
    """A content stream that writes `text` in 11-point Helvetica, paragraphs (blank-line separated) kept apart:
    wrapped at `LINE_CHARS`, or line by line as the text's own line breaks have it (`keep_lines`)."""
    lines: list[str] = []
    for paragraph in text.split("\n\n"):
        if keep_lines:
            lines.extend(paragraph.split("\n"))
        else:
            lines.extend(textwrap.wrap(" ".join(paragraph.split()), LINE_CHARS) or [""])
        lines.append("")
    body = "".join(f"({_escape(line)}) Tj T*\n" for line in lines[:-1])
    return f"BT /F1 11 Tf 14 TL 56 770 Td\n{body}ET\n".encode("latin-1")


def _assemble(objects: list[bytes]) -> bytes:
    """A PDF file of the given objects (numbered from 1; object 1 is the catalog), with a correct xref table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d%s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def pdf_file(pages: Sequence[str], *, dangling_reference: bool = False, keep_lines: bool = False) -> bytes:
    """
    A PDF with one page per text (paragraphs separated by blank lines), its text extractable.

    :param pages: The text of each page (Latin-1 characters).
    :param keep_lines: Whether the page's lines are the text's own lines (say, with words hyphenated at their ends as
        a typesetter breaks them) rather than the text wrapped at 90 characters.
    :param dangling_reference: Whether the pages' resources name an object the file does not hold (as some PDF
        writers do): readers warn "Object ... not defined." and carry on.
    """
    page_count = len(pages)
    first_page = 4
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{first_page + 2 * i} 0 R" for i in range(page_count))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {page_count} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    missing = first_page + 2 * page_count + 40
    for index, text in enumerate(pages):
        content = first_page + 2 * index + 1
        extra = f" /F2 {missing} 0 R" if dangling_reference else ""
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R{extra} >> >> "
            f"/Contents {content} 0 R >>".encode()
        )
        objects.append(_stream(_page_stream(text, keep_lines)))
    return _assemble(objects)


def image_only_pdf(page_count: int = 1) -> bytes:
    """A PDF whose pages hold only a picture (as a scanner makes them): no text to extract."""
    side = 16
    pixels = zlib.compress(bytes((x * 16 + y) % 256 for y in range(side) for x in range(side)))
    first_page = 4
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{first_page + 2 * i} 0 R" for i in range(page_count))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {page_count} >>".encode())
    objects.append(
        _stream(
            pixels,
            b" /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 "
            b"/Filter /FlateDecode" % (side, side),
        )
    )
    for index in range(page_count):
        content = first_page + 2 * index + 1
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im1 3 0 R >> >> "
            f"/Contents {content} 0 R >>".encode()
        )
        objects.append(_stream(b"q 480 0 0 700 56 70 cm /Im1 Do Q\n"))
    return _assemble(objects)


def encrypted_pdf(pages: Sequence[str], password: str = "secret") -> bytes:
    """A PDF with text pages that opens only with `password` (RC4-128, which needs no cryptography library)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_file(pages))))
    writer.encrypt(user_password=password, owner_password=password + "-owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx_file(paragraphs: Sequence[str], *, title: str | None = None) -> bytes:
    """A Word document (DOCX) with an optional heading and one paragraph per text."""
    import docx

    document = docx.Document()
    if title:
        document.add_heading(title, level=1)
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def html_page(title: str, paragraphs: Sequence[str], *, menu: Sequence[str] = ("Home", "About us", "Contact")) -> str:
    """
    A web page as sites serve them: a navigation menu, a script, the article (title and paragraphs) and a footer.

    The paragraphs are inserted as they are (they may hold markup); the menu and footer are what a main-text
    extractor should leave out.
    """
    items = "".join(f'<li><a href="/{i}">{item}</a></li>' for i, item in enumerate(menu))
    body = "".join(f"<p>{paragraph}</p>\n" for paragraph in paragraphs)
    return (
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'><title>"
        f"{title}</title><script>document.title = 'scripted';</script></head>\n<body>\n"
        f"<nav><ul>{items}</ul></nav>\n<main><article><h1>{title}</h1>\n{body}</article></main>\n"
        "<footer><p>Copyright 2024 Example Site. All rights reserved. Privacy policy. Cookie settings.</p></footer>\n"
        "</body></html>\n"
    )
