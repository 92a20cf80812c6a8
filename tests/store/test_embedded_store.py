"""
The embedded store (a tantivy index) as the application uses it, through the real CLI and a real server process:
exact counts after a kill, two processes indexing at once, the server seeing what the CLI indexed, the old store
file imported, and bad store directories (not an index, read-only, full) as one-line errors that lose nothing.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from extractive_qa import QuestionAnswerer, Settings
from extractive_qa.components.document_stores.tantivy import TantivyDocumentStore
from extractive_qa.testing.collection_copies import copy_collection
from extractive_qa.testing.paths import DATA_DIR, ROOT
from extractive_qa.testing.processes import (
    assert_one_line_error,
    free_port,
    process_environment,
    run_cli,
    run_cli_in_this_process,
    serve_command,
    start_server,
)
from extractive_qa.testing.servers import server_env


def passages_of(paths: list[Path], tmp: Path) -> int:
    """How many passages the given files give, indexed into a fresh store of their own."""
    return QuestionAnswerer(Settings(store_path=tmp / "reference-index")).index(paths).passages_written


def cli_count(store: Path) -> int:
    result = run_cli("count", env={"EQA_STORE_PATH": str(store)})
    assert result.returncode == 0, result.stderr
    return int(result.stdout.strip())


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A small tmpfs mounted for the test (a disk that fills up, or turns read-only); needs root and mount."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount_point)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.decode().strip() or 'not root'})")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def test_killed_indexing_keeps_its_commits_and_a_rerun_counts_exactly(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    copy_collection(docs, copies=4)  # 140 files, about 4,800 passages
    store = tmp_path / "index"
    command = [sys.executable, "-m", "extractive_qa.cli", "index", str(docs), "--batch-size", "2", "--no-progress"]
    env = process_environment(inherit_settings=True, EQA_STORE_PATH=str(store))
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            if (store / "meta.json").exists() and TantivyDocumentStore(index_path=str(store)).count_documents() > 0:
                break
            time.sleep(0.05)
        assert process.poll() is None, "the run ended before it could be killed"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    partial = cli_count(store)  # the index opens cleanly at its last commit
    expected = passages_of([docs], tmp_path)
    assert 0 < partial < expected
    result = run_cli("index", str(docs), "--no-progress", env={"EQA_STORE_PATH": str(store)})
    assert result.returncode == 0, result.stderr
    assert cli_count(store) == expected


def test_the_old_store_file_is_imported_once_nothing_lost(tmp_path: Path) -> None:
    old = tmp_path / "store.json"
    memory = QuestionAnswerer(Settings(store="memory", store_path=old))
    memory.index([DATA_DIR / "Oxygen.txt", DATA_DIR / "Normans.txt"])
    before = memory.count_documents()
    embedded = tmp_path / "index"
    result = run_cli("import-store", str(old), env={"EQA_STORE_PATH": str(embedded)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"imported {before} passage(s) from {old}"
    assert cli_count(embedded) == before and old.is_file()
    again = run_cli("import-store", str(old), env={"EQA_STORE_PATH": str(embedded)})  # replaces, never duplicates
    assert again.returncode == 0 and cli_count(embedded) == before
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert_one_line_error(run_cli("import-store", str(broken), env={"EQA_STORE_PATH": str(embedded)}), 4, "broken.json")


def test_the_default_store_takes_in_the_old_default_file_by_itself(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {"XDG_DATA_HOME": str(home), "EQA_STORE_PATH": ""}
    old = home / "extractive-qa" / "store.json"
    QuestionAnswerer(Settings(store="memory", store_path=old)).index([DATA_DIR / "Oxygen.txt"])
    first = run_cli("count", env=env)
    assert first.returncode == 0, first.stderr
    assert int(first.stdout.strip()) > 0 and "imported" in first.stderr
    assert (home / "extractive-qa" / "index" / "meta.json").is_file() and old.is_file()
    second = run_cli("count", env=env)
    assert second.stdout == first.stdout and "imported" not in second.stderr  # once only


@pytest.mark.parametrize("kind", ["foreign-folder", "file"])
def test_a_store_path_that_is_no_index_is_a_one_line_error_and_left_alone(tmp_path: Path, kind: str) -> None:
    store = tmp_path / "mine"
    if kind == "file":
        store.write_text("my notes")
    else:
        store.mkdir()
        (store / "notes.txt").write_text("my notes")
    run = run_cli if kind == "foreign-folder" else run_cli_in_this_process  # one case in real processes
    for args in (["count"], ["index", str(DATA_DIR / "Oxygen.txt")], ["ask", "Who?"]):
        result = run(*args, env={"EQA_STORE_PATH": str(store)})
        assert_one_line_error(result, 4, str(store))
    assert (store if kind == "file" else store / "notes.txt").read_text() == "my notes"


def test_a_lock_file_left_by_a_killed_writer_does_not_block(tmp_path: Path) -> None:
    store = tmp_path / "index"
    QuestionAnswerer(Settings(store_path=store)).index([DATA_DIR / "Oxygen.txt"])
    (store / ".tantivy-writer.lock").write_text("")  # the file stays when a writer dies; the OS lock does not
    result = run_cli("index", str(DATA_DIR / "Normans.txt"), env={"EQA_STORE_PATH": str(store)})
    assert result.returncode == 0, result.stderr
    assert cli_count(store) == passages_of([DATA_DIR / "Oxygen.txt", DATA_DIR / "Normans.txt"], tmp_path)


def test_a_full_disk_is_one_line_and_keeps_what_was_committed(tmpfs: Path, tmp_path: Path) -> None:
    store = tmpfs / "index"
    env = {"EQA_STORE_PATH": str(store)}
    assert run_cli("index", str(DATA_DIR), "--no-progress", env=env).returncode == 0
    committed = cli_count(store)
    many = tmp_path / "many"
    copy_collection(many, copies=4)
    result = run_cli("index", str(many), "--no-progress", env=env)
    assert_one_line_error(result, 4, "No space left on device")
    assert "are kept" in result.stderr
    assert cli_count(store) >= committed  # every commit before the full disk is there
    subprocess.run(["mount", "-o", "remount,size=40m", str(tmpfs)], check=True)
    assert run_cli("index", str(many), "--no-progress", env=env).returncode == 0
    assert cli_count(store) == committed + passages_of([many], tmp_path)


def test_a_read_only_store_is_a_one_line_error(tmpfs: Path) -> None:
    store = tmpfs / "index"
    env = {"EQA_STORE_PATH": str(store)}
    assert run_cli("index", str(DATA_DIR / "Oxygen.txt"), env=env).returncode == 0
    subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True)
    assert_one_line_error(run_cli("index", str(DATA_DIR / "Normans.txt"), env=env), 4, "not readable and writable")
    subprocess.run(["mount", "-o", "remount,rw", str(tmpfs)], check=True)
    assert cli_count(store) > 0  # nothing was lost


# ---- a served process and the CLI, one store, at the same time ----------------------------------------------------

FACTS = [
    (
        "The Quillmoor lighthouse was first lit in 1887 by the harbour board.",
        "When was the Quillmoor lighthouse first lit?",
    ),
    ("The Varnholt glacier lies at the head of the Esk valley.", "Where does the Varnholt glacier lie?"),
]


def test_a_server_and_the_cli_index_into_one_store_at_once(shared_model: Path, tmp_path: Path) -> None:
    store = tmp_path / "index"
    port = free_port()
    server = start_server(serve_command(port), server_env(tmp_path, shared_model, store), tmp_path / "server.log", port)
    rounds = 4
    try:
        texts = [
            [
                {"name": f"http-{r}-{i}.txt", "content": f"{fact} Round {r}, note {i}."}
                for i, (fact, _) in enumerate(FACTS)
            ]
            for r in range(rounds)
        ]
        folders = [tmp_path / f"cli-{r}" for r in range(rounds)]
        for r, folder in enumerate(folders):
            copy_collection(folder, prefix=f"r{r}-")
        errors: list[str] = []

        def post_texts() -> None:
            for batch in texts:
                response = requests.post(f"{server.url}/index/run", json={"documents": batch}, timeout=300)
                if response.status_code != 200:
                    errors.append(response.text)

        poster = threading.Thread(target=post_texts)
        poster.start()
        for folder in folders:  # meanwhile the CLI indexes a folder per round into the same index
            result = run_cli("index", str(folder), "--no-progress", env={"EQA_STORE_PATH": str(store)})
            assert result.returncode == 0, result.stderr
        poster.join(timeout=600)
        assert errors == []

        reference = QuestionAnswerer(Settings(store_path=tmp_path / "reference"))
        reference.index(folders)
        reference.index_texts([text for batch in texts for text in batch])
        assert cli_count(store) == reference.count_documents()

        # The server answers from what the CLI indexed a moment ago, and the CLI from what the server indexed.
        only_cli = {"field": "meta.file_name", "operator": "==", "value": "r3-Oxygen.txt"}
        asked = requests.post(
            f"{server.url}/ask/run",
            json={"question": "What is the atomic number of oxygen?", "filters": only_cli, "threshold": 100.0},
            timeout=300,
        )
        assert asked.status_code == 200, asked.text
        assert asked.json()["result"]["answers"][0]["text"] == "8"
        question = FACTS[0][1]
        result = run_cli(
            "ask",
            question,
            "--file-name",
            "http-3-0.txt",
            "--threshold",
            "100",
            "--json",
            env={"EQA_STORE_PATH": str(store), "EQA_MODEL": str(shared_model)},
        )
        assert result.returncode == 0, result.stderr
        assert "1887" in result.stdout
    finally:
        server.stop()
