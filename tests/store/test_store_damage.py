"""
Stores in trouble, through the real CLI and real tantivy indexes: a damaged index is one line and exit 4 for every
command that reads or writes it (never "retry"); a store path where nothing was indexed is exit 5 for reading
commands and is not created; a read-only store can be read, and writes are refused in one line; reads create and
lock nothing; `store_health` says all of this without a path.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import tantivy

from extractive_qa import Settings
from extractive_qa.components.document_stores.tantivy import IndexDamagedError, TantivyDocumentStore
from extractive_qa.store.configured_store import StoreDamaged, store_errors, store_health
from extractive_qa.testing.damage import flip, listing, segment_file, truncate
from extractive_qa.testing.paths import DATA_DIR
from extractive_qa.testing.processes import assert_one_line_error, run_cli, run_cli_in_this_process

OXYGEN = DATA_DIR / "Oxygen.txt"
NORMANS = DATA_DIR / "Normans.txt"


def reading_and_writing_commands() -> list[list[str]]:
    """Every command that reads or writes the store; `ask` fails on the store before it loads any model."""
    return [
        ["count"],
        ["ask", "What is oxygen?", "--model", "/unused"],
        ["index", str(NORMANS)],
        ["remove", str(OXYGEN)],
    ]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """data/ indexed by the CLI (one commit, one segment)."""
    store = tmp_path_factory.mktemp("pristine") / "index"
    result = run_cli("index", str(DATA_DIR), "--no-progress", env={"EQA_STORE_PATH": str(store)})
    assert result.returncode == 0, result.stderr
    return store


@pytest.fixture
def store(pristine: Path, tmp_path: Path) -> Path:
    """A copy of the indexed store, for the test to damage."""
    copy = tmp_path / "index"
    shutil.copytree(pristine, copy)
    return copy


def cli(store: Path, *args: str) -> subprocess.CompletedProcess:
    """A command in a real process of its own, on `store`."""
    return run_cli(*args, env={"EQA_STORE_PATH": str(store)})


def cli_here(store: Path, *args: str) -> subprocess.CompletedProcess:
    """A command through the command line's `main` in this process, on `store` (no interpreter start-up)."""
    return run_cli_in_this_process(*args, env={"EQA_STORE_PATH": str(store)})


def assert_damage_is_one_line_everywhere(
    store: Path, run: Callable[..., subprocess.CompletedProcess] = cli_here
) -> None:
    before = listing(store)
    for args in reading_and_writing_commands():
        result = run(store, *args)
        assert_one_line_error(result, 4, f"the index at '{store}' is damaged (")
        assert "delete it and re-index, or restore it from a backup" in result.stderr
        assert "retry" not in result.stderr.lower() and "try again" not in result.stderr.lower()
    assert listing(store) == before  # left as it was, for the user to inspect or restore


# ---- damaged indexes ------------------------------------------------------------------------------------------------


def test_a_damaged_index_is_one_line_and_exit_4_from_every_real_command(store: Path) -> None:
    """Real processes: exit status and everything they print (the kinds of damage below go through `main` here)."""
    flip(segment_file(store, "store"), -4, 4)
    assert_damage_is_one_line_everywhere(store, run=cli)


@pytest.mark.parametrize("kind", ["store", "idx", "term", "pos", "fast", "fieldnorm"])
def test_flipped_bytes_in_a_segment_file_s_footer_fail_on_open(store: Path, kind: str) -> None:
    flip(segment_file(store, kind), -4, 4)  # same size, the footer's magic number overwritten
    assert_damage_is_one_line_everywhere(store)


def test_flipped_bytes_at_the_start_of_the_stored_passages_fail_on_open(store: Path) -> None:
    flip(segment_file(store, "store"), 0, 64)  # the first stored passage is read when the index opens
    assert_damage_is_one_line_everywhere(store)


@pytest.mark.parametrize("name", ["meta.json", "store"])
def test_a_truncated_meta_json_or_store_file(store: Path, name: str) -> None:
    truncate(store / name if name == "meta.json" else segment_file(store, name))
    assert_damage_is_one_line_everywhere(store)


def test_a_missing_segment_file(store: Path) -> None:
    segment_file(store, "term").unlink()
    assert_damage_is_one_line_everywhere(store)


