"""
The MCP tools at `/mcp` of an exposed `extractive-qa serve` (EQA_EXPOSED=1, an API key, on 127.0.0.1), through the
official `mcp` Python client over Streamable HTTP: the tools listed (no deploy tools), answers with their sources,
the key, and calls with bad arguments.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests

from extractive_qa import QuestionAnswerer, Settings
from extractive_qa.testing.documents import pdf_file
from extractive_qa.testing.paths import DATA_DIR
from extractive_qa.testing.processes import Server
from extractive_qa.testing.servers import serving

pytestmark = [pytest.mark.server, pytest.mark.model, pytest.mark.timeout(600)]

API_KEY = secrets.token_urlsafe(32)
MAX_BODY_BYTES = 65_536
T = TypeVar("T")


@pytest.fixture(scope="module")
def exposed(shared_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("mcp")
    store = tmp / "store" / "store.json"
    (tmp / "engine.pdf").write_bytes(
        pdf_file(["The Quorvex engine was designed in Tallinn.", "Page two: the Quorvex engine weighs 40 tonnes."])
    )
    report = QuestionAnswerer(Settings(store_path=store)).index([DATA_DIR / "Oxygen.txt", tmp / "engine.pdf"])
    assert report.files_read == 2
    with serving(
        tmp, shared_model, store, EQA_EXPOSED="1", EQA_API_KEY=API_KEY, EQA_MAX_BODY_BYTES=str(MAX_BODY_BYTES)
    ) as running:
        yield running


def with_session(server: Server, work: Callable[[Any], Awaitable[T]], key: str | None = API_KEY) -> T:
    """Runs `work(session)` in an initialized MCP client session (the official client, Streamable HTTP)."""
    from mcp import ClientSession
    from mcp.client.streamable_http import streamablehttp_client

    async def go() -> T:
        headers = {"Authorization": f"Bearer {key}"} if key else None
        async with (
            streamablehttp_client(f"{server.url}/mcp", headers=headers, timeout=60) as (read, write, _),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            return await work(session)

    return asyncio.run(go())


def call(server: Server, tool: str, arguments: dict[str, Any]) -> Any:
    async def work(session: Any) -> Any:
        return await session.call_tool(tool, arguments)

    return with_session(server, work)


def test_the_tools_are_the_applications_and_no_deploy_tools(exposed: Server) -> None:
    async def work(session: Any) -> Any:
        return await session.list_tools()

    tools = {tool.name: tool for tool in with_session(exposed, work).tools}
    assert set(tools) == {"ask_documents", "index_text", "list_sources"}
    assert tools["list_sources"].annotations.readOnlyHint is True
    assert not {name for name in tools if "deploy" in name or "pipeline" in name}
    schema = tools["ask_documents"].inputSchema
    assert schema["required"] == ["question"]
    assert {"question", "top_k", "filters", "min_confidence"} <= set(schema["properties"])
    assert schema["properties"]["top_k"]["maximum"] == 100
    assert "source" in tools["ask_documents"].description


def test_ask_documents_gives_the_answer_and_its_source(exposed: Server) -> None:
    result = call(exposed, "ask_documents", {"question": "What is the atomic number of oxygen?", "top_k": 2})
    assert not result.isError, result.content
    answers = result.structuredContent["answers"]
    best = answers[0]
    assert result.structuredContent["no_answer"] is False
    assert (best["text"], best["source"], best["file_path"]) == ("8", "Oxygen.txt", None)
    assert 0.5 < best["confidence"] <= 1 and best["context"] and best["answer_id"]
    assert '"text":"8"' in result.content[0].text.replace(" ", "")  # the same JSON as text, for any client
    pdf = call(exposed, "ask_documents", {"question": "How much does the Quorvex engine weigh?"}).structuredContent
    assert (pdf["answers"][0]["text"], pdf["answers"][0]["source"], pdf["answers"][0]["page_number"]) == (
        "40 tonnes",
        "engine.pdf",
        2,
    )
    only = {"field": "meta.file_name", "operator": "==", "value": "engine.pdf"}
    filtered = call(exposed, "ask_documents", {"question": "What is the atomic number of oxygen?", "filters": only})
    assert {a["source"] for a in filtered.structuredContent["answers"] if a["text"]} <= {"engine.pdf"}


def test_min_confidence_is_the_threshold_in_the_unit_answers_show(exposed: Server) -> None:
    question = {"question": "What is the atomic number of oxygen?", "top_k": 3}
    default = call(exposed, "ask_documents", question).structuredContent
    assert 0 < default["min_confidence"] < 1  # the server's threshold, as a confidence
    best = default["answers"][0]
    assert best["text"] == "8" and best["confidence"] > default["min_confidence"]
    strict = call(exposed, "ask_documents", {**question, "min_confidence": 0.999}).structuredContent
    assert strict["min_confidence"] == pytest.approx(0.999, abs=1e-9)  # applied: what the result states
    assert strict["no_answer"] is True and strict["answers"][0]["text"] is None
    assert next(a for a in strict["answers"] if a["text"] == "8")["below_threshold"] is True
    for wrong in (0, 1, 1.5, "high"):
        refused = call(exposed, "ask_documents", {**question, "min_confidence": wrong})
        assert refused.isError and "min_confidence" in refused.content[0].text, refused.content


def test_index_text_then_ask(exposed: Server) -> None:
    text = "The Vellmar lighthouse on the island of Orrsund is painted green and was built in 1843."
    indexed = call(exposed, "index_text", {"content": text, "name": "lighthouse.txt", "meta": {"topic": "sea"}})
    assert not indexed.isError, indexed.content
    assert indexed.structuredContent["documents_indexed"] == 1
    answer = call(exposed, "ask_documents", {"question": "When was the Vellmar lighthouse built?"})
    assert answer.structuredContent["answers"][0]["text"] == "1843"
    assert answer.structuredContent["answers"][0]["source"] == "lighthouse.txt"


@pytest.mark.parametrize(
    ("tool", "arguments", "message"),
    [
        ("ask_documents", {"question": 12}, "question"),
        ("ask_documents", {}, "question"),
        ("ask_documents", {"question": "Who?", "top_k": "many"}, "top_k"),
        ("ask_documents", {"question": "Who?", "top_k": 0}, "top_k"),
        ("ask_documents", {"question": "Who?", "top_k": 1000}, "top_k"),
        ("ask_documents", {"question": "   "}, "the question is empty"),
        ("ask_documents", {"question": "Why " + "y" * 3000 + "?"}, "the limit is 2000"),
        ("ask_documents", {"question": "Who?", "filters": {"field": "meta.x", "operator": "~"}}, "filters"),
        ("ask_documents", {"question": "Who?", "filters": "all"}, "filters"),
        ("index_text", {"content": ""}, "content"),
        ("index_text", {"content": 5}, "content"),
        ("index_text", {"content": "text", "meta": {"file_path": "/etc/passwd"}}, "reserved"),
        ("index_text", {"content": "text", "meta": {"nested": {"a": 1}}}, "meta"),
        ("index_text", {"content": "text", "name": "../../etc/x.txt"}, "path separator"),
        ("index_text", {"content": "text", "name": "nul\x00.txt"}, "control characters"),
        ("index_text", {"content": "text", "name": "two\nlines.txt"}, "control characters"),
        (
            "ask_documents",
            {"question": "Who?", "filters": {"field": "meta.file_path", "operator": "==", "value": "/"}},
            "meta.file_path cannot be filtered on",
        ),
    ],
)
def test_bad_arguments_are_tool_errors_naming_the_problem(
    exposed: Server, tool: str, arguments: dict[str, Any], message: str
) -> None:
    result = call(exposed, tool, arguments)
    assert result.isError
    text = result.content[0].text
    assert message in text, text
    assert "Traceback" not in text


def test_the_key_is_required(exposed: Server) -> None:
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    }
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    missing = requests.post(f"{exposed.url}/mcp", json=initialize, headers=headers, timeout=30)
    assert missing.status_code == 401 and "API key" in missing.json()["detail"]
    wrong = requests.post(
        f"{exposed.url}/mcp", json=initialize, headers={**headers, "Authorization": "Bearer " + "w" * 40}, timeout=30
    )
    assert wrong.status_code == 401
    right = requests.post(f"{exposed.url}/mcp", json=initialize, headers={**headers, "X-API-Key": API_KEY}, timeout=30)
    assert right.status_code == 200, right.text
    with pytest.raises(BaseException) as refused:  # the official client, without the key
        with_session(exposed, lambda session: session.list_tools(), key=None)
    assert "401" in repr(refused.value) or "Unauthorized" in repr(refused.value)


def test_the_body_limit_applies(exposed: Server) -> None:
    big = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "index_text", "arguments": {"content": "x" * (MAX_BODY_BYTES + 10)}},
    }
    response = requests.post(
        f"{exposed.url}/mcp",
        json=big,
        headers={"Authorization": f"Bearer {API_KEY}", "Accept": "application/json, text/event-stream"},
        timeout=30,
    )
    assert response.status_code == 413 and "EQA_MAX_BODY_BYTES" in response.json()["detail"]


def test_no_answer_says_why(exposed: Server) -> None:
    result = call(exposed, "ask_documents", {"question": "Which airport serves Veltmark?"})
    content = result.structuredContent
    assert content["no_answer"] is True
    assert content["answers"][0]["text"] is None and "Veltmark" in content["answers"][0]["reason"]
    # what an agent reads without the structured output: the same answer object as JSON text
    assert json.loads(result.content[0].text)["answers"][0]["reason"] == content["answers"][0]["reason"]


def test_the_tool_tells_the_agent_about_the_reason(exposed: Server) -> None:
    async def work(session: Any) -> Any:
        return await session.list_tools()

    tool = next(t for t in with_session(exposed, work).tools if t.name == "ask_documents")
    assert "`reason` says why" in tool.description and "no passage mentions" in tool.description
    answer = tool.outputSchema["$defs"]["AnswerModel"]["properties"]["reason"]
    assert "no passage mentions Veltmark" in answer["description"]


def test_list_sources_lists_the_documents_paged_without_paths(exposed: Server) -> None:
    result = call(exposed, "list_sources", {})
    assert not result.isError, result.content
    listed = result.structuredContent
    by_name = {s["name"]: s for s in listed["sources"]}
    assert (by_name["engine.pdf"]["type"], by_name["engine.pdf"]["pages"]) == ("PDF", 2)
    assert (by_name["Oxygen.txt"]["type"], by_name["Oxygen.txt"]["passages"]) == ("text", 37)
    assert all(s["path"] is None for s in listed["sources"]) and listed["total"] == len(listed["sources"])
    assert [s["name"] for s in listed["sources"]] == sorted(by_name, key=str.casefold)
    assert str(DATA_DIR) not in json.dumps(listed)
    page = call(exposed, "list_sources", {"name": "OXY", "limit": 1}).structuredContent
    assert (page["total"], [s["name"] for s in page["sources"]]) == (1, ["Oxygen.txt"])
    refused = call(exposed, "list_sources", {"limit": 100_000})
    assert refused.isError and "limit" in refused.content[0].text
