"""
Issue 26, "a new user's first hour", through the CLI, the Python API, HTTP, MCP and the page: answers in the order
of the confidence shown and as many as asked for, a tuned pipeline file that `ask`, `serve` and the API use (the
page's threshold text then agrees with it), the threshold in the unit of the confidence, and a question restricted
to a source name that is not indexed saying so.
"""

from __future__ import annotations

import asyncio
import json
import math
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from extractive_qa import NothingIndexed, QuestionAnswerer, Settings
from extractive_qa.answers import percent
from extractive_qa.components.no_answer_decision import min_confidence
from extractive_qa.errors import InvalidField, InvalidSettings
from extractive_qa.evaluation.tuned_yaml import set_threshold_in_yaml
from extractive_qa.testing.browser import chromium, missing_browser
from extractive_qa.testing.paths import DATA_DIR, ROOT
from extractive_qa.testing.processes import Server, free_port, run_cli, serve_command, start_server
from extractive_qa.testing.servers import server_env

FILES = [
    DATA_DIR / name for name in ("Victoria (Australia).txt", "Oxygen.txt", "Normans.txt", "Fresno, California.txt")
]
VICTORIA = "What is the capital of Victoria?"
# A threshold as tune-threshold writes it: an answer then needs a confidence of at least 28%.
TUNED_THRESHOLD = 0.936789


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("first-hour") / "index"
    report = QuestionAnswerer(Settings(store_path=path)).index(FILES)
    assert report.files_read == len(FILES)
    return path


@pytest.fixture(scope="module")
def tuned_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    text = (ROOT / "pipelines" / "query.yml").read_text(encoding="utf-8")
    path = tmp_path_factory.mktemp("tuned") / "query.tuned.yml"
    path.write_text(
        set_threshold_in_yaml(text, "threshold", {"signal": "null_score_diff", "threshold": TUNED_THRESHOLD}),
        encoding="utf-8",
    )
    return path


def _by_confidence(answers: list[dict[str, Any]]) -> None:
    """Answers above the threshold, the no-answer entry, then those below, each group by confidence."""
    real = [a for a in answers if a["text"] is not None]
    passing = [a["confidence"] for a in real if not a["below_threshold"]]
    below = [a["confidence"] for a in real if a["below_threshold"]]
    assert passing == sorted(passing, reverse=True) and below == sorted(below, reverse=True)
    entry = next(i for i, a in enumerate(answers) if a["text"] is None)
    assert all(not a["below_threshold"] for a in answers[:entry])
    assert all(a["below_threshold"] for a in answers[entry + 1 :])


# ---- the command line -----------------------------------------------------------------------------------------


