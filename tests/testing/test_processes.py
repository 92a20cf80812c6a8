"""The process tooling the tests and benchmarks share: environments, free ports, the real CLI's one-line errors."""

from __future__ import annotations

import socket

import pytest

from extractive_qa.testing.processes import (
    SOURCE_ROOT,
    assert_one_line_error,
    free_port,
    process_environment,
    run_cli,
)


def test_free_port_can_be_bound_on_loopback() -> None:
    port = free_port()
    assert 1024 <= port <= 65535
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))  # raises when something holds it


def test_process_environment_keeps_the_callers_settings_out_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EQA_MODEL", "a developer's own model")
    monkeypatch.setenv("HAYHOOKS_PORT", "1")
    monkeypatch.setenv("EQA_SHARED_DIR", "/somewhere/shared")
    env = process_environment(EQA_TOP_K="3")
    assert "EQA_MODEL" not in env and "HAYHOOKS_PORT" not in env
    assert env["EQA_SHARED_DIR"] == "/somewhere/shared"  # where the test data is, not a setting
    assert env["EQA_TOP_K"] == "3"
    assert env["PYTHONPATH"].split(":")[0] == str(SOURCE_ROOT)
    assert env["HF_HUB_OFFLINE"] == "1"
    inherited = process_environment(inherit_settings=True)
    assert inherited["EQA_MODEL"] == "a developer's own model"


def test_run_cli_runs_this_package_and_reports_its_errors() -> None:
    assert (SOURCE_ROOT / "extractive_qa" / "cli.py").exists()
    helped = run_cli("--help", timeout=120)
    assert helped.returncode == 0 and "ask" in helped.stdout
    assert_one_line_error(run_cli("ask", "   ", timeout=120), 2, "the question is empty")
    with pytest.raises(AssertionError):
        assert_one_line_error(helped, 2, "anything")
