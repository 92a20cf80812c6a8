"""
One answer object everywhere: the same questions through `extractive-qa ask --json` (the CLI, its own process),
`POST /ask/run` on a real `extractive-qa serve` and the MCP tool `ask_documents` (the official `mcp` client) give
the same answer objects, with the fields of `extractive_qa.answers.Answer`, in the same order.

Numbers (scores, confidences, the reader's evidence) are compared within `TOLERANCE`: the server batches the
reader's windows with other work and may pad them otherwise than the CLI does, which moves float32 results in their
last digits; everything else (spans, ids, offsets, pages, reasons, order) is compared exactly. The CLI's `seconds`
(the time each question took) is left out.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from extractive_qa import QuestionAnswerer, Settings
from extractive_qa.answers import Answer
from extractive_qa.testing.documents import pdf_file
from extractive_qa.testing.paths import DATA_DIR
from extractive_qa.testing.processes import Server, free_port, run_cli, serve_command, start_server
from extractive_qa.testing.servers import server_env

pytestmark = [pytest.mark.server, pytest.mark.model, pytest.mark.timeout(600)]

#: The largest difference allowed between two ways' numbers (scores and confidences are from 0 to 1).
TOLERANCE = 1e-3
TOP_K = 3
QUESTIONS = [
    "What is the atomic number of oxygen?",  # an answer from a text file
    "How much does the Quorvex engine weigh?",  # an answer on page 2 of a PDF
    "When was the Veltmark observatory founded?",  # no answer, and why
]
ANSWER_FIELDS = [item.name for item in dataclasses.fields(Answer)]


@pytest.fixture(scope="module")
def answered(shared_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, list[dict]]]:
    """Each way's results for `QUESTIONS`: the CLI's (asked before the server starts), the HTTP API's and MCP's."""
    tmp = tmp_path_factory.mktemp("one-answer")
    store = tmp / "store"
    (tmp / "engine.pdf").write_bytes(
        pdf_file(["The Quorvex engine was designed in Tallinn.", "Page two: the Quorvex engine weighs 40 tonnes."])
    )
    report = QuestionAnswerer(Settings(store_path=store)).index([DATA_DIR / "Oxygen.txt", tmp / "engine.pdf"])
    assert report.files_read == 2
    env = server_env(tmp, shared_model, store, EQA_SHOW_FILE_PATHS="1")  # the CLI shows paths too
    cli = run_cli("ask", "--json", "--top-k", str(TOP_K), *QUESTIONS, env=env)
    assert cli.returncode == 0, cli.stderr
    port = free_port()
    running = start_server(serve_command(port), env, tmp / "server.log", port)
    try:
        yield {
            "cli": json.loads(cli.stdout),
            "http": [ask_http(running, question) for question in QUESTIONS],
            "mcp": ask_mcp(running, QUESTIONS),
        }
    finally:
        running.stop()


def ask_http(server: Server, question: str) -> dict[str, Any]:
    response = requests.post(f"{server.url}/ask/run", json={"question": question, "top_k": TOP_K}, timeout=120)
    assert response.status_code == 200, response.text
    return response.json()["result"]


def ask_mcp(server: Server, questions: list[str]) -> list[dict[str, Any]]:
    """The questions asked in one session of the official MCP client (Streamable HTTP); the tool's results."""
    from mcp import ClientSession
    from mcp.client.streamable_http import streamablehttp_client

    async def go() -> list[dict[str, Any]]:
        async with (
            streamablehttp_client(f"{server.url}/mcp", timeout=60) as (read, write, _),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            results = []
            for question in questions:
                result = await session.call_tool("ask_documents", {"question": question, "top_k": TOP_K})
                assert not result.isError, result.content
                results.append(result.structuredContent)
            return results

    return asyncio.run(go())


def differences(ours: Any, theirs: Any, where: str = "") -> list[str]:
    """Where two JSON values differ: numbers by more than `TOLERANCE`, anything else at all."""
    if isinstance(ours, float | int) and isinstance(theirs, float | int) and bool not in (type(ours), type(theirs)):
        return [f"{where}: {ours!r} != {theirs!r}"] if abs(ours - theirs) > TOLERANCE else []
    if isinstance(ours, dict) and isinstance(theirs, dict):
        if set(ours) != set(theirs):
            return [f"{where}: fields {sorted(set(ours) ^ set(theirs))} in one only"]
        return [found for key in ours for found in differences(ours[key], theirs[key], f"{where}.{key}")]
    if isinstance(ours, list) and isinstance(theirs, list):
        if len(ours) != len(theirs):
            return [f"{where}: {len(ours)} items != {len(theirs)}"]
        pairs = enumerate(zip(ours, theirs, strict=True))
        return [found for i, (a, b) in pairs for found in differences(a, b, f"{where}[{i}]")]
    return [] if ours == theirs else [f"{where}: {ours!r} != {theirs!r}"]


def test_every_way_gives_the_answer_objects_fields(answered: dict[str, list[dict]]) -> None:
    for way, results in answered.items():
        assert len(results) == len(QUESTIONS), way
        for result in results:
            assert set(result) - {"seconds"} == {"question", "no_answer", "min_confidence", "answers"}, way
            for answer in result["answers"]:
                assert list(answer) == ANSWER_FIELDS, way  # the answer object's fields, in its order


@pytest.mark.parametrize("way", ["http", "mcp"])
def test_http_and_mcp_give_what_the_cli_gives(answered: dict[str, list[dict]], way: str) -> None:
    for cli, other in zip(answered["cli"], answered[way], strict=True):
        found = differences({key: value for key, value in cli.items() if key != "seconds"}, other)
        assert not found, found


def test_the_questions_show_what_they_are_for(answered: dict[str, list[dict]]) -> None:
    """The comparison covers an answer, an answer's page in a PDF and the no-answer entry with its reason."""
    oxygen, engine, veltmark = answered["cli"]
    assert oxygen["answers"][0]["text"] == "8" and oxygen["answers"][0]["source"] == "Oxygen.txt"
    assert (engine["answers"][0]["text"], engine["answers"][0]["page_number"]) == ("40 tonnes", 2)
    assert veltmark["no_answer"] is True and "Veltmark" in veltmark["answers"][0]["reason"]
    assert 0 < oxygen["min_confidence"] < 1