@pytest.mark.model
def test_cli_top_k_shows_that_many_answers_in_the_order_of_their_confidence(store: Path, shared_model: Path) -> None:
    env = {"EQA_MODEL": str(shared_model), "EQA_STORE_PATH": str(store)}
    done = run_cli("ask", VICTORIA, "--top-k", "3", "--min-confidence", "99", env=env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("no answer (")  # nothing is 99% sure ...
    ranked = [line for line in lines if line[:3] in ("1. ", "2. ", "3. ")]
    assert len(ranked) == 3  # ... and the three best candidates are still shown, marked
    assert all(", below the threshold" in line for line in ranked)
    shown = [float(line.split("(confidence ")[1].split("%")[0].lstrip("<>")) for line in ranked]
    assert shown == sorted(shown, reverse=True)

    as_json = run_cli("ask", VICTORIA, "--top-k", "3", "--json", env=env)
    assert as_json.returncode == 0, as_json.stderr
    answers = json.loads(as_json.stdout)["answers"]
    assert len([a for a in answers if a["text"] is not None]) == 3
    _by_confidence(answers)


@pytest.mark.model
def test_cli_file_name_that_is_not_indexed_says_so(store: Path, shared_model: Path) -> None:
    env = {"EQA_MODEL": str(shared_model), "EQA_STORE_PATH": str(store)}
    done = run_cli("ask", VICTORIA, "--file-name", "Nope.txt", env=env)
    assert done.returncode == 5, done.stdout
    assert done.stderr.strip().splitlines() == [
        "error: not indexed: Nope.txt (no passage has this source name; 'extractive-qa sources' lists the names "
        "there are)"
    ]
    found = run_cli("ask", VICTORIA, "--file-name", "Victoria (Australia).txt", "--json", env=env)
    assert found.returncode == 0, found.stderr
    assert {a["source"] for a in json.loads(found.stdout)["answers"] if a["text"]} == {"Victoria (Australia).txt"}


@pytest.mark.model
def test_cli_takes_a_pipeline_file_by_option_and_environment(
    store: Path, shared_model: Path, tuned_pipeline: Path, tmp_path: Path
) -> None:
    env = {"EQA_MODEL": str(shared_model), "EQA_STORE_PATH": str(store)}
    missing = run_cli("ask", VICTORIA, "--pipeline", str(tmp_path / "nope.yml"), env=env)
    assert missing.returncode == 2 and missing.stderr.startswith("error: pipeline file not found:")
    for how in (["--pipeline", str(tuned_pipeline)], []):
        extra = {} if how else {"EQA_QUERY_PIPELINE": str(tuned_pipeline)}
        done = run_cli("ask", VICTORIA, "--json", *how, env={**env, **extra})
        assert done.returncode == 0, done.stderr
        entry = next(a for a in json.loads(done.stdout)["answers"] if a["text"] is None)
        assert entry["meta"]["threshold"] == TUNED_THRESHOLD  # the tuned decision answered


def test_cli_help_explains_confidence_and_threshold() -> None:
    done = run_cli("ask", "--help")
    text = " ".join(done.stdout.split())
    assert "--min-confidence PERCENT" in text and "odds of the answer against 'no answer'" in text
    assert "0 is a confidence of 50%" in text and "--pipeline FILE" in text
    tune = " ".join(run_cli("tune-threshold", "--help").stdout.split())
    assert "query.tuned.yml" in tune and "the confidence an answer needs" in tune
    bad = run_cli("ask", VICTORIA, "--min-confidence", "150")
    assert bad.returncode == 2 and "min_confidence" in bad.stderr and "Traceback" not in bad.stderr


def test_demo_script_reads_a_relative_model_path_from_the_callers_folder(tmp_path: Path) -> None:
    # the lines of scripts/demo.sh that run before it changes into the repository (set-up and indexing follow)
    script = (ROOT / "scripts" / "demo.sh").read_text(encoding="utf-8")
    head = script[script.index('root="$(') : script.index('cd "$root"')]
    caller = tmp_path / "caller"
    (caller / "models" / "mini").mkdir(parents=True)

    def resolved(then: str, model: str) -> subprocess.CompletedProcess[str]:
        """The model and store paths after the script's head, then `then`, run from the caller's folder."""
        return subprocess.run(
            ["bash", "-c", f'set -euo pipefail\n{head}\n{then}echo "$EQA_MODEL|$EQA_STORE_PATH"'],
            cwd=caller,
            env={"PATH": "/usr/bin:/bin", "EQA_MODEL": model, "EQA_STORE_PATH": "store/index"},
            capture_output=True,
            text=True,
            check=True,
        )

    done = resolved('cd "$root"\n', "models/mini")
    (caller / "store").mkdir()
    again = resolved("", "deepset/roberta-base-squad2")
    assert done.stdout.strip() == f"{caller / 'models' / 'mini'}|store/index"  # a store folder not there: as given
    assert again.stdout.strip() == f"deepset/roberta-base-squad2|{caller / 'store' / 'index'}"  # a hub id stays
    assert "in-memory store" not in script and "tantivy index directory" in script


# ---- the Python API -------------------------------------------------------------------------------------------


@pytest.mark.model
def test_python_api_pipeline_file_min_confidence_and_source_names(
    store: Path, shared_model: Path, tuned_pipeline: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    qa = QuestionAnswerer(model=str(shared_model), store_path=store, query_pipeline=tuned_pipeline)
    decision = qa.query_pipeline.get_component("threshold")
    assert decision.threshold == TUNED_THRESHOLD
    result = qa.ask(VICTORIA, top_k=4)
    _by_confidence([a.to_dict() for a in result.answers])
    assert len([a for a in result.answers if a.text is not None]) == 4
    # the same override in either unit decides alike
    by_confidence = qa.ask(VICTORIA, min_confidence=0.6)
    by_threshold = qa.ask(VICTORIA, threshold=math.log(0.4 / 0.6))
    assert [a.text for a in by_confidence.answers] == [a.text for a in by_threshold.answers]
    with pytest.raises(InvalidField, match="between 0 and 1"):
        qa.ask(VICTORIA, min_confidence=1.5)
    with pytest.raises(NothingIndexed, match=r"not indexed: Nope\.txt"):
        qa.ask(VICTORIA, filters={"field": "meta.file_name", "operator": "in", "value": ["Oxygen.txt", "Nope.txt"]})
    with pytest.raises(NothingIndexed, match=r"not indexed: Nope\.txt"):
        qa.ask(
            VICTORIA,
            filters={
                "operator": "AND",
                "conditions": [{"field": "meta.file_name", "operator": "==", "value": "Nope.txt"}],
            },
        )
    # EQA_QUERY_PIPELINE reaches the module-level API's settings
    monkeypatch.setenv("EQA_QUERY_PIPELINE", str(tuned_pipeline))
    assert Settings.from_env().query_pipeline == tuned_pipeline
    monkeypatch.setenv("EQA_QUERY_PIPELINE", str(tuned_pipeline.parent))
    with pytest.raises(InvalidSettings, match="cannot be read"):
        QuestionAnswerer(store_path=store).query_pipeline  # noqa: B018


# ---- HTTP, MCP and the page, from a server on the tuned file -------------------------------------------------


@pytest.fixture(scope="module")
def server(
    store: Path, shared_model: Path, tuned_pipeline: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("served")
    port = free_port()
    env = server_env(tmp, shared_model, store)
    command = [*serve_command(port), "--pipeline", str(tuned_pipeline)]
    running = start_server(command, env, tmp / "server.log", port)
    yield running
    running.stop()


@pytest.mark.model
@pytest.mark.server
def test_http_serves_the_tuned_file_in_the_confidence_order(server: Server) -> None:
    info = requests.get(f"{server.url}/info", timeout=30).json()
    assert info["threshold"] == TUNED_THRESHOLD
    assert info["min_confidence"] == pytest.approx(min_confidence("null_score_diff", TUNED_THRESHOLD))
    asked = requests.post(f"{server.url}/ask/run", json={"question": VICTORIA, "top_k": 4}, timeout=120)
    assert asked.status_code == 200, asked.text
    answers = asked.json()["result"]["answers"]
    assert len([a for a in answers if a["text"] is not None]) == 4
    _by_confidence(answers)
    strict = requests.post(f"{server.url}/ask/run", json={"question": VICTORIA, "min_confidence": 0.999}, timeout=120)
    assert strict.json()["result"]["no_answer"] is True
    refused = requests.post(f"{server.url}/ask/run", json={"question": VICTORIA, "min_confidence": 1}, timeout=30)
    assert refused.status_code == 422 and "min_confidence" in refused.text
    nowhere = requests.post(
        f"{server.url}/ask/run",
        json={"question": VICTORIA, "filters": {"field": "meta.file_name", "operator": "==", "value": "Nope.txt"}},
        timeout=120,
    )
    assert nowhere.status_code == 409 and "not indexed: Nope.txt" in nowhere.json()["detail"]

    # MCP gives the same answers in the same order
    from mcp import ClientSession
    from mcp.client.streamable_http import streamablehttp_client

    async def mcp_answers() -> list[dict[str, Any]]:
        async with (
            streamablehttp_client(f"{server.url}/mcp") as (read, write, _),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            result = await session.call_tool("ask_documents", {"question": VICTORIA, "top_k": 4})
            return result.structuredContent["answers"]

    assert [(a["text"], a["below_threshold"]) for a in asyncio.run(mcp_answers())] == [
        (a["text"], a["below_threshold"]) for a in answers
    ]


@pytest.mark.model
@pytest.mark.server
@pytest.mark.skipif(missing_browser() is not None, reason=str(missing_browser()))
def test_the_page_shows_the_tuned_threshold_and_answers_in_its_order(server: Server, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    wanted = percent(min_confidence("null_score_diff", TUNED_THRESHOLD))
    with chromium(tmp_path / "profile") as page:
        page.get(f"{server.url}/")
        WebDriverWait(page, 60).until(lambda b: "passage(s) indexed" in b.find_element(By.ID, "passages").text)
        assert page.find_element(By.ID, "threshold-value").text == wanted == "28%"
        page.find_element(By.ID, "question").send_keys(VICTORIA)
        page.find_element(By.ID, "ask-button").click()
        WebDriverWait(page, 120).until(lambda b: b.find_elements(By.CSS_SELECTOR, "#results .answer"))
        shown = [
            float(where.text.split("confidence ")[1].split("%")[0].lstrip("<>"))
            for where in page.find_elements(By.CSS_SELECTOR, "#results .answers:not(.below-list) .where")
        ]
        assert shown == sorted(shown, reverse=True)
        assert all(value >= 28 for value in shown)  # what passed cleared the threshold the page states


def test_remove_takes_the_source_name_and_says_when_nothing_is_removed(tmp_path: Path) -> None:
    from extractive_qa import QAError

    store = tmp_path / "index"
    qa = QuestionAnswerer(Settings(store_path=store))
    qa.index([DATA_DIR / "Oxygen.txt", DATA_DIR / "Normans.txt"])
    env = {"EQA_STORE_PATH": str(store)}
    by_name = run_cli("remove", "Oxygen.txt", env=env)  # the name answers show as `source`
    assert by_name.returncode == 0, by_name.stderr
    assert by_name.stdout.startswith("removed ") and not by_name.stdout.startswith("removed 0 ")
    again = run_cli("remove", "Oxygen.txt", env=env)
    assert again.returncode == 2 and again.stderr.strip().splitlines() == [
        "error: nothing removed: no source 'Oxygen.txt' in the store (see 'extractive-qa sources' or GET /sources)"
    ]
    by_path = run_cli("remove", str(DATA_DIR / "Oxygen.txt"), str(DATA_DIR / "Normans.txt"), env=env)
    assert (
        by_path.returncode == 2 and "nothing removed: no source " in by_path.stderr and "Normans" not in by_path.stderr
    )
    assert QuestionAnswerer(Settings(store_path=store)).count_documents() > 0  # Normans.txt kept: nothing removed
    with pytest.raises(QAError, match=r"nothing removed: no source 'Nope\.txt' in the store"):
        QuestionAnswerer(Settings(store_path=store)).remove(["Nope.txt"])
    removed = QuestionAnswerer(Settings(store_path=store)).remove([DATA_DIR / "Normans.txt"])
    assert removed > 0 and QuestionAnswerer(Settings(store_path=store)).count_documents() == 0
