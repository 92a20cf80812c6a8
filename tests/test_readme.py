"""
The README's examples run as written (issue 26): every fenced code block of README.md is either run here (with the
shared small model standing in for deepset/roberta-base-squad2 through EQA_MODEL, and a store of the test's own),
run by another test module, or listed below with the reason it cannot run in a test. A new block fails
`test_every_block_is_run_or_says_why` until it is one of these.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from extractive_qa.evaluation.squad_metric import load_squad
from extractive_qa.testing.answer_lines import assert_same_answer_line
from extractive_qa.testing.paths import DATA_DIR, HELDOUT, ROOT, SHARED_MODEL
from extractive_qa.testing.processes import Server, free_port, process_environment, serve_command, start_server
from extractive_qa.testing.servers import server_env

README = ROOT / "README.md"


@dataclass(frozen=True)
class Block:
    marker: str | None  # the HTML comment on the line before the block, if any
    language: str
    code: str

    @property
    def first_line(self) -> str:
        return self.code.splitlines()[0]


def readme_blocks() -> list[Block]:
    text = README.read_text(encoding="utf-8")
    found = re.finditer(r"(?:(<!--[^\n]*-->)\n)?```(\w*)\n(.*?)\n```", text, re.S)
    return [Block(m.group(1), m.group(2), m.group(3)) for m in found]


def example(name: str) -> Block:
    """The block marked `<!-- example: NAME ... -->`."""
    blocks = [b for b in readme_blocks() if b.marker and b.marker.startswith(f"<!-- example: {name} ")]
    assert len(blocks) == 1, f"README.md has {len(blocks)} blocks marked 'example: {name}'"
    return blocks[0]


#: Blocks run by other test modules, by their marker.
RUN_ELSEWHERE = {
    "<!-- haystack3-example -->": "tests/test_readme_haystack3.py",
    "<!-- sync-example -->": "tests/indexing/test_readme_sync.py",
    "<!-- watch-example -->": "tests/indexing/test_watch.py",
    "<!-- prompt-example -->": "tests/test_prompt.py",
}
#: Blocks run here, by their marker's name.
RUN_HERE = ("command-line", "python-api", "tune-and-use")
#: Blocks run here without a marker, by their first line.
RUN_HERE_BY_FIRST_LINE = {
    '$ extractive-qa ask "What is the atomic number of oxygen?"': "test_the_opening_answer",
    "{": "test_the_mcp_client_configuration_is_json",
    "import asyncio, os": "test_the_mcp_python_client_runs_without_a_key",
}
#: Blocks that cannot run in a test, by the start of their first line, and why.
NOT_RUN = {
    "scripts/demo.sh": "sets up a virtual environment (pip, minutes); its path handling: tests/test_first_hour.py",
    "pipx install": "installs the package into the user's environment: scripts/check_install.sh in CI",
    "indexing:  files ->": "a diagram, not code",
    "extractive-qa serve ": "starts a server on the fixed port 1416; served the same way by tests/http/",
    "curl -s": "needs a server on port 1416 with a key; the endpoints: tests/http/test_sources_api.py",
    "extractive-qa feedback export": "needs ratings given on the page: tests/http/test_page_browser.py",
    "EQA_API_KEY=$(python": "starts a server on the fixed port 1416; MCP with a key: tests/http/test_mcp.py",
    "export EQA_STORE=elasticsearch": "needs Elasticsearch and docker compose: tests/es/",
    "extractive-qa eval ../shared": "the full SQuAD 2.0 dev set (an hour on CPU); eval itself: tests/evaluation/",
    "  reader:": "an excerpt of pipelines/query.yml, whose settings tests/components/reader/ check",
    "components/              Haystack": "a folder map, not code",
    "sed -i -e": "edits a user's old YAML; the upgraded type names load: tests/app/test_pipeline_loader.py",
}


def test_every_block_is_run_or_says_why() -> None:
    unaccounted = []
    for block in readme_blocks():
        if block.marker in RUN_ELSEWHERE:
            assert (ROOT / RUN_ELSEWHERE[block.marker]).exists(), RUN_ELSEWHERE[block.marker]
            continue
        if block.marker and block.marker.startswith("<!-- example: "):
            assert block.marker.split()[2] in RUN_HERE, block.marker
            continue
        if block.first_line in RUN_HERE_BY_FIRST_LINE:
            continue
        if any(block.first_line.startswith(start) for start in NOT_RUN):
            continue
        unaccounted.append(block.first_line)
    assert not unaccounted, f"README blocks neither run by a test nor listed with a reason: {unaccounted}"
    names = [b.marker.split()[2] for b in readme_blocks() if b.marker and b.marker.startswith("<!-- example: ")]
    assert sorted(names) == sorted(RUN_HERE)


# ---- the blocks run here --------------------------------------------------------------------------------------


@pytest.fixture
def user_folder(tmp_path: Path) -> Path:
    """A user's folder with the bundled documents in it (`data/`), where the examples run."""
    folder = tmp_path / "user"
    folder.mkdir()
    (folder / "data").symlink_to(DATA_DIR, target_is_directory=True)
    return folder


def run_bash(code: str, folder: Path, store: Path) -> subprocess.CompletedProcess:
    """Runs a bash block as a user would, `extractive-qa` on the PATH, stopping at the first failing command."""
    env = process_environment(EQA_MODEL=str(SHARED_MODEL), EQA_STORE_PATH=str(store))
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', os.defpath)}"
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", code], cwd=folder, env=env, capture_output=True, text=True, timeout=900
    )


