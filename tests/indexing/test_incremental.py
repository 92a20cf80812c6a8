"""
Incremental indexing through the real CLI: repeated `index --sync` over a folder whose files are added, changed,
renamed and deleted, with exact counts and the answers following the files.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from extractive_qa import QuestionAnswerer, Settings
from extractive_qa.indexing.incremental import gone_sources, read_stable
from extractive_qa.store.sources import Source
from extractive_qa.testing.processes import run_cli, run_cli_in_this_process


def index(folder: Path, store: Path, *extra: str, real_process: bool = False) -> dict:
    """`index FOLDER --sync --json` through the command line's main (each call reads the store afresh from disk), or
    in a real process of its own."""
    run = run_cli if real_process else run_cli_in_this_process
    done = run("index", str(folder), "--sync", "--json", "--no-progress", "--store-path", str(store), *extra)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def counts(report: dict) -> tuple[int, int, int, int]:
    return report["new"], report["changed"], report["unchanged"], report["removed"]


def sources(store: Path) -> dict[str, int]:
    listed = json.loads(run_cli_in_this_process("sources", "--json", "--store-path", str(store)).stdout)
    return {source["name"]: source["passages"] for source in listed}


@pytest.mark.model
def test_repeated_sync_follows_additions_changes_renames_and_deletions(tmp_path: Path, shared_model: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    store = tmp_path / "index"
    (folder / "plant.txt").write_text("The Quorvex plant was opened in 1911 in Tallinn.", "utf-8")
    (folder / "river.md").write_text("The river Ems flows north into the Wadden Sea.", "utf-8")
    assert counts(index(folder, store, real_process=True)) == (2, 0, 0, 0)
    assert counts(index(folder, store)) == (0, 0, 2, 0)
    os.utime(folder / "river.md")  # touched, same content: still unchanged (its hash says so)
    assert counts(index(folder, store)) == (0, 0, 2, 0)

    (folder / "plant.txt").write_text("The Quorvex plant was opened in 1923 in Narva.", "utf-8")
    (folder / "lake.txt").write_text("Lake Peipus lies on the border of Estonia.", "utf-8")
    report = index(folder, store)
    assert counts(report) == (1, 1, 1, 0) and report["passages_removed"] == 1
    assert sources(store) == {"lake.txt": 1, "plant.txt": 1, "river.md": 1}
    qa = QuestionAnswerer(Settings(store_path=store, model=str(shared_model)))
    assert qa.ask("When was the Quorvex plant opened?", threshold=100).best.text == "1923"

    (folder / "river.md").rename(folder / "ems.md")
    (folder / "lake.txt").unlink()
    report = index(folder, store)
    assert counts(report) == (1, 0, 1, 2) and report["passages_removed"] == 2
    assert sources(store) == {"ems.md": 1, "plant.txt": 1}
    assert QuestionAnswerer(Settings(store_path=store)).count_documents() == 2
    without_sync = run_cli("index", str(folder), "--no-progress", "--store-path", str(store))
    assert "(0 new, 0 changed, 2 unchanged)" in without_sync.stdout

    (folder / "plant.txt").unlink()
    plain = run_cli("index", str(folder), "--json", "--no-progress", "--store-path", str(store))
    assert json.loads(plain.stdout)["removed"] == 0  # without --sync nothing is removed
    assert set(sources(store)) == {"ems.md", "plant.txt"}
    assert counts(index(folder, store, real_process=True)) == (0, 0, 1, 1)
    assert sources(store) == {"ems.md": 1}


def test_a_file_is_read_whole_in_one_state(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"hello world")
    read = read_stable(path)
    assert (read.data, read.size, read.reason) == (b"hello world", 11, None) and len(read.sha256) == 64
    assert read_stable(tmp_path / "gone.txt").reason.startswith("no such file")


def test_only_sources_under_the_folders_given_are_gone(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    stored = [Source(str(tmp_path / name), name, "text", 1) for name in ("a/x.txt", "a/y.txt", "ab.txt", "note")]
    present = {str(tmp_path / "a" / "x.txt")}
    assert gone_sources(stored, [tmp_path / "a"], present) == [str(tmp_path / "a" / "y.txt")]
