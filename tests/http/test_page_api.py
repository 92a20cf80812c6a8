"""
The served app's own endpoints (the page, `/info`, `/upload`, `/feedback`, `/mcp` on loopback) against one real
`extractive-qa serve` process on 127.0.0.1 (no key), with the shared small model: what they answer and every kind of
bad input, each a clear 4xx with nothing lost.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from extractive_qa import QuestionAnswerer, Settings
from extractive_qa.answers import Answer, QAResult
from extractive_qa.http.application import ServedApplication
from extractive_qa.http.config import ServeConfig
from extractive_qa.testing.documents import docx_file, encrypted_pdf, image_only_pdf, pdf_file
from extractive_qa.testing.paths import DATA_DIR
from extractive_qa.testing.processes import Server, free_port, serve_command, start_server
from extractive_qa.testing.servers import server_env

pytestmark = [pytest.mark.server, pytest.mark.model, pytest.mark.timeout(600)]

MAX_UPLOAD_BYTES = 200_000
MAX_DOCUMENTS = 3
ENGINE_PAGES = [
    "The Quorvex engine was designed in Tallinn in 1911 by the engineer Maret Kask.",
    "On the second page: the Quorvex engine weighs 40 tonnes and runs on peat.",
]


@pytest.fixture(scope="module")
def server(shared_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("page-api")
    store = tmp / "store" / "store.json"
    report = QuestionAnswerer(Settings(store_path=store)).index([DATA_DIR / "Oxygen.txt", DATA_DIR / "Normans.txt"])
    assert report.files_read == 2
    port = free_port()
    env = server_env(
        tmp,
        shared_model,
        store,
        EQA_MAX_UPLOAD_BYTES=str(MAX_UPLOAD_BYTES),
        EQA_MAX_DOCUMENTS=str(MAX_DOCUMENTS),
        EQA_FEEDBACK_PATH=str(tmp / "feedback.sqlite3"),
    )
    running = start_server(serve_command(port), env, tmp / "server.log", port)
    running.feedback_path = tmp / "feedback.sqlite3"  # type: ignore[attr-defined]
    yield running
    running.stop()


def ask(server: Server, question: str, **body: Any) -> dict[str, Any]:
    response = requests.post(f"{server.url}/ask/run", json={"question": question, **body}, timeout=120)
    assert response.status_code == 200, response.text
    return response.json()["result"]


def upload(server: Server, *files: tuple[str, bytes]) -> requests.Response:
    parts = [("files", (name, data, "application/octet-stream")) for name, data in files]
    return requests.post(f"{server.url}/upload", files=parts, timeout=120)


def count(server: Server) -> int:
    return requests.get(f"{server.url}/info", timeout=30).json()["passages_in_store"]


def test_the_page_and_its_files_are_served_with_a_strict_policy(server: Server) -> None:
    page = requests.get(f"{server.url}/", timeout=30)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    assert '<script src="static/app.js" defer></script>' in page.text
    assert "http://" not in page.text and "https://" not in page.text  # nothing from elsewhere: works offline
    for name, kind in [("app.js", "text/javascript"), ("app.css", "text/css"), ("icon.svg", "image/svg+xml")]:
        response = requests.get(f"{server.url}/static/{name}", timeout=30)
        assert response.status_code == 200 and response.headers["content-type"].startswith(kind), name
        assert "content-security-policy" in response.headers
    assert ".innerHTML" not in requests.get(f"{server.url}/static/app.js", timeout=30).text
    missing = requests.get(f"{server.url}/static/nothing.js", timeout=30)
    assert missing.status_code == 404 and missing.json()["detail"] == "no such file: /static/nothing.js"
    assert requests.get(f"{server.url}/static/index.html", timeout=30).status_code == 404


def test_info(server: Server) -> None:
    info = requests.get(f"{server.url}/info", timeout=30).json()
    assert info["passages_in_store"] > 10
    assert (info["signal"], info["threshold"], info["calibrated"]) == ("null_score_diff", 0.0, False)
    assert {".pdf", ".docx", ".html", ".md", ".txt"} <= set(info["accepted_files"])
    assert (info["max_upload_bytes"], info["max_files"]) == (MAX_UPLOAD_BYTES, MAX_DOCUMENTS)


def test_answers_show_the_file_name_not_the_servers_path(server: Server) -> None:
    result = ask(server, "What is the atomic number of oxygen?")
    best = result["answers"][0]
    assert best["text"] == "8" and best["source"] == "Oxygen.txt"
    assert best["file_path"] is None and "file_path" not in best["document_meta"]
    assert str(DATA_DIR) not in str(result)  # the server's folders appear nowhere
    assert len(best["answer_id"]) == 24 and best["confidence"] > 0.9 and best["confidence_basis"] == "null_score"
    assert best["page_number"] is None and best["below_threshold"] is False


def test_upload_a_pdf_and_a_docx_then_ask_about_them(server: Server) -> None:
    response = upload(
        server,
        ("C:\\Users\\ann\\engine.pdf", pdf_file(ENGINE_PAGES)),
        ("bridge.docx", docx_file(["The Quillington bridge was opened in 1877 by Mayor Olle Tamm."])),
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert [(f["name"], f["status"], f["passages"]) for f in result["files"]] == [
        ("engine.pdf", "indexed", 1),
        ("bridge.docx", "indexed", 1),
    ]
    assert result["files_indexed"] == 2 and result["passages_in_store"] == count(server)
    heavy = ask(server, "How much does the Quorvex engine weigh?")["answers"][0]
    assert (heavy["text"], heavy["source"], heavy["page_number"], heavy["file_path"]) == (
        "40 tonnes",
        "engine.pdf",
        2,
        None,
    )
    bridge = ask(server, "When was the Quillington bridge opened?")["answers"][0]
    assert (bridge["text"], bridge["source"]) == ("1877", "bridge.docx")


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.txt", b"", "empty.txt: empty file"),
        ("tool.exe", b"MZ\x90\x00\x03", "tool.exe: unsupported file type '.exe'"),
        ("notes", b"no suffix at all", "notes: unsupported file type 'notes'"),
        ("fake.pdf", b"<html>this is not a PDF</html>", "fake.pdf: not a PDF file (no %PDF- header)"),
        ("locked.pdf", encrypted_pdf(["Secret."]), "locked.pdf: encrypted PDF (password-protected)"),
        ("scan.pdf", image_only_pdf(), "scan.pdf: image-only PDF"),
        ("fake.docx", b"plain text", "fake.docx: not a DOCX file"),
        ("latin1.txt", "caf\xe9".encode("latin-1"), "latin1.txt: not UTF-8 text"),
    ],
)
def test_files_that_cannot_be_indexed_are_a_422_naming_the_reason(
    server: Server, name: str, data: bytes, reason: str
) -> None:
    before = count(server)
    response = upload(server, (name, data))
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "files", 0] and error["msg"].startswith(reason), error
    assert "Traceback" not in response.text
    assert count(server) == before  # nothing lost, nothing written


def test_a_mixed_upload_indexes_the_good_files_and_names_the_others(server: Server) -> None:
    response = upload(
        server, ("good.txt", b"The Vellmar lighthouse is painted green."), ("bad.pdf", b"nope"), ("good.txt", b"x")
    )
    assert response.status_code == 200, response.text
    files = response.json()["files"]
    assert [(f["name"], f["status"]) for f in files] == [
        ("good.txt", "indexed"),
        ("bad.pdf", "skipped"),
        ("good.txt", "skipped"),
    ]
    assert files[1]["reason"] == "not a PDF file (no %PDF- header)"
    assert files[2]["reason"] == "a file named 'good.txt' comes earlier in this upload"


def test_upload_limits_and_malformed_uploads(server: Server) -> None:
    before = count(server)
    big = upload(server, ("big.txt", b"word " * (MAX_UPLOAD_BYTES // 4)))
    assert big.status_code == 413
    assert (
        big.json()["detail"] == f"request body too large: the limit is {MAX_UPLOAD_BYTES} bytes (EQA_MAX_UPLOAD_BYTES)"
    )
    many = upload(server, *[(f"t{i}.txt", b"Some text.") for i in range(MAX_DOCUMENTS + 1)])
    assert many.status_code == 413 and f"the limit is {MAX_DOCUMENTS}" in many.json()["detail"][0]["msg"]
    no_files = requests.post(f"{server.url}/upload", data={"other": "field"}, timeout=30)
    assert no_files.status_code == 422 and no_files.json()["detail"][0]["loc"] == ["body", "files"]
    json_body = requests.post(f"{server.url}/upload", json={"files": ["a.txt"]}, timeout=30)
    assert json_body.status_code == 422
    nameless = requests.post(f"{server.url}/upload", files=[("files", ("", b"text", "text/plain"))], timeout=30)
    assert nameless.status_code == 422
    assert count(server) == before


def test_feedback_is_stored_durably(server: Server) -> None:
    result = ask(server, "What is the atomic number of oxygen?", top_k=3)
    real = [a for a in result["answers"] if a["text"] is not None]
    response = requests.post(
        f"{server.url}/feedback", json={"answer_id": real[0]["answer_id"], "rating": "up"}, timeout=30
    )
    assert response.status_code == 200, response.text
    assert response.json()["rating"] == "up" and response.json()["ratings_stored"] >= 1
    corrected = requests.post(
        f"{server.url}/feedback",
        json={"answer_id": real[1]["answer_id"], "rating": "wrong_span", "correct_answer": "no such words here"},
        timeout=30,
    )
    assert corrected.status_code == 200 and corrected.json()["correct_answer_found"] is False
    with sqlite3.connect(server.feedback_path) as connection:  # type: ignore[attr-defined]
        rows = dict(connection.execute("SELECT answer_id, rating FROM feedback").fetchall())
    assert rows[real[0]["answer_id"]] == "up" and rows[real[1]["answer_id"]] == "wrong_span"
    passage = (
        sqlite3.connect(server.feedback_path)
        .execute(  # type: ignore[attr-defined]
            "SELECT passage, answer_start, answer FROM feedback WHERE answer_id = ?", (real[0]["answer_id"],)
        )
        .fetchone()
    )
    assert passage[0][passage[1] : passage[1] + len(passage[2])] == "8"  # the whole passage, the offset in it


@pytest.mark.parametrize(
    ("body", "status", "where"),
    [
        ({"answer_id": "0" * 24, "rating": "up"}, 404, None),
        ({"answer_id": "x", "rating": "meh"}, 422, "rating"),
        ({"answer_id": 12, "rating": "up"}, 422, "answer_id"),
        ({"answer_id": "", "rating": "up"}, 422, "answer_id"),
        ({"rating": "up"}, 422, "answer_id"),
        ({"answer_id": "x", "rating": "up", "extra": 1}, 422, "extra"),
        ({"answer_id": "x" * 65, "rating": "up"}, 422, "answer_id"),
    ],
)
def test_bad_feedback_is_refused(server: Server, body: dict[str, Any], status: int, where: str | None) -> None:
    response = requests.post(f"{server.url}/feedback", json=body, timeout=30)
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    if where is None:
        assert "unknown answer id" in detail and "ask the question again" in detail
    else:
        assert any(where in error["loc"] for error in detail), detail


def test_mcp_on_loopback_refuses_other_hosts(server: Server) -> None:
    """DNS rebinding: a web page's server name that resolves to 127.0.0.1 is not this server's name."""
    message = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    evil = requests.post(f"{server.url}/mcp", json=message, headers={**headers, "Host": "evil.example"}, timeout=30)
    assert evil.status_code == 421
    listed = requests.post(f"{server.url}/mcp", json=message, headers=headers, timeout=30)
    assert listed.status_code == 200, listed.text
    assert {tool["name"] for tool in listed.json()["result"]["tools"]} == {
        "ask_documents",
        "index_text",
        "list_sources",
    }


def test_unknown_endpoints_name_the_served_ones(server: Server) -> None:
    response = requests.get(f"{server.url}/nope", timeout=30)
    assert response.status_code == 404
    for path in ("/ask/run", "/index/run", "/upload", "/feedback", "/info", "/mcp", "the page at /"):
        assert path in response.json()["detail"]


def test_file_paths_are_shown_only_when_asked(tmp_path: Path) -> None:
    answer = Answer(
        text="8",
        score=0.7,
        source="Oxygen.txt",
        file_path="/srv/data/Oxygen.txt",
        document_meta={"file_path": "/srv/data/Oxygen.txt", "file_name": "Oxygen.txt"},
    )
    result = QAResult(question="q", answers=[answer])
    hidden = ServedApplication(Settings(store_path=tmp_path / "s.json"), ServeConfig()).shown(result)
    assert hidden.answers[0].file_path is None and "file_path" not in hidden.answers[0].document_meta
    shown = ServedApplication(Settings(store_path=tmp_path / "s.json"), ServeConfig(show_file_paths=True)).shown(result)
    assert shown.answers[0].file_path == "/srv/data/Oxygen.txt"


def test_no_answer_says_why_in_the_json(server: Server) -> None:
    result = ask(server, "Which airport serves Veltmark?")
    entry = result["answers"][0]
    assert result["no_answer"] is True and entry["text"] is None
    assert entry["reason"] and "Veltmark" in entry["reason"], entry
