"""Bad input through the Python API and the real CLI: clear one-line errors, skipped files, nothing lost."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from extractive_qa import InvalidQuestion, ModelNotFound, NothingIndexed, QuestionAnswerer, Settings
from extractive_qa.testing.paths import DATA_DIR, ROOT
from extractive_qa.testing.processes import assert_one_line_error, run_cli, run_cli_in_this_process

OXYGEN = DATA_DIR / "Oxygen.txt"


@pytest.fixture
def bad_files(tmp_path: Path) -> Path:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blank.md").write_text("   \n\n  \t\n")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (folder / "latin1.txt").write_bytes("Caf\xe9 cr\xe8me br\xfbl\xe9e is a dessert.".encode("latin-1"))
    (folder / "fake.pdf").write_text("this is not a PDF")
    (folder / "broken-link.txt").symlink_to(folder / "does-not-exist.txt")
    (folder / "good.txt").write_text("The quick brown fox jumps over the lazy dog near Springfield.\n")
    return folder


EXPECTED_REASONS = {
    "empty.txt": "empty file",
    "blank.md": "no text (only white space)",
    "binary.txt": "binary file, not text",
    "latin1.txt": "not UTF-8 text (invalid byte at offset 3)",
    "fake.pdf": "not a PDF file",
    "broken-link.txt": "broken symbolic link",
}


@pytest.mark.model
def test_bad_files_are_skipped_with_reasons_and_nothing_indexed_is_lost(shared_model: Path, bad_files: Path) -> None:
    qa = QuestionAnswerer(model=str(shared_model))
    first = qa.index([OXYGEN])
    before = qa.count_documents()
    assert first.files_read == 1 and before > 10

    report = qa.index([bad_files, bad_files / "missing.txt"])
    reasons = {Path(path).name: reason for path, reason in report.skipped}
    for name, reason in EXPECTED_REASONS.items():
        assert reason in reasons[name], (name, reasons.get(name))
    assert reasons["missing.txt"] == "no such file or directory"
    assert report.files_read == 1  # good.txt

    # A fresh instance reads the saved store: the earlier passages and the new one are all there.
    again = QuestionAnswerer(model=str(shared_model))
    assert again.count_documents() == before + 1
    assert again.ask("What is the atomic number of oxygen?", threshold=100).answers[0].text == "8"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read files without read permission")
def test_unreadable_file_is_skipped(tmp_path: Path) -> None:
    from extractive_qa.indexing.files import check_file

    locked = tmp_path / "locked.txt"
    locked.write_text("secret")
    locked.chmod(0)
    assert check_file(locked) == "permission denied"


@pytest.mark.parametrize(
    ("question", "message"),
    [("", "the question is empty"), ("   \n\t ", "the question is empty"), ("x" * 100_000, "the question is too long")],
)
def test_invalid_questions_raise_before_any_work(question: str, message: str) -> None:
    qa = QuestionAnswerer(model="/no/model/needed/for/this")
    with pytest.raises(InvalidQuestion, match=message):
        qa.ask(question)
    with pytest.raises(InvalidQuestion, match=message):
        qa.answer(question, "some text")


@pytest.mark.parametrize("top_k", [0, -1, 101, 1.5, "3", True])
def test_invalid_top_k(top_k: object) -> None:
    with pytest.raises(InvalidQuestion, match="top_k"):
        QuestionAnswerer(model="/unused").ask("a question?", top_k=top_k)  # type: ignore[arg-type]


def test_missing_model_path_is_a_clear_error(tmp_path: Path) -> None:
    qa = QuestionAnswerer(Settings(model=str(tmp_path / "no-model"), store_path=tmp_path / "s.json"))
    with pytest.raises(ModelNotFound, match="model directory not found"):
        qa.ask("Is there a model?")


@pytest.mark.model
def test_question_without_indexed_documents(shared_model: Path) -> None:
    with pytest.raises(NothingIndexed, match="no documents are indexed"):
        QuestionAnswerer(model=str(shared_model)).ask("Anything there?")


# ---- the real command line ------------------------------------------------------------------------------------


def test_cli_rejects_empty_and_huge_questions() -> None:
    assert_one_line_error(run_cli("ask", "   ", "--model", "/unused"), 2, "the question is empty")
    assert_one_line_error(run_cli("ask", "y" * 100_000, "--model", "/unused"), 2, "the question is too long")


def test_cli_missing_model_path(tmp_path: Path) -> None:
    result = run_cli("ask", "Who?", "--model", str(tmp_path / "nowhere"))
    assert_one_line_error(result, 3, "model directory not found")


@pytest.mark.model
def test_cli_question_with_nothing_indexed(shared_model: Path) -> None:
    assert_one_line_error(run_cli("ask", "Who?", "--model", str(shared_model)), 5, "no documents are indexed")


def test_cli_index_reports_skipped_files_and_fails_only_when_nothing_was_indexed(bad_files: Path) -> None:
    (bad_files / "good.txt").unlink()
    result = run_cli("index", str(bad_files), "--no-progress")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    for name, reason in EXPECTED_REASONS.items():
        assert f"{name}: {reason}" in result.stderr
    assert "indexed 0 file(s)" in result.stdout


def test_cli_rejects_a_damaged_store_file(tmp_path: Path) -> None:
    store = tmp_path / "damaged.json"
    store.write_text("{not json")
    result = run_cli("count", "--store", "memory", "--store-path", str(store))
    assert_one_line_error(result, 4, "cannot be read")
    assert store.read_text() == "{not json"  # left as it was for the user to inspect


def test_cli_names_the_yaml_and_the_setting_a_component_refuses(tmp_path: Path) -> None:
    """A reader setting out of range in a user's query YAML: one line naming the file, the component and the reason."""
    pipelines = tmp_path / "pipelines"
    pipelines.mkdir()
    for yaml_file in (ROOT / "pipelines").glob("*.yml"):
        (pipelines / yaml_file.name).write_text(yaml_file.read_text(encoding="utf-8"), encoding="utf-8")
    query = pipelines / "query.yml"
    text = query.read_text(encoding="utf-8")
    assert "      precision: auto\n" in text
    broken = text.replace("      precision: auto\n", "      precision: auto\n      max_queued_windows: -1\n", 1)
    query.write_text(broken, encoding="utf-8")
    result = run_cli(
        "ask",
        "Who?",
        "--model",
        "/unused",
        env={"EQA_PIPELINES_DIR": str(pipelines), "EQA_STORE_PATH": str(tmp_path / "index")},
    )
    assert_one_line_error(result, 2, f"{query} does not load: Couldn't deserialize component 'reader'")
    assert "max_queued_windows must be None or at least 1, got -1" in result.stderr
    assert query.read_text(encoding="utf-8") == broken  # the user's file is left as it was