def damage_inside_the_stored_passages(store: Path) -> str:
    """
    Flips bytes past the first compressed block of stored passages and before the block index (opening and counting
    read neither); returns a file none of whose passages can be read any more.
    """
    passages = TantivyDocumentStore(str(store)).filter_documents()
    store_file = segment_file(store, "store")
    flip(store_file, 16_384, store_file.stat().st_size * 3 // 4 - 16_384)
    reader = TantivyDocumentStore(str(store))
    readable: dict[str, list[bool]] = {}
    for passage in passages:
        try:
            reader.filter_documents({"field": "id", "operator": "==", "value": passage.id})
            readable.setdefault(passage.meta["file_name"], []).append(True)
        except IndexDamagedError:
            readable.setdefault(passage.meta["file_name"], []).append(False)
    broken = sorted(name for name, flags in readable.items() if not any(flags))
    assert broken, "the damage reached no file's passages as a whole"
    return broken[0]


def test_flipped_bytes_inside_the_stored_passages_fail_on_search(store: Path, shared_model: Path) -> None:
    """Opening and counting read no stored passage past the first: a question that reads a damaged one fails."""
    passages = TantivyDocumentStore(str(store)).count_documents()
    broken_file = damage_inside_the_stored_passages(store)

    assert cli_here(store, "count").stdout.strip() == str(passages)  # the count is in the segments' metadata
    result = cli_here(store, "ask", "What is it about?", "--file-name", broken_file, "--model", str(shared_model))
    assert_one_line_error(result, 4, f"the index at '{store}' is damaged (stored documents: ")
    assert "retry" not in result.stderr.lower()

    health = store_health(Settings(store_path=store), thorough=True)
    assert health.state == "damaged" and ".store: checksum mismatch" in health.message
    assert str(store) not in health.message and str(store) in health.detail_with_path


def test_damage_found_inside_a_pipeline_run_is_store_damaged(store: Path, tiny_roberta: Path) -> None:
    """The retriever's error reaches the application wrapped in PipelineRuntimeError: still one damaged store."""
    from extractive_qa import QuestionAnswerer

    broken_file = damage_inside_the_stored_passages(store)
    qa = QuestionAnswerer(Settings(model=str(tiny_roberta), store_path=store))
    with pytest.raises(StoreDamaged) as raised:
        qa.ask("What is it about?", filters={"field": "meta.file_name", "operator": "==", "value": broken_file})
    assert raised.value.exit_code == 4 and raised.value.http_status == 503
    assert type(raised.value.__cause__).__name__ == "PipelineRuntimeError"
    assert str(store) in str(raised.value) and str(store) not in raised.value.public_message
    assert raised.value.public_message.startswith("the embedded store's index is damaged (stored documents: ")


# ---- a store path where nothing was indexed -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["embedded", "memory"])
def test_reading_commands_on_a_missing_store_say_so_and_create_nothing(
    tmp_path: Path, kind: str, tiny_roberta: Path
) -> None:
    typo = tmp_path / "typo" / ("index" if kind == "embedded" else "store.json")
    run = run_cli if kind == "embedded" else run_cli_in_this_process  # real processes for the default store
    for args in (["count"], ["ask", "Who?", "--model", str(tiny_roberta)], ["remove", str(OXYGEN)]):
        result = run(*args, "--store", kind, "--store-path", str(typo))
        assert_one_line_error(result, 5, f"nothing indexed at {typo}")
        assert "run 'extractive-qa index FOLDER' first" in result.stderr
    assert not (tmp_path / "typo").exists()
    result = run("index", str(OXYGEN), "--no-progress", "--store", kind, "--store-path", str(typo))
    assert result.returncode == 0, result.stderr  # writing commands create the store
    count = run("count", "--store", kind, "--store-path", str(typo))
    assert count.returncode == 0 and int(count.stdout) > 0, count.stderr


def test_the_default_store_path_follows_the_same_rule(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {"XDG_DATA_HOME": str(home), "EQA_STORE_PATH": ""}
    for args in (["count"], ["remove", str(OXYGEN)]):
        assert_one_line_error(run_cli(*args, env=env), 5, f"nothing indexed at {home / 'extractive-qa' / 'index'}")
    assert not home.exists()


def test_the_python_api_s_ask_on_a_missing_store_creates_nothing(tmp_path: Path, tiny_roberta: Path) -> None:
    from extractive_qa import NothingIndexed, QuestionAnswerer

    typo = tmp_path / "typo"
    with pytest.raises(NothingIndexed, match=f"nothing indexed at {typo}"):
        QuestionAnswerer(Settings(model=str(tiny_roberta), store_path=typo)).ask("Who?")
    assert not typo.exists()


# ---- reads create and lock nothing; read-only stores ----------------------------------------------------------------


def test_count_creates_and_locks_nothing(store: Path) -> None:
    before = listing(store)
    writer = tantivy.Index.open(str(store)).writer()  # another process is writing: it holds the writer lock
    try:
        result = run_cli("count", env={"EQA_STORE_PATH": str(store)}, timeout=20)
        assert result.returncode == 0 and int(result.stdout) > 0, result.stderr
    finally:
        writer.rollback()
        del writer
    assert listing(store) == before


def test_ask_creates_and_locks_nothing(store: Path, shared_model: Path) -> None:
    before = listing(store)
    writer = tantivy.Index.open(str(store)).writer()  # another process is writing: it holds the writer lock
    try:
        result = cli(store, "ask", "What is the atomic number of oxygen?", "--model", str(shared_model))
        assert result.returncode == 0 and "8" in result.stdout, result.stderr
    finally:
        writer.rollback()
        del writer
    assert listing(store) == before


@pytest.fixture
def read_only_mount(tmp_path: Path, pristine: Path) -> Iterator[Path]:
    """The indexed store on a tmpfs, then remounted read-only (needs root and mount, as in CI)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(mount_point)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.decode().strip() or 'not root'})")
    try:
        shutil.copytree(pristine, mount_point / "index")
        subprocess.run(["mount", "-o", "remount,ro", str(mount_point)], check=True)
        yield mount_point / "index"
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def assert_read_only_store_reads_and_refuses_writes(store: Path, model: Path) -> None:
    count = cli(store, "count")
    assert count.returncode == 0 and int(count.stdout) > 0, count.stderr
    answer = cli(store, "ask", "What is the atomic number of oxygen?", "--model", str(model))
    assert answer.returncode == 0 and "8" in answer.stdout, answer.stderr
    for args in (["index", str(NORMANS)], ["remove", str(OXYGEN)]):
        assert_one_line_error(cli(store, *args), 4, f"Cannot write to the index at '{store}'")
    health = store_health(Settings(store_path=store))
    assert health.ok and health.read_only and health.passages == int(count.stdout)


def test_a_read_only_mount_can_be_read_and_refuses_writes(read_only_mount: Path, shared_model: Path) -> None:
    assert_read_only_store_reads_and_refuses_writes(read_only_mount, shared_model)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="permissions do not apply to root (as in CI)")
def test_a_store_without_write_permission_can_be_read_and_refuses_writes(store: Path, shared_model: Path) -> None:
    files = [store, *store.iterdir()]
    for path in files:
        path.chmod(path.stat().st_mode & ~0o222)
    try:
        assert_read_only_store_reads_and_refuses_writes(store, shared_model)
    finally:
        for path in files:
            path.chmod(path.stat().st_mode | 0o200)


# ---- the health check -----------------------------------------------------------------------------------------------


def health_cases(tmp_path: Path, store: Path) -> dict[str, tuple[Path, Callable[[], None]]]:
    foreign = tmp_path / "notes"
    return {
        "ok": (store, lambda: None),
        "missing": (tmp_path / "typo", lambda: None),
        "damaged": (store, lambda: truncate(store / "meta.json")),
        "unreachable": (foreign, lambda: (foreign.mkdir(), (foreign / "notes.txt").write_text("mine"))),
    }


@pytest.mark.parametrize("state", ["ok", "missing", "damaged", "unreachable"])
def test_store_health_names_no_path(tmp_path: Path, store: Path, state: str) -> None:
    path, prepare = health_cases(tmp_path, store)[state]
    prepare()
    before = listing(path) if path.is_dir() else None
    health = store_health(Settings(store_path=path))
    assert health.state == state and health.ok == (state == "ok")
    assert str(path) not in health.message and str(tmp_path) not in health.message
    assert str(path) in health.detail_with_path
    assert (listing(path) if path.is_dir() else None) == before and (path.exists() or state == "missing")
    expected = {
        "ok": "the embedded store's index is readable, ",
        "missing": "nothing is indexed yet",
        "damaged": "the embedded store's index is damaged (meta.json cannot be read: ",
        "unreachable": "the embedded store's index cannot be used: index_path '<store path>' is not a tantivy index",
    }[state]
    assert health.message.startswith(expected), health.message


def test_store_health_of_the_server_s_open_store(store: Path) -> None:
    settings = Settings(store_path=store)
    opened = TantivyDocumentStore(str(store))
    assert store_health(settings, opened).passages == opened.count_documents()
    flip(segment_file(store, "store"), 16_384, 4_096)
    assert store_health(settings, opened).ok  # the cheap check reads the first passage of each segment only
    assert store_health(settings, opened, thorough=True).state == "damaged"
    with pytest.raises(StoreDamaged), store_errors(settings):
        opened.filter_documents()
