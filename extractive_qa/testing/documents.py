"""
Real documents made in memory for tests and examples: PDFs (text pages, image-only, encrypted, with a dangling
reference), DOCX and HTML files, so that no binary test file has to be kept in the repository; and the hostile ones
an indexer must refuse cheaply: a ZIP-bomb DOCX, PDFs whose content or object streams inflate a thousandfold,
whose pages draw one form thousands of times, whose font turns one character code into many characters, or whose
objects nest deeply.

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
import struct
import textwrap
import zipfile
import zlib
from collections.abc import Sequence

LINE_CHARS = 90
_HELVETICA = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"


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


def text_bomb_pdf(page_count: int, text_bytes: int, *, shared: bool = True) -> bytes:
    """
    A PDF whose pages each show one string of `text_bytes` letters, from a content stream deflated about a thousand
    times (zlib's best): a FlateDecode bomb, small on disk, huge once its pages are read.

    :param page_count: The number of pages.
    :param text_bytes: The letters each page shows (the bytes its content stream unpacks to, give or take 30).
    :param shared: Whether every page draws one shared content stream (the file stays small however many pages it
        has) rather than a stream of its own.
    """
    content = b"BT /F1 11 Tf 56 770 Td (" + b"A" * text_bytes + b") Tj ET"
    packed = _stream(zlib.compress(content, 9), b" /Filter /FlateDecode")
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b"", _HELVETICA]
    kids = []
    for index in range(page_count):
        if index == 0 or not shared:
            objects.append(packed)
            contents = len(objects)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
            b"/Contents %d 0 R >>" % contents
        )
        kids.append(b"%d 0 R" % len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), page_count)
    return _assemble(objects)


def object_stream_pdf(padding_bytes: int) -> bytes:
    """
    A one-page PDF 1.5 whose page dictionary sits in a deflated object stream padded with `padding_bytes` spaces:
    reading the page unpacks them all (an object-stream bomb, when the padding is large).
    """
    out = io.BytesIO()
    out.write(b"%PDF-1.5\n")
    page = (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
        b"/Contents 4 0 R >>"
    )
    header = b"5 0 "
    packed = _deflate_blocks(header + page + b"\n", padding_bytes, zlib_wrapper=True)
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [5 0 R] /Count 1 >>",
        3: _HELVETICA,
        4: _stream(_page_stream("A page kept in an object stream.")),
        6: _stream(packed, b" /Type /ObjStm /N 1 /First %d /Filter /FlateDecode" % len(header)),
    }
    offsets = {}
    for number, body in objects.items():
        offsets[number] = out.tell()
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    offsets[7] = out.tell()
    rows = [b"\x00" + bytes(4) + b"\xff\xff"]
    for number in range(1, 8):
        kind, field = (2, 6) if number == 5 else (1, offsets[number])
        rows.append(bytes([kind]) + field.to_bytes(4, "big") + bytes(2))
    xref = _stream(b"".join(rows), b" /Type /XRef /Size 8 /W [1 4 2] /Root 1 0 R")
    out.write(b"7 0 obj\n" + xref + b"\nendobj\nstartxref\n%d\n%%%%EOF\n" % offsets[7])
    return out.getvalue()


def form_bomb_pdf(page_count: int, invocations: int, form_bytes: int) -> bytes:
    """
    A PDF whose pages each draw one form XObject (a string of `form_bytes` letters) `invocations` times from one
    small shared content stream: text extraction reads the form's content at every invocation on every page.
    """
    form = _stream(
        b"BT /F1 11 Tf (" + b"B" * form_bytes + b") Tj ET",
        b" /Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >>",
    )
    content = _stream(zlib.compress(b"/Fm1 Do\n" * invocations, 9), b" /Filter /FlateDecode")
    resources = b"/Resources << /Font << /F1 3 0 R >> /XObject << /Fm1 4 0 R >> >>"
    return _pages_pdf([_HELVETICA, form, content], resources, 5, page_count)


def ligature_bomb_pdf(chars_per_code: int, codes: int) -> bytes:
    """
    A one-page PDF whose font's /ToUnicode map turns the code of `A` into `chars_per_code` characters, and whose page
    shows `codes` of them: the text is `chars_per_code` times longer than the content.
    """
    cmap = (
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Bomb def "
        b"1 begincodespacerange <00> <FF> endcodespacerange 1 beginbfchar <41> <"
        + b"0041" * chars_per_code
        + b"> endbfchar endcmap CMapName currentdict /CMap defineresource pop end end"
    )
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 4 0 R >>"
    content = _stream(zlib.compress(b"BT /F1 11 Tf (" + b"A" * codes + b") Tj ET", 9), b" /Filter /FlateDecode")
    return _pages_pdf([font, _stream(cmap), content], b"/Resources << /Font << /F1 3 0 R >> >>", 5, 1)


def _pages_pdf(shared: list[bytes], resources: bytes, contents: int, page_count: int) -> bytes:
    """A PDF of the catalog, the page tree, the `shared` objects (numbered from 3) and `page_count` pages with these
    resources, each drawing object `contents`."""
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b"", *shared]
    kids = []
    for _ in range(page_count):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] %s /Contents %d 0 R >>" % (resources, contents)
        )
        kids.append(b"%d 0 R" % len(objects))
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), page_count)
    return _assemble(objects)


def nested_pdf(depth: int) -> bytes:
    """A one-page PDF whose page holds an array nested `depth` levels deep (`[[[...]]]`), as hostile files do."""
    nest = b"[" * depth + b"]" * depth
    return _assemble(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
            _HELVETICA,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
            b"/Contents 5 0 R /Nest " + nest + b" >>",
            _stream(_page_stream("Nested.")),
        ]
    )


def docx_file(paragraphs: Sequence[str], *, title: str | None = None, image_bytes: int = 0) -> bytes:
    """
    A Word document (DOCX) with an optional heading and one paragraph per text.

    :param image_bytes: When not 0, the document also shows a PNG picture of about this many bytes whose data does
        not compress (like a photograph's), so the archive is about that much larger.
    """
    import docx

    document = docx.Document()
    if title:
        document.add_heading(title, level=1)
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if image_bytes:
        document.add_picture(io.BytesIO(_png(image_bytes)))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _png(size: int) -> bytes:
    """A 1x1 grey PNG padded to `size` bytes with random data in a private chunk (a viewer skips it)."""
    import random

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    padding = random.Random(size).randbytes(max(size - 80, 0))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
        + chunk(b"raNd", padding)
        + chunk(b"IDAT", zlib.compress(b"\x00\x80"))
        + chunk(b"IEND", b"")
    )


def zip_bomb_docx(unpacked_bytes: int = 1536 << 20, *, declared_bytes: int | None = None) -> bytes:
    """
    A Word document whose `word/document.xml` unpacks to `unpacked_bytes` spaces (1.5 GiB by default) from about a
    thousandth of that (deflate's best ratio): a ZIP bomb, otherwise the parts of `docx_file`. It is made without ever
    holding the unpacked bytes (a few seconds for 1.5 GiB).

    :param unpacked_bytes: What `word/document.xml` unpacks to (below 4 GiB).
    :param declared_bytes: The size the archive states for `word/document.xml` (default: the true one); a smaller
        one makes the archive lie about what it unpacks to.
    """
    members = []
    with zipfile.ZipFile(io.BytesIO(docx_file(["A normal paragraph."]))) as archive:
        for info in archive.infolist():
            if info.filename != "word/document.xml":
                data = archive.read(info)
                members.append((info.filename, _deflate(data), zlib.crc32(data), len(data)))
    packed, crc = _deflated_spaces(unpacked_bytes)
    size = unpacked_bytes if declared_bytes is None else declared_bytes
    members.append(("word/document.xml", packed, crc, size))
    return _zip_archive(members)


def _deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


def _deflated_spaces(count: int) -> tuple[bytes, int]:
    """A raw deflate stream of `count` spaces and its CRC-32, made without holding them (see `_deflate_blocks`)."""
    crc = 0
    block = b" " * (1 << 20)
    for _ in range(count // len(block)):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(block[: count % len(block)], crc)
    return _deflate_blocks(b"", count), crc


def _deflate_blocks(prefix: bytes, spaces: int, *, zlib_wrapper: bool = False) -> bytes:
    """
    `prefix` and then `spaces` spaces deflated at zlib's best ratio (raw deflate, or zlib's format with its header
    and Adler-32 checksum), one MiB block at a time: after a full flush the compressor starts afresh, so every whole
    block of spaces deflates to the same bytes, computed once.
    """
    block = b" " * (1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    start = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    compressor.compress(block)
    compressor.flush(zlib.Z_FULL_FLUSH)  # the first block's output may differ (no history yet)
    packed_block = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    blocks, rest = divmod(spaces, len(block))
    body = start + packed_block * blocks + _deflate(block[:rest])
    if not zlib_wrapper:
        return body
    adler = zlib.adler32(prefix)
    for _ in range(blocks):
        adler = zlib.adler32(block, adler)
    adler = zlib.adler32(block[:rest], adler)
    return b"\x78\xda" + body + struct.pack(">I", adler)


def _zip_archive(members: Sequence[tuple[str, bytes, int, int]]) -> bytes:
    """A ZIP archive of deflated members (name, deflated bytes, CRC-32, stated size), written field by field."""
    out = io.BytesIO()
    directory = io.BytesIO()
    for name, packed, crc, size in members:
        encoded = name.encode()
        fields = (20, 0, zipfile.ZIP_DEFLATED, 0, 0x21, crc, len(packed), size, len(encoded))
        directory.write(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, *fields, 0, 0, 0, 0, 0, out.tell()) + encoded)
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", *fields, 0) + encoded + packed)
    start = out.tell()
    out.write(directory.getvalue())
    count = len(members)
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(directory.getvalue()), start, 0))
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