@pytest.mark.usefixtures("shared_model")  # skips where the model is not
@pytest.mark.model
def test_the_opening_answer(user_folder: Path, tmp_path: Path) -> None:
    block = next(b for b in readme_blocks() if b.first_line.startswith("$ extractive-qa ask"))
    command, *shown = block.code.splitlines()
    done = run_bash(f"extractive-qa index data/ --no-progress >/dev/null\n{command[2:]}", user_folder, tmp_path / "ix")
    assert done.returncode == 0, done.stderr
    assert_same_answer_line(done.stdout.splitlines()[0], shown[0])  # "1. 8  (confidence 98%, source: Oxygen.txt)"
    assert done.stdout.splitlines()[1].startswith(shown[1].split("...")[0] + "...")


@pytest.mark.usefixtures("shared_model")  # skips where the model is not
@pytest.mark.model
def test_the_command_line_example(user_folder: Path, tmp_path: Path) -> None:
    done = run_bash(example("command-line").code, user_folder, tmp_path / "index")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    ranked = re.findall(r"^[123]\. .*$", out, re.M)
    assert len(ranked) >= 3  # --top-k 3 shows three answers (and the later asks theirs)
    assert '"answers": [' in out and '"below_threshold"' in out  # --json
    assert re.search(r"source: Normans\.txt", out) and "removed " in out
    assert int(out.strip().splitlines()[-1]) > 0  # count


@pytest.mark.usefixtures("shared_model")  # skips where the model is not
@pytest.mark.model
def test_the_python_example_on_an_answer_and_a_no_answer(user_folder: Path, tmp_path: Path) -> None:
    env = process_environment(EQA_MODEL=str(SHARED_MODEL), EQA_STORE_PATH=str(tmp_path / "index"))
    done = subprocess.run(
        [sys.executable, "-c", example("python-api").code],
        cwd=user_folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert re.fullmatch(
        r"What is the capital of Victoria\? -> .+ \(confidence \d+%, Victoria \(Australia\)\.txt\)", lines[0]
    )
    assert lines[1].startswith("How much does a ferry ticket to Hessel cost? -> no answer (")  # no AttributeError
    assert lines[2] == "Berlin"
    assert lines[3].startswith(("1. ", "no answer"))  # the formatted result with --min-confidence's threshold


@pytest.fixture
def labelled_questions(user_folder: Path) -> Path:
    """`my-questions.json`: 60 labelled SQuAD 2.0 questions (answerable and not) in the user's folder."""
    if not HELDOUT.exists():
        pytest.skip(f"SQuAD 2.0 held-out data not at {HELDOUT}")
    subset = load_squad(HELDOUT).head(60)
    ids = {q.id for q in subset.questions}
    data = json.loads(HELDOUT.read_text(encoding="utf-8"))
    for article in data["data"]:
        for paragraph in article["paragraphs"]:
            paragraph["qas"] = [qa for qa in paragraph["qas"] if qa["id"] in ids]
        article["paragraphs"] = [p for p in article["paragraphs"] if p["qas"]]
    data["data"] = [a for a in data["data"] if a["paragraphs"]]
    path = user_folder / "my-questions.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.usefixtures("shared_model")  # skips where the model is not
@pytest.mark.model
def test_tune_then_use(user_folder: Path, tmp_path: Path, labelled_questions: Path) -> None:
    shipped = (ROOT / "pipelines" / "query.yml").read_text(encoding="utf-8")
    done = run_bash(example("tune-and-use").code, user_folder, tmp_path / "index")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    best = re.search(r"ours \(confidence >= 50%.*?\)\s.*\((confidence >= \d+%)\)", out)
    tuned = re.search(r"answer when the (confidence >= \d+%) \(null-score difference <= ([-0-9.e]+)\)", out)
    assert best and tuned, out
    assert best.group(1) == tuned.group(1)  # eval and tune-threshold name the same threshold, in the same unit
    written = (user_folder / "query.tuned.yml").read_text(encoding="utf-8")
    assert f"threshold: {float(tuned.group(2))!r}" in written
    assert (ROOT / "pipelines" / "query.yml").read_text(encoding="utf-8") == shipped  # the package is untouched
    asked = [line for line in out.splitlines() if line.startswith(("1. ", "no answer"))]
    assert len(asked) >= 2  # both questions answered through the tuned file


def test_the_mcp_client_configuration_is_json() -> None:
    block = next(b for b in readme_blocks() if b.language == "json")
    server = json.loads(block.code)["mcpServers"]["extractive-qa"]
    assert server["url"] == "http://127.0.0.1:1416/mcp" and server["headers"]["Authorization"].startswith("Bearer ")


@pytest.fixture
def keyless_server(tmp_path: Path) -> Iterator[Server]:
    from extractive_qa import QuestionAnswerer, Settings

    store = tmp_path / "index"
    QuestionAnswerer(Settings(store_path=store)).index([DATA_DIR / "Victoria (Australia).txt"])
    port = free_port()
    running = start_server(serve_command(port), server_env(tmp_path, SHARED_MODEL, store), tmp_path / "log", port)
    yield running
    running.stop()


@pytest.mark.usefixtures("shared_model")  # skips where the model is not
@pytest.mark.model
@pytest.mark.server
def test_the_mcp_python_client_runs_without_a_key(
    keyless_server: Server, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code = next(b for b in readme_blocks() if b.first_line == "import asyncio, os").code
    assert "http://127.0.0.1:1416/mcp" in code
    code = code.replace("http://127.0.0.1:1416", keyless_server.url)  # only the port is the test's own
    monkeypatch.delenv("EQA_API_KEY", raising=False)  # the text says: without a key, no header
    exec(compile(code, "README.md (MCP client)", "exec"), {"__name__": "readme", "asyncio": asyncio})
    printed = capsys.readouterr().out
    assert "'text':" in printed and "'confidence':" in printed
