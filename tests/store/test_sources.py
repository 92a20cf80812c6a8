"""Listing and removing sources on the embedded and in-memory stores: exact counts, nothing else touched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractive_qa import QuestionAnswerer, Settings
from extractive_qa.errors import AmbiguousSource, InvalidField, SourceNotFound
from extractive_qa.store.sources import source_id
from extractive_qa.testing.paths import DATA_DIR
from extractive_qa.testing.processes import assert_one_line_error, run_cli

STORES = [("embedded", "index"), ("memory", "store.json")]


def folder_of(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "berlin.txt").write_text("Berlin is the capital of Germany.\n\nIt has 3.7 million people.", "utf-8")
    (folder / "paris.md").write_text("# Paris\n\nParis is the capital of France.", "utf-8")
    (folder / "sub" / "paris.md").write_text("Another Paris, in Texas, has 25,000 people.", "utf-8")
    return folder


@pytest.mark.parametrize(("store", "name"), STORES)
def test_sources_are_listed_and_one_is_removed_with_nothing_else(tmp_path: Path, store: str, name: str) -> None:
    folder = folder_of(tmp_path)
    qa = QuestionAnswerer(Settings(store=store, store_path=tmp_path / name))
    qa.index([folder])
    qa.index_texts([{"name": "note", "content": "A note about Rome."}])
    sources = qa.sources()
    assert [(s.name, s.type, s.passages) for s in sources] == [
        ("berlin.txt", "text", 1),
        ("note", "text", 1),
        ("paris.md", "Markdown", 1),
        ("paris.md", "Markdown", 1),
    ]
    berlin = sources[0]
    assert berlin.path == str(folder / "berlin.txt") and berlin.pages == 1
    assert berlin.size == (folder / "berlin.txt").stat().st_size and berlin.modified.endswith("Z")
    assert berlin.id == source_id(berlin.path) and len(berlin.id) == 16
    assert [s.name for s in qa.sources("PARIS")] == ["paris.md", "paris.md"]
    assert [s.path for s in qa.sources("sub/")] == [str(folder / "sub" / "paris.md")]

    before = qa.count_documents()
    with pytest.raises(AmbiguousSource, match=r"2 sources are named 'paris\.md'"):
        qa.remove_source("paris.md")
    with pytest.raises(SourceNotFound, match=r"no source 'rome\.txt'"):
        qa.remove_source("rome.txt")
    with pytest.raises(InvalidField, match="control characters"):
        qa.remove_source("a\nb")
    assert qa.count_documents() == before  # nothing changed

    removed, passages = qa.remove_source(sources[2].id)  # by id
    assert (removed.path, passages) == (str(folder / "paris.md"), 1)
    removed, passages = QuestionAnswerer(Settings(store=store, store_path=tmp_path / name)).remove_source("note")
    assert (removed.name, passages) == ("note", 1)
    again = QuestionAnswerer(Settings(store=store, store_path=tmp_path / name))  # the removal was saved
    assert again.count_documents() == before - 2
    assert [s.path for s in again.sources()] == [str(folder / "berlin.txt"), str(folder / "sub" / "paris.md")]
    with pytest.raises(SourceNotFound):
        again.remove_source(sources[2].id)  # gone: a second removal finds nothing


def test_the_sources_command_lists_filters_and_says_when_nothing_is_indexed(tmp_path: Path) -> None:
    store = tmp_path / "index"
    indexed = run_cli("index", str(DATA_DIR / "Oxygen.txt"), str(DATA_DIR / "Normans.txt"), "--store-path", str(store))
    assert indexed.returncode == 0, indexed.stderr  # (a finished process is always true: its exit code is the result)
    listed = run_cli("sources", "--store-path", str(store))
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["source", "type", "passages", "pages", "size", "modified"]
    oxygen = next(line for line in lines if line.startswith(str(DATA_DIR / "Oxygen.txt")))
    assert oxygen.split()[1:4] == ["text", "37", "1"] and "kB" in oxygen and "UTC" in oxygen
    assert lines[-1] == "2 source(s), 70 passage(s)"

    filtered = run_cli("sources", "--name", "normans", "--json", "--store-path", str(store))
    shown = json.loads(filtered.stdout)
    assert [(s["name"], s["passages"], s["path"]) for s in shown] == [
        ("Normans.txt", 33, str(DATA_DIR / "Normans.txt"))
    ]
    assert_one_line_error(run_cli("sources", "--store-path", str(tmp_path / "typo")), 5, "nothing indexed at")
    assert_one_line_error(
        run_cli("sources", "--name", "a\x1bb", "--store-path", str(store)), 2, "name holds control characters"
    )
