"""Which files are indexed and why the others are skipped: special files met while walking a folder, and each
document type's checks (no model)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from extractive_qa.indexing.files import check_file, iter_files, special_file_reason
from extractive_qa.indexing.report import IndexReport
from extractive_qa.testing.documents import docx_file, encrypted_pdf, html_page, image_only_pdf, pdf_file
from extractive_qa.testing.processes import run_cli


@pytest.fixture
def unix_socket(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "folder" / "listening.sock"
    path.parent.mkdir(exist_ok=True)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.bind(str(path))
        yield path


@pytest.fixture
def special_folder(tmp_path: Path, unix_socket: Path) -> Path:
    """A folder with one good file and every kind of special entry a walk can meet."""
    folder = unix_socket.parent
    (folder / "good.txt").write_text("The Zorblat festival is held in Quillington.\n")
    os.mkfifo(folder / "pipe.txt")
    (folder / "loop-a.txt").symlink_to(folder / "loop-b.txt")
    (folder / "loop-b.txt").symlink_to(folder / "loop-a.txt")
    (folder / "self.md").symlink_to(folder / "self.md")
    (folder / "broken.txt").symlink_to(folder / "missing.txt")
    (folder / "sub").mkdir()
    (folder / "sub" / "up").symlink_to(folder)  # a folder link back up: walked once, not forever
    return folder


def test_special_files_met_in_a_folder_are_skipped_with_one_reason_each(special_folder: Path) -> None:
    report = IndexReport()
    files = list(iter_files([special_folder], report))
    assert files == [(special_folder / "good.txt").resolve()]
    reasons = {Path(path).name: reason for path, reason in report.skipped}
    assert reasons == {
        "listening.sock": "not a regular file (a socket)",
        "pipe.txt": "not a regular file (a named pipe)",
        "loop-a.txt": "symbolic link loop",
        "loop-b.txt": "symbolic link loop",
        "self.md": "symbolic link loop",
        "broken.txt": "broken symbolic link",
    }


def test_special_files_given_directly(tmp_path: Path, unix_socket: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    assert special_file_reason(tmp_path / "fifo") == "not a regular file (a named pipe)"
    assert special_file_reason(unix_socket) == "not a regular file (a socket)"
    assert special_file_reason(Path("/dev/null")) == "not a regular file (a device)"
    assert special_file_reason(tmp_path / "nothing-here") == "no such file or directory"
    assert special_file_reason(tmp_path) is None
    report = IndexReport()
    assert list(iter_files([tmp_path / "fifo", Path("/dev/null")], report)) == []
    assert [reason for _, reason in report.skipped] == [
        "not a regular file (a named pipe)",
        "not a regular file (a device)",
    ]


def test_the_command_line_skips_a_fifo_without_waiting_on_it(special_folder: Path, tmp_path: Path) -> None:
    done = run_cli(
        "index", str(special_folder), "--no-progress", env={"EQA_STORE_PATH": str(tmp_path / "store.json")}, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("indexed 1 file(s)")
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 6 and all(line.startswith("skipped ") for line in lines), done.stderr
    assert any(line.endswith("pipe.txt: not a regular file (a named pipe)") for line in lines)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("page.html", html_page("Title", ["Some text."]).encode(), None),
        ("page.htm", "<p>caf\xe9</p>".encode("latin-1"), "not UTF-8 text (invalid byte at offset 6)"),
        ("notes.docx", docx_file(["Some text."]), None),
        ("notes.docx", b"plain text pretending", "not a DOCX file (a Word .docx file is a ZIP archive)"),
        ("old.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "an old Word .doc file"),
        ("report.pdf", pdf_file(["Page one."]), None),
        ("locked.pdf", encrypted_pdf(["Secret page."]), "encrypted PDF (password-protected)"),
        ("cut.pdf", pdf_file(["Page one."])[:60], "damaged PDF, it cannot be read"),
        ("scan.pdf", image_only_pdf(), None),  # passes the checks; the indexer says why it gives no passage
        ("empty.html", b"", "empty file"),
        ("slides.pptx", b"PK\x03\x04", "unsupported file type '.pptx'"),
    ],
)
def test_each_document_type_is_checked(tmp_path: Path, name: str, content: bytes, reason: str | None) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    found = check_file(path)
    if reason is None:
        assert found is None
    else:
        assert found is not None and reason in found, found
