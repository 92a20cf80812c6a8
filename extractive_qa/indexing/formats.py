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

Every check also bounds the work and memory that indexing the file costs, whatever its bytes hold (the limits are the
module's constants, each with the reason for its value): a size per type; a DOCX is refused before anything is
unpacked when its ZIP directory states too much or too high a compression ratio, and its parts are then streamed
through the decompressor with a hard cap, as the directory's sizes may lie; a PDF's pages are counted and its streams
unpacked one at a time under a cap (pypdf's own limits, lowered for the check), the text-bearing ones once for every
page that draws them; an HTML page's tags and the attributes of its largest tags are counted. Peak memory for the
largest file each limit admits, measured: see the limits' comments.

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
import re
import zipfile
from pathlib import Path
from typing import Any, BinaryIO

from haystack.dataclasses import ByteStream

from extractive_qa.document_types import DOCUMENT_TYPES, DOCX, HTML, MB, PDF, DocumentType, document_type

# The sizes of each type's files are limited in `extractive_qa/document_types.py`, which says how the peak memory of
# the limits below was measured.

# DOCX (a ZIP archive). python-docx reads every part into memory and parses the XML ones with lxml (an 18 MB
# document.xml: +120 MB; 63 MB: +0.79 GB), so the XML parts may unpack to 32 MB (a 1,000-page text document is 10 to
# 30 MB) and all parts together to 128 MB (pictures are kept as bytes, unparsed). A real Word file is compressed 2 to
# 20 times (its XML; highly repetitive tables up to ~160), its pictures about once (JPEG and PNG are compressed
# already); deflate's best is ~1000, which only a ZIP bomb reaches, so a part of more than 1 MB (or the whole
# archive) that unpacks to more than 200 times its packed size is refused. A real document has tens to a few
# thousand parts (one per picture).
DOCX_MAX_UNPACKED_BYTES = 128 * MB
DOCX_MAX_XML_BYTES = 32 * MB
ZIP_MAX_RATIO = 200
ZIP_RATIO_MIN_BYTES = 1 * MB
ZIP_MAX_MEMBERS = 10_000

# PDF. pypdf decodes every stream it reads in full and keeps it, and extracting text parses a page's content streams
# into Python objects, in time that grows faster than the page (one page of short text operators: 1 MB 3.3 s, 2 MB
# 9.6 s, 4 MB 29.5 s; one page showing a 50 MB string: +650 MB), and does so again for every page (and every form
# XObject invocation) that draws a shared stream: a 10 KB file can hold 40 pages drawing one 4 MB stream (before
# these limits: +560 MB peak RSS and 134 s; 2,000 such pages would run for hours). So the check unpacks the streams
# that text extraction reads and counts a page's content once for every page that draws it: 32 MB in all (a real
# 36-page manual has 13 KB a page, so ~2,500 such pages; pages exported from Word ~40 KB), at most 2 MB for one page
# (a text page has 2-50 KB; pypdf itself gives up on a stream of more than 2 million tokens, ~5-8 MB), and not more
# than 10,000 pages (the page tree alone: +45 MB and 8 s). A font whose /ToUnicode map turns one character code into
# several characters multiplies the text: the unpacked bytes times the longest mapping may not pass
# PDF_MAX_TEXT_CHARS (real maps give up to 3 characters a code, for ligatures such as "ffi", which it leaves room for).
PDF_MAX_PAGES = 10_000
PDF_MAX_UNPACKED_BYTES = 32 * MB
PDF_MAX_PAGE_BYTES = 2 * MB
PDF_MAX_TEXT_CHARS = 3 * PDF_MAX_UNPACKED_BYTES
PDF_MAX_FORM_DEPTH = 32
_PDF_FORM_INVOCATIONS = 5_000  # pypdf's xform_maximum_invocations_per_extraction: form XObjects drawn per page

# HTML. lxml and trafilatura cost memory and time per tag and per attribute (500,000 tags of `<p>` elements in
# 2.75 MB: +380 MB and 26 s; 700,000 attributes in 5 MB: +1 GB), so a page may hold 300,000 tags (each `<` counts)
# and attributes together, an attribute counting as two tags (at the limit: +0.30 GB, 24 s). libxml2 also compares
# each attribute of an element with the others (40,000 attributes on one element take 6 s, 500,000 more than
# 5 minutes): a tag may have 1,000. A long real page (a 2 MB encyclopedia article) has ~100,000 tags and attributes,
# an element a handful of attributes.
HTML_MAX_MARKUP = 300_000
HTML_MAX_TAG_ATTRIBUTES = 1_000


_HEAD_BYTES = 4096
_CHUNK_BYTES = 1 << 20


def check_document(kind: DocumentType, stream: BinaryIO) -> str | None:
    """
    Why a document of type `kind`, read from `stream` (at its start), cannot be indexed; `None` when it looks fine.

    Files larger than the type's `max_bytes` are refused without being read. Text files are read in chunks to the
    end (to check the encoding); PDF and DOCX files are opened, their streams and parts unpacked under a cap
    (nothing is kept); HTML pages are read whole (at most 20 MB) to count their tags.
    """
    document = _seekable(stream, kind.max_bytes)
    if document is None or _remaining(document) > kind.max_bytes:
        return f"larger than {kind.max_bytes // MB} MB (the limit for {kind.name} files)"
    if _remaining(document) == 0:
        return "empty file"
    if document.tell() != 0:  # PDF offsets count from the file's start
        document = io.BytesIO(document.read())
    if kind is PDF:
        return pdf_problem(document)
    if kind is DOCX:
        return docx_problem(document)
    if kind is HTML:
        return _text_problem(document) or html_problem(document)
    return _text_problem(document)


def _seekable(stream: BinaryIO, max_bytes: int) -> BinaryIO | None:
    """The stream itself when it can seek; otherwise its bytes (`None` when there are more than `max_bytes`)."""
    if stream.seekable():
        return stream
    data = stream.read(max_bytes + 1)
    return None if len(data) > max_bytes else io.BytesIO(data)


def _remaining(stream: BinaryIO) -> int:
    """The bytes from the stream's position to its end; the position is kept."""
    position = stream.tell()
    end = stream.seek(0, io.SEEK_END)
    stream.seek(position)
    return end - position


def _text_problem(stream: BinaryIO) -> str | None:
    """UTF-8 text, not binary, not only white space; read to the end in chunks. The position is kept."""
    start = stream.tell()
    try:
        return _text_chunks_problem(stream)
    finally:
        stream.seek(start)


def _text_chunks_problem(stream: BinaryIO) -> str | None:
    chunk = stream.read(_HEAD_BYTES)
    if b"\x00" in chunk:
        return "binary file, not text"
    decoder = codecs.getincrementaldecoder("utf-8")()
    position = 0
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


# An HTML start tag's name, and its attributes as libxml2 reads them (a quoted value may hold `>`). Matched a bounded
# number of attributes at a time, from where the last tag's attributes ended, so the scan is linear in time and memory.
_HTML_TAG_START = re.compile(rb"<[A-Za-z][^\s/>]*")
_HTML_ATTRIBUTE = rb"""\s+[^\s"'>=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]*))?"""
_HTML_ONE_ATTRIBUTE = re.compile(_HTML_ATTRIBUTE)
_HTML_ATTRIBUTES = re.compile(b"(?:%s){0,%d}" % (_HTML_ATTRIBUTE, HTML_MAX_TAG_ATTRIBUTES))


def html_problem(stream: BinaryIO) -> str | None:
    """
    An HTML page with more markup than `HTML_MAX_MARKUP` (tags, `<` counted, and twice its attributes), or a tag
    with more attributes than `HTML_MAX_TAG_ATTRIBUTES`.
    """
    start = stream.tell()
    data = stream.read()
    stream.seek(start)
    tags = data.count(b"<")
    attributes = _html_attributes(data, HTML_MAX_MARKUP - tags)
    if attributes is None:
        return f"a web page with a tag of more than {HTML_MAX_TAG_ATTRIBUTES:,} attributes (the limit)"
    if tags + 2 * attributes > HTML_MAX_MARKUP:
        return (
            f"a web page with too much markup to read safely: more than {HTML_MAX_MARKUP:,} tags and attributes "
            "(an attribute counting as two)"
        )
    return None


def _html_attributes(data: bytes, budget: int) -> int | None:
    """
    The attributes of the page's tags, counted until twice their number passes `budget`; `None` when a tag has more
    than `HTML_MAX_TAG_ATTRIBUTES`.
    """
    position = 0
    counted = 0
    while 2 * counted <= budget and (tag := _HTML_TAG_START.search(data, position)):
        attributes = _HTML_ATTRIBUTES.match(data, tag.end())
        assert attributes is not None  # it matches zero attributes too
        position = attributes.end()
        if position > tag.end():
            if _HTML_ONE_ATTRIBUTE.match(data, position):
                return None
            counted += len(_HTML_ONE_ATTRIBUTE.findall(data, tag.end(), position))
    return counted


class _OverLimit(Exception):
    """A document over one of the limits; the message is the reason given."""


def pdf_problem(stream: BinaryIO) -> str | None:
    """
    A PDF that is not one, cannot be parsed, is password-protected, or whose text would cost more to extract than
    the limits allow (pages, unpacked streams, text); `None` for a readable PDF within them.
    """
    if not stream.read(5).startswith(b"%PDF-"):
        return "not a PDF file (no %PDF- header)"
    stream.seek(-5, io.SEEK_CUR)
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import DependencyError, LimitReachedError

    try:
        with apply_configuration(**_pdf_check_configuration()):
            reader = PdfReader(stream)
            if reader.is_encrypted and not reader.decrypt(""):
                return "encrypted PDF (password-protected): remove the password to index it"
            _PdfMeter(reader).check()
    except _OverLimit as refusal:
        return str(refusal)
    except LimitReachedError as error:
        return _pdf_limit_reason(error)
    except DependencyError:
        return "encrypted PDF (its encryption needs the 'cryptography' package to be read)"
    except Exception as error:
        return f"damaged PDF, it cannot be read ({_short(error)})"
    return None


def _pdf_check_configuration() -> dict[str, int]:
    """pypdf's own limits, lowered for the check: no stream unpacks past the PDF limit, the page tree stays small."""
    cap = PDF_MAX_UNPACKED_BYTES
    return {
        "zlib_maximum_output_length": cap,
        "lzw_maximum_output_length": cap,
        "run_length_maximum_output_length": cap,
        "brotli_maximum_output_length": cap,
        "array_based_stream_maximum_output_length": cap,
        "stream_decoding_work_maximum_length": 4 * cap,
        "page_tree_maximum_entries": 2 * PDF_MAX_PAGES,
    }


def _pdf_limit_reason(error: Exception) -> str:
    """The reason for a limit of pypdf's reached in the check: ours where it is ours, pypdf's own otherwise."""
    message = str(error).lower()
    if "page tree" in message:
        return _too_many_pages_reason()
    if "decompress" in message or "output length" in message or "decoding work" in message:
        return f"{_unpacks_reason(PDF_MAX_UNPACKED_BYTES)} ({_short(error)})"
    return f"a PDF beyond the limits of the PDF reader ({_short(error)})"


def _too_many_pages_reason() -> str:
    return f"a PDF of more than {PDF_MAX_PAGES:,} pages (the limit)"


def _unpacks_reason(limit: int) -> str:
    return f"unpacks to more than {limit // MB} MB"


def _short(error: BaseException) -> str:
    return " ".join(str(error).split())[:200] or type(error).__name__


class _PdfMeter:
    """
    Unpacks, one at a time and without keeping them, the streams that extracting a PDF's text reads (object streams,
    pages' contents, form XObjects, fonts' character maps) and raises `_OverLimit` past a limit.

    `unpacked` counts a page's content (and the forms it draws, as often as it may draw them) for every page, and
    every other stream once; `amplification` is the most characters a font turns one character code into.
    """

    def __init__(self, reader: Any) -> None:
        self.reader = reader
        self.unpacked = 0
        self.amplification = 1
        self.counted: set[int] = set()
        self.forms: dict[int, tuple[int, int]] = {}

    def check(self) -> None:
        """Raises `_OverLimit` with the reason when the PDF is over a limit."""
        for number in sorted({place[0] for place in self.reader.xref_objStm.values()}):
            self._count_once(self.reader.get_object(number))  # before any object in them is read (and kept)
        if len(self.reader.pages) > PDF_MAX_PAGES:
            raise _OverLimit(_too_many_pages_reason())
        for number, page in enumerate(self.reader.pages, start=1):
            work = self._page_work(page)
            if work > PDF_MAX_PAGE_BYTES:
                raise _OverLimit(f"page {number} {_unpacks_reason(PDF_MAX_PAGE_BYTES)} (the limit for one page)")
            self._add(work)
            if self.unpacked * self.amplification > PDF_MAX_TEXT_CHARS:
                raise _OverLimit(
                    f"its fonts turn one character code into up to {self.amplification} characters: its text could "
                    f"be more than {PDF_MAX_TEXT_CHARS // MB} million characters (the limit)"
                )

    def _add(self, size: int) -> None:
        self.unpacked += size
        if self.unpacked > PDF_MAX_UNPACKED_BYTES:
            raise _OverLimit(_unpacks_reason(PDF_MAX_UNPACKED_BYTES))

    def _unpack(self, stream: Any) -> bytes:
        """The stream's bytes, unpacked under the check's caps and not kept (`stream.get_data()` would keep them)."""
        from pypdf.filters import decode_stream_data

        return decode_stream_data(stream) if "/Filter" in stream else stream.get_data()

    def _count_once(self, stream: Any) -> bytes | None:
        """Unpacks a stream read once whatever draws it (an object stream, a font's map) and counts it once."""
        from pypdf.generic import StreamObject

        if not isinstance(stream, StreamObject) or id(stream) in self.counted:
            return None
        self.counted.add(id(stream))
        data = self._unpack(stream)
        self._add(len(data))
        return data

    def _page_work(self, page: Any) -> int:
        """The bytes of content extracting the page's text parses: its contents and the forms they draw."""
        resources = _resolved(page.get_inherited("/Resources", None))
        self._count_fonts(resources)
        forms = self._forms(resources, depth=0)
        contents = _resolved(page.get("/Contents"))
        work = 0
        for stream in contents if isinstance(contents, list) else [contents]:
            if _is_stream(stream):
                data = self._unpack(stream)
                work += len(data) + _drawn_forms_work(data, forms)
        return work

    def _forms(self, resources: Any, depth: int) -> dict[bytes, tuple[int, int]]:
        """The form XObjects of a resource dictionary by name: (the work of drawing one, its largest single content)."""
        xobjects = _resolved(resources.get("/XObject")) if isinstance(resources, dict) else None
        if not isinstance(xobjects, dict):
            return {}
        forms = {}
        for name, reference in xobjects.items():
            form = _resolved(reference)
            if _is_stream(form) and form.get("/Subtype") == "/Form":
                forms[str(name).lstrip("/").encode()] = self._form_work(form, depth + 1)
        return forms

    def _form_work(self, form: Any, depth: int) -> tuple[int, int]:
        """(the bytes drawing the form once parses, its nested forms included; the largest one form's content)."""
        if id(form) in self.forms:
            return self.forms[id(form)]
        if depth > PDF_MAX_FORM_DEPTH:
            raise _OverLimit(f"a PDF with form XObjects nested more than {PDF_MAX_FORM_DEPTH} deep")
        self.forms[id(form)] = (0, 0)  # a cycle: pypdf skips a form that draws itself
        resources = _resolved(form.get("/Resources"))
        self._count_fonts(resources)
        data = self._unpack(form)
        nested = self._forms(resources, depth)
        largest = max([len(data), *(single for _, single in nested.values())])
        work = min(len(data) + _drawn_forms_work(data, nested), PDF_MAX_UNPACKED_BYTES + 1)
        self.forms[id(form)] = (work, largest)
        return work, largest

    def _count_fonts(self, resources: Any) -> None:
        """Counts the fonts' streams pypdf reads for text (character maps; a Type 1 font's program without one)."""
        fonts = _resolved(resources.get("/Font")) if isinstance(resources, dict) else None
        if not isinstance(fonts, dict):
            return
        for reference in fonts.values():
            font = _resolved(reference)
            if not isinstance(font, dict) or id(font) in self.counted:
                continue
            self.counted.add(id(font))
            cmap = self._count_once(_resolved(font.get("/ToUnicode")))
            if cmap:
                self.amplification = max(self.amplification, _cmap_amplification(cmap))
            self._count_once(_resolved(font.get("/Encoding")))
            descriptor = _resolved(font.get("/FontDescriptor"))
            if cmap is None and isinstance(descriptor, dict):
                for key in ("/FontFile", "/FontFile3"):
                    self._count_once(_resolved(descriptor.get(key)))


_DO_OPERATOR = re.compile(rb"/([^\s/\[\]()<>{}%]+)\s*Do\b")
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")  # `/F#31` names `/F1`
_HEX_STRING = re.compile(rb"<([0-9A-Fa-f\s]*)>")


def _drawn_forms_work(content: bytes, forms: dict[bytes, tuple[int, int]]) -> int:
    """
    An upper bound of the bytes pypdf parses drawing forms from `content`: each `/Name Do` of a form costs that
    form's work, and pypdf draws at most `_PDF_FORM_INVOCATIONS` forms per page, each at most the largest content.
    """
    if not forms or b"Do" not in content:
        return 0
    drawn = 0
    for match in _DO_OPERATOR.finditer(content):
        name = _NAME_ESCAPE.sub(lambda escape: bytes([int(escape.group(1), 16)]), match.group(1))
        if name in forms:
            drawn = min(drawn + forms[name][0], PDF_MAX_UNPACKED_BYTES + 1)
    largest = max(single for _, single in forms.values())
    return min(drawn, _PDF_FORM_INVOCATIONS * largest)


def _cmap_amplification(cmap: bytes) -> int:
    """The most characters a /ToUnicode map gives one code: its longest hex string (UTF-16, 4 digits a unit)."""
    longest = max((len(re.sub(rb"\s", b"", digits)) for digits in _HEX_STRING.findall(cmap)), default=0)
    return max(1, longest // 4)


def _resolved(value: Any) -> Any:
    """A PDF object with indirect references followed (lists of them too); `None` stays `None`."""
    if value is None:
        return None
    value = value.get_object() if hasattr(value, "get_object") else value
    if isinstance(value, list):
        return [item.get_object() if hasattr(item, "get_object") else item for item in value]
    return value


def _is_stream(value: Any) -> bool:
    from pypdf.generic import StreamObject

    return isinstance(value, StreamObject)


def docx_problem(stream: BinaryIO) -> str | None:
    """
    A DOCX file that is not a Word document (a DOCX is a ZIP archive holding `word/document.xml`), is damaged, or
    unpacks to more than the limits allow; `None` for a Word document within them.
    """
    head = stream.read(4)
    stream.seek(-len(head), io.SEEK_CUR)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "not a DOCX file: an old Word .doc file (save it as .docx to index it)"
    if not head.startswith(b"PK\x03\x04"):
        return "not a DOCX file (a Word .docx file is a ZIP archive)"
    archive = None
    try:
        with zipfile.ZipFile(stream) as archive:
            if "word/document.xml" not in archive.namelist():
                return "not a DOCX file (the archive holds no word/document.xml)"
            return zip_problem(archive)
    except zipfile.BadZipFile as error:
        return (
            "damaged DOCX file (not a readable ZIP archive)"
            if archive is None
            else f"damaged DOCX file ({_short(error)})"
        )
    except Exception as error:
        return f"damaged DOCX file, it cannot be unpacked ({_short(error)})"


def zip_problem(archive: zipfile.ZipFile) -> str | None:
    """
    Why a ZIP-based document (DOCX) unpacks to too much: first by what its central directory states (parts, sizes,
    compression ratios), then by streaming every part through the decompressor with a hard cap, as a directory may
    state sizes that are not true. Nothing unpacked is kept.

    :raises zipfile.BadZipFile: When a part is damaged (its CRC does not match).
    """
    return _zip_directory_problem(archive.infolist()) or _zip_stream_problem(archive)


def _zip_directory_problem(members: list[zipfile.ZipInfo]) -> str | None:
    if len(members) > ZIP_MAX_MEMBERS:
        return f"an archive of more than {ZIP_MAX_MEMBERS:,} parts (the limit)"
    unpacked = sum(member.file_size for member in members)
    if unpacked > DOCX_MAX_UNPACKED_BYTES:
        return _unpacks_reason(DOCX_MAX_UNPACKED_BYTES)
    packed = sum(member.compress_size for member in members)
    sizes = [(member.file_size, member.compress_size) for member in members] + [(unpacked, packed)]
    return next(
        (_ratio_reason(size, packed_size) for size, packed_size in sizes if _too_packed(size, packed_size)), None
    )


def _too_packed(unpacked: int, packed: int) -> bool:
    return unpacked > ZIP_RATIO_MIN_BYTES and unpacked > ZIP_MAX_RATIO * max(packed, 1)


def _ratio_reason(unpacked: int, packed: int) -> str:
    return (
        f"unpacks to {unpacked // max(packed, 1):,} times its packed size (the limit is {ZIP_MAX_RATIO}): a ZIP bomb?"
    )


def _zip_stream_problem(archive: zipfile.ZipFile) -> str | None:
    """Streams every part, counting the bytes that really come out, and stops at the first one past a limit."""
    unpacked = 0
    xml = 0
    for member in archive.infolist():
        size = 0
        is_xml = True
        with archive.open(member) as part:
            while chunk := part.read(_CHUNK_BYTES):
                is_xml = is_xml and (size > 0 or _may_be_xml(chunk))
                size += len(chunk)
                unpacked += len(chunk)
                xml += len(chunk) if is_xml else 0
                if unpacked > DOCX_MAX_UNPACKED_BYTES:
                    return _unpacks_reason(DOCX_MAX_UNPACKED_BYTES)
                if xml > DOCX_MAX_XML_BYTES:
                    return f"its XML parts unpack to more than {DOCX_MAX_XML_BYTES // MB} MB"
        if _too_packed(size, member.compress_size):
            return _ratio_reason(size, member.compress_size)
    return None


def _may_be_xml(start: bytes) -> bool:
    """Whether a part starting with these bytes may be XML (which python-docx parses), rather than a picture."""
    text = start.lstrip(b" \t\r\n\xef\xbb\xbf")
    return not text or text.startswith((b"<", b"\xff\xfe", b"\xfe\xff"))


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