@pytest.mark.parametrize(
    ("value", "run"),
    [
        ("nan", run_cli),  # a real process: its exit status and all it prints
        ("inf", run_cli_in_this_process),  # the same decision through the command line's main, without the start-up
        ("-inf", run_cli_in_this_process),
        ("1e999", run_cli_in_this_process),
    ],
    ids=["nan", "inf", "-inf", "1e999"],
)
def test_cli_refuses_a_threshold_that_is_no_finite_number(
    value: str, run: Callable[..., subprocess.CompletedProcess], tmp_path: Path
) -> None:
    """A NaN threshold would turn every question into "no answer" and print `"threshold": NaN` (not JSON)."""
    QuestionAnswerer(Settings(store_path=Path(os.environ["EQA_STORE_PATH"]))).index([OXYGEN])  # the CLI's store
    result = run("ask", "What is oxygen?", f"--threshold={value}", "--json", "--model", "/unused")
    assert_one_line_error(result, 2, "threshold must be a finite number")
    from_environment = run("ask", "What is oxygen?", "--model", "/unused", env={"EQA_NO_ANSWER_THRESHOLD": value})
    assert_one_line_error(from_environment, 2, "EQA_NO_ANSWER_THRESHOLD: threshold must be a finite number")


def test_a_crafted_file_name_cannot_forge_a_line_of_output(tmp_path: Path) -> None:
    folder = tmp_path / "crafted"
    folder.mkdir()
    (folder / "evil\nskipped secret.txt: all good.txt").write_bytes(bytes(range(256)) * 8)  # binary: skipped
    (folder / "good.txt").write_text("The quick brown fox jumps over the lazy dog near Springfield.\n")
    result = run_cli("index", str(folder), "--no-progress")
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("skipped "), result.stderr
    assert "evil\\nskipped secret.txt: all good.txt: binary file" in lines[0]
