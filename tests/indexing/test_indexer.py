"""Indexing texts given in memory: written, replaced, saved, and checked before anything is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractive_qa import QuestionAnswerer, Settings
from extractive_qa.errors import InvalidText


def test_index_texts_writes_replaces_and_saves(tmp_path: Path) -> None:
    store = tmp_path / "store.json"
    qa = QuestionAnswerer(Settings(store_path=store))
    words = " ".join(f"word{i}" for i in range(450))
    report = qa.index_texts([{"name": "long.txt", "content": words, "meta": {"topic": "t"}}, "A short text."])
    assert report.files_read == 2 and report.passages_written == 4  # 450 words: 3 passages of 200 with overlap
    passages = qa.document_store.filter_documents({"field": "meta.file_name", "operator": "==", "value": "long.txt"})
    assert len(passages) == 3 and all(p.meta["topic"] == "t" for p in passages)

    report = qa.index_texts([{"name": "long.txt", "content": "Now only a few words.", "meta": {"topic": "t"}}])
    assert (report.passages_written, report.passages_removed) == (1, 3)
    assert qa.count_documents() == 2
    reloaded = QuestionAnswerer(Settings(store_path=store))  # saved to the store file
    names = {d.meta["file_name"] for d in reloaded.document_store.filter_documents()}
    assert "long.txt" in names and len(names) == 2


def test_index_texts_checks_everything_before_writing(tmp_path: Path) -> None:
    qa = QuestionAnswerer(Settings(store_path=tmp_path / "store.json"))
    with pytest.raises(InvalidText, match=r"texts\[1\].content is empty"):
        qa.index_texts(["fine text", "   "])
    with pytest.raises(InvalidText, match="share the name"):
        qa.index_texts([{"name": "a", "content": "x"}, {"name": "a", "content": "y"}])
    assert qa.count_documents() == 0
