"""Sources on Elasticsearch: listed from the passages' metadata, removed whole, incremental indexing with --sync."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from extractive_qa.errors import SourceNotFound
from extractive_qa.testing.collection_copies import copy_collection
from extractive_qa.testing.elasticsearch import es_answerer


def test_sources_are_listed_removed_and_kept_in_sync(
    es_url: str, es_index: str, es_client: Any, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    copy_collection(docs)
    qa = es_answerer(es_url, es_index, tmp_path)
    assert qa.sources() == []  # no index yet
    first = qa.index([docs], sync=True)
    assert (first.new, first.unchanged) == (35, 0)
    sources = {source.name: source for source in qa.sources()}
    assert len(sources) == 35 and sum(s.passages for s in sources.values()) == qa.count_documents()
    oxygen = sources["Oxygen.txt"]
    assert (oxygen.passages, oxygen.type, oxygen.size) == (37, "text", (docs / "Oxygen.txt").stat().st_size)
    assert [s.name for s in qa.sources("normans")] == ["Normans.txt"]

    total = qa.count_documents()
    removed, passages = qa.remove_source(oxygen.id)
    assert (removed.name, passages) == ("Oxygen.txt", 37)
    assert qa.count_documents() == total - 37 and "Oxygen.txt" not in {s.name for s in qa.sources()}
    with pytest.raises(SourceNotFound):
        qa.remove_source(oxygen.id)
    assert qa.count_documents() == total - 37

    (docs / "Normans.txt").unlink()
    (docs / "Warsaw.txt").write_text("Warsaw is the capital of Poland.", "utf-8")
    synced = qa.index([docs], sync=True)
    assert (synced.new, synced.changed, synced.unchanged, synced.removed) == (1, 1, 32, 1)  # Oxygen.txt is new again
    names = {s.name: s.passages for s in qa.sources()}
    assert "Normans.txt" not in names and names["Warsaw.txt"] == 1 and names["Oxygen.txt"] == 37
    assert qa.count_documents() == sum(names.values())
