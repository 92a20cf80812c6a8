"""The limits that bound what indexing one file costs: a ZIP-bomb DOCX, FlateDecode-bomb PDFs, PDFs with too many
pages or nested objects, web pages with too much markup, files too large for their type. Each is refused by the
check before any converter reads it (one line saying why), on disk and as an upload, and a real command-line run over
them stays within a stated memory bound."""

from __future__ import annotations

import dataclasses
import io
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from extractive_qa.document_types import DOCX, HTML, MB, PDF, TEXT
from extractive_qa.indexing import formats
from extractive_qa.indexing.files import check_file
from extractive_qa.indexing.formats import check_document
from extractive_qa.indexing.uploads import Upload, check_upload
from extractive_qa.testing.documents import (
    docx_file,
    form_bomb_pdf,
    html_page,
    ligature_bomb_pdf,
    nested_pdf,
    object_stream_pdf,
    pdf_file,
    text_bomb_pdf,
    zip_bomb_docx,
)
from extractive_qa.testing.processes import process_environment

# Peak RSS a command-line run over hostile files may add to the same run over ordinary files. Before the limits, the
# 1.5 GiB ZIP bomb alone added 2.9 GB (3.7 GB against 0.8 GB) and the PDF bombs here would run for hours.
MEMORY_BOUND_MIB = 300

_MEASURED_RUN = """
import json, resource, sys
from extractive_qa.testing.processes import run_cli
result = run_cli(*sys.argv[1:], timeout=240)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"returncode": result.returncode, "output": result.stdout + result.stderr, "peak_mib": peak}))
"""


def _measured_cli(*args: str, store: Path) -> dict:
    """Runs `extractive-qa ARGS` with `run_cli` in a process of its own, so that `RUSAGE_CHILDREN` there is this
    command's peak RSS alone; returns its exit code, its output and `peak_mib`."""
    env = process_environment(EQA_STORE_PATH=str(store))
    done = subprocess.run(
        [sys.executable, "-c", _MEASURED_RUN, *args], capture_output=True, text=True, env=env, timeout=300, check=True
    )
    return json.loads(done.stdout)


def _skipped(output: str) -> dict[str, str]:
    lines = [line.removeprefix("skipped ") for line in output.splitlines() if line.startswith("skipped ")]
    return {Path(line.split(": ", 1)[0]).name: line.split(": ", 1)[1] for line in lines}


