"""
`extractive-qa index --watch` as a user runs it: a real process on a folder of real files and a store of the test's
own; files are added, changed, renamed and deleted, and the store follows within a few seconds with exact counts.
"""

from __future__ import annotations

import json
import re
import shlex
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from extractive_qa.testing.paths import ROOT
from extractive_qa.testing.processes import (
    assert_one_line_error,
    free_port,
    run_cli,
    serve_command,
    start_server,
)
from extractive_qa.testing.servers import server_env
from extractive_qa.testing.watch import WatchProcess


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "notes"
    path.mkdir()
    (path / "plant.txt").write_text("The Quorvex plant was opened in 1911 in Tallinn.", "utf-8")
    return path


@pytest.fixture
def watching(folder: Path, tmp_path: Path) -> Iterator[WatchProcess]:
    watch = WatchProcess(folder, tmp_path, "--store-path", str(tmp_path / "index"))
    yield watch
    watch.kill()


def sources(store: Path) -> dict[str, tuple[int, int]]:
    """The store's sources as `extractive-qa sources --json` lists them: name -> (passages, size)."""
    done = run_cli("sources", "--json", "--store-path", str(store))
    assert done.returncode == 0, done.stderr
    return {source["name"]: (source["passages"], source["size"]) for source in json.loads(done.stdout)}


def names(store: Path) -> set[str]:
    return set(sources(store))


def test_the_store_follows_additions_changes_renames_and_deletions(
    folder: Path, tmp_path: Path, watching: WatchProcess
) -> None:
    store = tmp_path / "index"
    assert watching.out().splitlines()[0].startswith("synced: indexed 1 file(s) into 1 passage(s)")
    assert names(store) == {"plant.txt"}

    (folder / "lake.txt").write_text("Lake Peipus lies on the border of Estonia.", "utf-8")
    watching.wait_for(lambda: names(store) == {"plant.txt", "lake.txt"}, "lake.txt in the store")

    changed = "The Quorvex plant was opened in 1923 in Narva. It made tractors.\n\nIt closed in 1990."
    (folder / "plant.txt").write_text(changed, "utf-8")
    size = len(changed.encode())
    watching.wait_for(lambda: sources(store)["plant.txt"][1] == size, "plant.txt's new version")

    (folder / "lake.txt").rename(folder / "peipus.md")
    watching.wait_for(lambda: names(store) == {"plant.txt", "peipus.md"}, "the rename")

    sub = folder / "sub"
    sub.mkdir()
    (sub / "owl.md").write_text("Owls hunt at night.", "utf-8")
    (sub / "ignored.bin").write_bytes(b"\x00\x01")  # not a type the index takes: no line about it
    (folder / ".hidden.txt").write_text("A hidden note.", "utf-8")  # hidden: not indexed
    watching.wait_for(lambda: names(store) == {"plant.txt", "peipus.md", "owl.md"}, "the new folder's file")

    (folder / "plant.txt").unlink()
    for path in sub.iterdir():
        path.unlink()
    sub.rmdir()
    watching.wait_for(lambda: names(store) == {"peipus.md"}, "the deletions")

    summary = watching.stop()
    # The first sync's file, lake.txt, plant.txt changed, peipus.md, owl.md; removed: lake.txt, owl.md, plant.txt.
    assert re.fullmatch(
        r"watch stopped after \d+ batch\(es\): indexed 5 file\(s\) into \d+ passage\(s\) in [\d.]+ s "
        r"\(4 new, 1 changed, 0 unchanged\); removed 3 file\(s\) gone from the folders, removed \d+ outdated "
        r"passage\(s\)",
        summary,
    ), summary
    assert "skipped" not in watching.err(), watching.err()
    assert run_cli("count", "--store-path", str(store)).stdout.strip() == "1"


def test_many_files_at_once_are_coalesced_into_few_batches(
    folder: Path, tmp_path: Path, watching: WatchProcess
) -> None:
    store = tmp_path / "index"
    for n in range(300):
        (folder / f"note {n:03}.txt").write_text(f"Note number {n} is about the year {1700 + n}.", "utf-8")
    watching.wait_for(lambda: len(names(store)) == 301, "301 sources", timeout=60)
    lines = watching.batch_lines()
    assert 1 <= len(lines) <= 5, lines  # coalesced, not one batch per event
    new = sum(int(re.search(r"\((\d+) new", line).group(1)) for line in lines)
    assert new == 300, lines
    assert run_cli("count", "--store-path", str(store)).stdout.strip() == "301"


