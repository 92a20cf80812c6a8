"""Uploaded files: their names, their checks, and indexing them from memory (no model)."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractive_qa import QuestionAnswerer, Settings
from extractive_qa.indexing.indexer import index_uploads
from extractive_qa.indexing.uploads import Upload, check_upload, upload_name
from extractive_qa.testing.documents import docx_file, html_page, image_only_pdf, pdf_file


@pytest.mark.parametrize(
    ("given", "name"),
    [
        ("report.pdf", "report.pdf"),
        ("C:\\Users\\ann\\report.pdf", "report.pdf"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("/abs/path/notes.md", "notes.md"),
        ("  spaced.txt ", "spaced.txt"),
        ("dir/", "dir"),
        ("", ""),
        (None, ""),
    ],
)
def test_upload_names_keep_only_the_last_part(given: str | None, name: str) -> None:
    assert upload_name(given) == name


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("notes.txt", b"Some text.", None),
        ("", b"Some text.", "the file has no name"),
        ("a" * 300 + ".txt", b"Some text.", "the file name is too long (304 characters; the limit is 255)"),
        ("bad\x07name.txt", b"Some text.", "the file name holds control characters"),
        ("notes.txt", b"", "empty file"),
        ("program.exe", b"MZ\x90\x00", "unsupported file type '.exe'"),
        ("README", b"Some text.", "unsupported file type 'README'"),
        ("fake.pdf", b"this is not a PDF", "not a PDF file (no %PDF- header)"),
        ("fake.docx", b"%PDF-1.4", "not a DOCX file"),
        ("binary.md", bytes(range(256)), "binary file, not text"),
    ],
)
def test_check_upload(name: str, data: bytes, reason: str | None) -> None:
    found = check_upload(Upload(name=name, data=data))
    assert found == reason if reason is None else (found is not None and found.startswith(reason)), found


def test_index_uploads_writes_each_type_and_replaces_a_name(tmp_path: Path) -> None:
    qa = QuestionAnswerer(Settings(store_path=tmp_path / "store.json"))
    uploads = [
        Upload.named("C:\\docs\\engine.pdf", pdf_file(["The Quorvex engine weighs 40 tonnes.", "Page two."])),
        Upload.named("festival.html", html_page("Zorblat", ["The Zorblat festival is held in Quillington."]).encode()),
        Upload.named("bridge.docx", docx_file(["The Quillington bridge opened in 1877."])),
        Upload.named("scan.pdf", image_only_pdf()),
        Upload.named("fake.pdf", b"not a pdf"),
    ]
    report = index_uploads(qa.indexing_pipeline, qa.document_store, uploads)
    assert report.files_read == 3
    assert report.passages_per_source == {"engine.pdf": 1, "festival.html": 1, "bridge.docx": 1}
    reasons = dict(report.skipped)
    assert reasons["fake.pdf"] == "not a PDF file (no %PDF- header)"
    assert reasons["scan.pdf"].startswith("image-only PDF")
    paths = {d.meta["file_path"] for d in qa.document_store.filter_documents()}
    assert paths == {"engine.pdf", "festival.html", "bridge.docx"}  # names only, never a client's or server's path

    again = index_uploads(qa.indexing_pipeline, qa.document_store, [Upload.named("engine.pdf", pdf_file(["New."]))])
    assert (again.passages_written, again.passages_removed) == (1, 1)
    engine = qa.document_store.filter_documents({"field": "meta.file_name", "operator": "==", "value": "engine.pdf"})
    assert [d.content.strip() for d in engine] == ["New."]
