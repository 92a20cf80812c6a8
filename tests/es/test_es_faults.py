"""Elasticsearch out of reach: at start (a closed port) and stopped between two questions (a second real node)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from extractive_qa import QuestionAnswerer, Settings, StoreUnavailable
from extractive_qa.cli import main
from extractive_qa.testing.elasticsearch import closed_port_url, unavailable
from extractive_qa.testing.paths import DATA_DIR, ROOT
from extractive_qa.testing.processes import run_cli

pytestmark = pytest.mark.elasticsearch

NODE_SCRIPT = ROOT / "scripts" / "elasticsearch.sh"
STORE_OPTIONS = ["--store", "elasticsearch", "--elasticsearch-url"]


def test_cli_with_elasticsearch_not_running_says_so_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    url = closed_port_url()
    expected = f"error: cannot reach Elasticsearch at {url}: Connection refused\n"
    result = run_cli("index", str(DATA_DIR), *STORE_OPTIONS, url)  # a real process: exit code and all of stderr
    assert (result.returncode, result.stderr, result.stdout) == (4, expected, "")
    for command in (["count"], ["remove", str(DATA_DIR / "Oxygen.txt")]):
        assert main([*command, *STORE_OPTIONS, url]) == 4, command
        assert capsys.readouterr() == ("", expected), command


def test_cli_ask_with_elasticsearch_not_running(shared_model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = closed_port_url()
    code = main(["ask", "Who ruled Normandy?", "--model", str(shared_model), *STORE_OPTIONS, url])
    captured = capsys.readouterr()
    assert code == 4
    assert captured.err == f"error: cannot reach Elasticsearch at {url}: Connection refused\n"
    assert captured.out == ""


@pytest.fixture(scope="module")
def second_node(es_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second real node (scripts/elasticsearch.sh on a free port), for a test that stops it; removed afterwards."""
    port = closed_port_url().rsplit(":", 1)[1]
    env = {**os.environ, "ES_PORT": port, "ES_JAVA_OPTS": "-Xms256m -Xmx256m", "ES_START_TIMEOUT": "180"}
    started = subprocess.run(
        [str(NODE_SCRIPT), "start"], env=env, capture_output=True, text=True, timeout=600, check=False
    )
    try:
        if started.returncode != 0:
            unavailable(f"a second Elasticsearch node did not start on port {port}: {started.stderr[-500:]}")
        yield started.stdout.strip().split("=", 1)[1]
    finally:
        subprocess.run([str(NODE_SCRIPT), "stop"], env=env, capture_output=True, timeout=120, check=False)
        for base in (ROOT / ".es", Path("/var/tmp")):
            for node_dir in base.glob(f"**/node-{port}"):
                shutil.rmtree(node_dir, ignore_errors=True)


def test_node_stopped_between_two_questions(second_node: str, shared_model: Path, tmp_path: Path) -> None:
    qa = QuestionAnswerer(
        Settings(
            model=str(shared_model),
            store="elasticsearch",
            elasticsearch_url=second_node,
            elasticsearch_index="stop-test",
            store_path=tmp_path / "unused.json",
        )
    )
    qa.index([DATA_DIR / "Oxygen.txt", DATA_DIR / "Normans.txt"])
    first = qa.ask("What is the atomic number of oxygen?")
    assert first.best is not None and first.best.text == "8"

    port = second_node.rsplit(":", 1)[1]
    stopped = subprocess.run(
        [str(NODE_SCRIPT), "stop"], env={**os.environ, "ES_PORT": port}, capture_output=True, text=True, timeout=120
    )
    assert stopped.returncode == 0, stopped.stderr

    with pytest.raises(StoreUnavailable) as failure:
        qa.ask("Who ruled the duchy of Normandy?")
    assert str(failure.value) == f"cannot reach Elasticsearch at {second_node}: Connection refused"
    with pytest.raises(StoreUnavailable) as again:
        qa.count_documents()
    assert str(again.value) == str(failure.value)