def test_a_file_written_while_it_is_read_ends_indexed_in_its_final_state(
    folder: Path, tmp_path: Path, watching: WatchProcess
) -> None:
    store = tmp_path / "index"
    growing = folder / "growing.txt"
    with growing.open("w", encoding="utf-8") as handle:
        for n in range(40):  # about two seconds of writes: the watch reads it while it grows
            handle.write(f"Sentence {n} of the growing file says that item {n} costs {n * 3} crowns. ")
            handle.flush()
            time.sleep(0.05)
    final = growing.stat().st_size
    watching.wait_for(lambda: sources(store).get("growing.txt", (0, 0))[1] == final, "the final state")
    watching.stop()


def test_sigterm_stops_it_with_a_summary(watching: WatchProcess) -> None:
    summary = watching.stop(signal.SIGTERM)
    assert summary.startswith("watch stopped after 0 batch(es): indexed 1 file(s)"), summary


def test_a_missing_folder_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = run_cli("index", "--watch", str(tmp_path / "nope"), "--store-path", str(tmp_path / "index"))
    assert_one_line_error(done, 2, "no such folder")
    assert not (tmp_path / "index").exists()  # nothing created
    (tmp_path / "file.txt").write_text("x", "utf-8")
    done = run_cli("index", "--watch", str(tmp_path / "file.txt"), "--store-path", str(tmp_path / "index"))
    assert_one_line_error(done, 2, "not a folder")


@pytest.mark.model
@pytest.mark.server
def test_a_server_answers_while_the_watch_indexes(folder: Path, tmp_path: Path, shared_model: Path) -> None:
    store = tmp_path / "index"
    watch = WatchProcess(folder, tmp_path, "--store-path", str(store))
    port = free_port()
    server = start_server(serve_command(port), server_env(tmp_path, shared_model, store), tmp_path / "server.log", port)
    try:

        def answer(question: str) -> str | None:
            response = requests.post(f"{server.url}/ask/run", json={"question": question, "threshold": 100}, timeout=60)
            assert response.status_code == 200, response.text
            answers = response.json()["result"]["answers"]
            return answers[0]["text"] if answers else None

        assert answer("When was the Quorvex plant opened?") == "1911"
        for n in range(100):  # the watch indexes these while the server answers
            (folder / f"filler {n}.txt").write_text(f"Filler {n} mentions the town of Tartu.", "utf-8")
        (folder / "plant.txt").write_text("The Quorvex plant was opened in 1923 in Narva.", "utf-8")
        # a write through the server while the watch runs: the watch holds no writer lock between its changes
        written = requests.post(f"{server.url}/index/run", json={"documents": ["Tartu has a university."]}, timeout=60)
        assert written.status_code == 200, written.text
        watch.wait_for(lambda: answer("When was the Quorvex plant opened?") == "1923", "the changed answer")
        watch.wait_for(lambda: len(names(store)) == 102, "102 sources (101 files, one text)")
        watch.stop()
    finally:
        server.stop()
        watch.kill()


def readme_block(marker: str) -> list[str]:
    """The lines of the README's code block after `marker`."""
    text = (ROOT / "README.md").read_text("utf-8")
    return text.split(marker, 1)[1].split("```", 2)[1].split("\n", 1)[1].splitlines()


def shape(line: str) -> str:
    """A line with its numbers, times and watched path left out: what stays the same from run to run."""
    line = re.sub(r"^watching .* \(", "watching PATH (", line)
    return re.sub(r"\d+(\.\d+)?", "N", line).replace("N:N:N", "TIME")


def test_the_readme_watch_example_runs_as_documented(tmp_path: Path) -> None:
    command, *shown = readme_block("<!-- watch-example -->")
    assert shlex.split(command) == ["extractive-qa", "index", "--watch", "notes/"]
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "plant.txt").write_text("The Quorvex plant was opened in 1911 in Tallinn.", "utf-8")
    (notes / "lake.txt").write_text("Lake Peipus lies on the border of Estonia.", "utf-8")
    watch = WatchProcess(Path("notes"), tmp_path, "--store-path", str(tmp_path / "index"), cwd=tmp_path)
    try:
        (notes / "plant.txt").write_text("The Quorvex plant was opened in 1923 in Narva.", "utf-8")
        watch.wait_for(lambda: len(watch.batch_lines()) == 1, "the change's line")
        (notes / "lake.txt").unlink()
        watch.wait_for(lambda: len(watch.batch_lines()) == 2, "the deletion's line")
        watch.stop()
        printed = watch.out().splitlines()
    finally:
        watch.kill()
    assert [shape(line) for line in printed] == [shape(line.removeprefix("# ")) for line in shown]
