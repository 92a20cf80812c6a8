"""`QuestionAnswerer.index_uploads`: the one write path of uploaded files (the server's `/upload` goes through it)."""

from __future__ import annotations

from pathlib import Path

from extractive_qa import QuestionAnswerer, Settings
from extractive_qa.indexing.uploads import Upload


def test_uploads_are_indexed_kept_and_replaced_by_name(tmp_path: Path) -> None:
    settings = Settings(store_path=tmp_path / "store")
    qa = QuestionAnswerer(settings)
    report = qa.index_uploads(
        [Upload.named("C:\\docs\\notes.txt", b"The office moved to Leipzig in 2021."), Upload.named("run.exe", b"MZ")]
    )
    assert report.files_read == 1 and report.passages_per_source == {"notes.txt": 1}
    assert [name for name, _ in report.skipped] == ["run.exe"]
    reopened = QuestionAnswerer(settings)  # what was written is kept
    assert [source.name for source in reopened.sources()] == ["notes.txt"]
    again = reopened.index_uploads([Upload.named("notes.txt", b"The office moved to Dresden in 2023.")])
    assert again.files_read == 1 and reopened.count_documents() == 1  # the name's passages replaced, not added