@pytest.fixture(scope="module")
def ordinary_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A command-line run over ordinary files: a Word file with a 19 MB picture, a PDF and a web page."""
    folder = tmp_path_factory.mktemp("ordinary")
    (folder / "bridge.docx").write_bytes(docx_file(["The Quillington bridge opened in 1877."], image_bytes=19 * MB))
    (folder / "engine.pdf").write_bytes(pdf_file(["The Quorvex engine weighs 40 tonnes."]))
    (folder / "festival.html").write_text(html_page("Zorblat", ["The Zorblat festival is held in Quillington."]))
    return _measured_cli("index", str(folder), store=folder / "store")


def test_ordinary_files_with_a_big_picture_are_indexed(ordinary_run: dict) -> None:
    assert ordinary_run["returncode"] == 0, ordinary_run["output"]
    assert "indexed 3 file(s)" in ordinary_run["output"] and "skipped" not in ordinary_run["output"]


def test_a_zip_bomb_docx_is_refused_by_the_command_line_without_unpacking(tmp_path: Path, ordinary_run: dict) -> None:
    bomb = tmp_path / "bomb.docx"
    bomb.write_bytes(zip_bomb_docx())  # 1.6 MB whose document.xml unpacks to 1.5 GiB
    run = _measured_cli("index", str(bomb), store=tmp_path / "store")
    assert run["returncode"] == 1, run["output"]  # nothing could be indexed
    assert _skipped(run["output"]) == {"bomb.docx": "unpacks to more than 128 MB"}
    assert run["peak_mib"] < ordinary_run["peak_mib"] + MEMORY_BOUND_MIB, (run["peak_mib"], ordinary_run["peak_mib"])


def test_pdf_and_html_bombs_are_skipped_by_the_command_line_within_the_memory_bound(
    tmp_path: Path, ordinary_run: dict
) -> None:
    folder = tmp_path / "hostile"
    folder.mkdir()
    (folder / "shared.pdf").write_bytes(text_bomb_pdf(2_000, 1 * MB))  # 0.2 MB: 2 GB of text once every page is read
    (folder / "streams.pdf").write_bytes(text_bomb_pdf(100, 1_900_000, shared=False))  # 0.2 MB, 190 MB of streams
    (folder / "pages.pdf").write_bytes(text_bomb_pdf(12_000, 10))
    (folder / "nested.pdf").write_bytes(nested_pdf(1_000_000))
    (folder / "tags.html").write_bytes(b"<html><body>" + b"<p>w</p>" * 2_000_000)  # 16 MB of tags
    (folder / "attributes.html").write_bytes(b"<p" + b"".join(b" a%d=x" % i for i in range(100_000)) + b">x</p>")
    (folder / "notes.txt").write_text("The Quillington bridge opened in 1877.")
    run = _measured_cli("index", str(folder), store=tmp_path / "store")
    assert run["returncode"] == 0 and "indexed 1 file(s)" in run["output"], run["output"]
    skipped = _skipped(run["output"])
    assert skipped == {
        "shared.pdf": "unpacks to more than 32 MB",
        "streams.pdf": "unpacks to more than 32 MB",
        "pages.pdf": "a PDF of more than 10,000 pages (the limit)",
        "nested.pdf": skipped["nested.pdf"],
        "tags.html": "a web page with too much markup to read safely: more than 300,000 tags and attributes "
        "(an attribute counting as two)",
        "attributes.html": "a web page with a tag of more than 1,000 attributes (the limit)",
    }
    assert skipped["nested.pdf"].startswith("damaged PDF, it cannot be read")
    assert run["peak_mib"] < ordinary_run["peak_mib"] + MEMORY_BOUND_MIB, (run["peak_mib"], ordinary_run["peak_mib"])


def _seconds(kind: formats.DocumentType, data: bytes) -> tuple[str | None, float]:
    started = time.perf_counter()
    reason = check_document(kind, io.BytesIO(data))
    return reason, time.perf_counter() - started


def test_the_zip_bomb_is_refused_from_its_directory_at_once() -> None:
    bomb = zip_bomb_docx()
    reason, seconds = _seconds(DOCX, bomb)
    assert reason == "unpacks to more than 128 MB"
    assert seconds < 0.5  # nothing unpacked: the central directory says it
    assert check_upload(Upload("bomb.docx", bomb)) == reason  # the upload path asks the same check


def test_a_docx_compressed_like_no_real_file_is_refused_as_a_zip_bomb() -> None:
    reason = check_document(DOCX, io.BytesIO(zip_bomb_docx(100 * MB)))  # 100 MB from 0.1 MB, under the size limit
    assert reason == "unpacks to 1,010 times its packed size (the limit is 200): a ZIP bomb?"


def test_a_docx_whose_directory_understates_its_sizes_is_refused() -> None:
    lying = zip_bomb_docx(300 * MB, declared_bytes=1_000)  # says 1 kB, holds 300 MB
    reason, seconds = _seconds(DOCX, lying)
    assert reason == "damaged DOCX file (Bad CRC-32 for file 'word/document.xml')"
    assert seconds < 0.5  # the part was read only as far as stated, and then failed its checksum


def test_xml_parts_are_counted_while_streaming(monkeypatch: pytest.MonkeyPatch) -> None:
    long_paragraph = "A long report about the bridges and the rivers of Quillington, written line by line. " * 5
    document = docx_file([f"{i}. {long_paragraph}" for i in range(3_000)])
    assert check_document(DOCX, io.BytesIO(document)) is None
    monkeypatch.setattr(formats, "DOCX_MAX_XML_BYTES", 1 * MB)  # the XML unpacks to ~1.5 MB; the directory can't tell
    assert check_document(DOCX, io.BytesIO(document)) == "its XML parts unpack to more than 1 MB"


def test_a_word_file_with_a_big_picture_passes() -> None:
    document = docx_file(["A report with a photograph."], image_bytes=19 * MB)
    assert len(document) > 19 * MB
    assert check_document(DOCX, io.BytesIO(document)) is None
    assert check_upload(Upload("photo.docx", document)) is None


@pytest.mark.parametrize(
    ("name", "pdf", "reason"),
    [
        ("one shared stream", lambda: text_bomb_pdf(40, 1 * MB), "unpacks to more than 32 MB"),
        ("a stream per page", lambda: text_bomb_pdf(17, 1_900_000, shared=False), "unpacks to more than 32 MB"),
        ("under the limit", lambda: text_bomb_pdf(16, 1_900_000, shared=False), None),
        (
            "a page too big",
            lambda: text_bomb_pdf(1, 2_100_000),
            "page 1 unpacks to more than 2 MB (the limit for one page)",
        ),
        ("a page at the limit", lambda: text_bomb_pdf(1, 1_990_000), None),
        ("too many pages", lambda: text_bomb_pdf(10_001, 10), "a PDF of more than 10,000 pages (the limit)"),
        ("a stream past the cap", lambda: text_bomb_pdf(1, 40 * MB), "unpacks to more than 32 MB"),
        ("an object stream bomb", lambda: object_stream_pdf(40 * MB), "unpacks to more than 32 MB"),
        ("an object stream", lambda: object_stream_pdf(1 * MB), None),
        ("a form drawn 5,000 times", lambda: form_bomb_pdf(1, 5_000, 1_000), "page 1 unpacks to more than 2 MB"),
        ("a form drawn on 100 pages", lambda: form_bomb_pdf(100, 1_000, 1_000), "unpacks to more than 32 MB"),
        ("a form drawn 3 times", lambda: form_bomb_pdf(1, 3, 1_000), None),
        ("ligatures", lambda: ligature_bomb_pdf(3, 1 * MB), None),
        ("a 250-character ligature", lambda: ligature_bomb_pdf(250, 1 * MB), "its fonts turn one character code into"),
    ],
)
def test_pdf_limits(name: str, pdf, reason: str | None) -> None:
    found, seconds = _seconds(PDF, pdf())
    assert found == reason if reason is None else (found is not None and found.startswith(reason)), found
    assert seconds < 5


def test_a_pdf_of_deeply_nested_objects_is_refused_quickly() -> None:
    found, seconds = _seconds(PDF, nested_pdf(1_000_000))
    assert found is not None and found.startswith("damaged PDF, it cannot be read"), found
    assert seconds < 1
    assert check_document(PDF, io.BytesIO(nested_pdf(20))) is None


def _tags(count: int) -> bytes:
    return b"<html><body>" + b"<b>w</b>" * ((count - 2) // 2)  # each element two `<`


def _attributes(count: int) -> bytes:
    return b"<p" + b"".join(b" a%d=x" % i for i in range(count)) + b">x</p>"


@pytest.mark.parametrize(
    ("page", "refused"),
    [
        (_tags(300_000), False),
        (_tags(300_002), True),
        (_attributes(1_000), False),
        (_attributes(1_001), True),
        (b"<p" + b"".join(b' a%d="<b c=>"' % i for i in range(1_001)) + b">x</p>", True),  # quoted `<` and `>`
        (b"<div>" * 8 + b"".join(b"<p" + b" a=1" * 900 + b">" for _ in range(170)), True),  # 153,000 attributes, x2
    ],
)
def test_html_limits(page: bytes, refused: bool) -> None:
    found, seconds = _seconds(HTML, page)
    assert (found is not None) == refused, found
    assert seconds < 2


def test_the_attribute_scan_is_linear_on_a_tag_that_never_ends() -> None:
    found, seconds = _seconds(HTML, b"<a" + b" b" * 9_000_000)  # 18 MB, one tag
    assert found == "a web page with a tag of more than 1,000 attributes (the limit)"
    assert seconds < 1


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("big.txt", "larger than 32 MB (the limit for text files)"),
        ("big.md", "larger than 32 MB (the limit for Markdown files)"),
        ("big.html", "larger than 20 MB (the limit for HTML files)"),
        ("big.pdf", "larger than 128 MB (the limit for PDF files)"),
        ("big.docx", "larger than 128 MB (the limit for Word files)"),
    ],
)
def test_files_too_large_for_their_type_are_refused_unread(tmp_path: Path, name: str, reason: str) -> None:
    path = tmp_path / name
    with path.open("wb") as sparse:  # a hole, not bytes: nothing is written, and nothing should be read
        sparse.truncate(formats.document_type(name).max_bytes + 1)  # type: ignore[union-attr]
    assert check_file(path) == reason


def test_a_stream_that_cannot_seek_is_read_up_to_the_limit() -> None:
    class Pipe(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.source = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
            return self.source.readinto(buffer)

    small = dataclasses.replace(TEXT, max_bytes=2 * MB)
    assert check_document(small, io.BufferedReader(Pipe(b"word " * 200_000))) is None
    assert (
        check_document(small, io.BufferedReader(Pipe(b"word " * 500_000)))
        == "larger than 2 MB (the limit for text files)"
    )
