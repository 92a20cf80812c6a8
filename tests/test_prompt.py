"""
`extractive-qa ask` with no question, on a real pseudo-terminal: a prompt that answers question after question with
`ask QUESTION`'s own output, keeps a history, and leaves cleanly on Ctrl-D and Ctrl-C.
"""

from __future__ import annotations

import contextlib
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from extractive_qa.prompt import PROMPT
from extractive_qa.testing.answer_lines import assert_same_answer_line
from extractive_qa.testing.paths import DATA_DIR, ROOT
from extractive_qa.testing.processes import SOURCE_ROOT, process_environment, run_cli

pytestmark = pytest.mark.model

QUESTION = "What is the atomic number of oxygen?"


class Terminal:
    """`extractive-qa ask ARGS...` with a pseudo-terminal as its controlling terminal (stdin, stdout, stderr)."""

    def __init__(self, *args: str, env: dict[str, str]) -> None:
        command = [sys.executable, "-m", "extractive_qa.cli", "ask", *args]
        environment = process_environment(inherit_settings=True, **env)
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: run the command (nothing else, it has a copy of pytest)
            os.chdir(SOURCE_ROOT)
            os.execve(sys.executable, command, environment)
        self.seen = ""
        self.ended = False

    def read_until(self, pattern: str, timeout: float = 120) -> str:
        """Reads the terminal until `pattern` (a regular expression) appears; returns what came before it."""
        deadline = time.monotonic() + timeout
        while not (match := re.search(pattern, self.seen)):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                pytest.fail(f"no {pattern!r} on the terminal after {timeout} s:\n{self.seen}")
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:  # the child closed the terminal
                    chunk = b""
                if not chunk:
                    pytest.fail(f"the terminal closed before {pattern!r}:\n{self.seen}")
                self.seen += chunk.decode("utf-8", errors="replace").replace("\r\n", "\n")
        before, self.seen = self.seen[: match.start()], self.seen[match.end() :]
        return before

    def ask(self, question: str) -> str:
        """Types a question and returns what the terminal shows before the next prompt (without the echo)."""
        os.write(self.fd, question.encode() + b"\n")
        shown = self.read_until(re.escape(PROMPT))
        echo = question + "\n"
        assert shown.startswith(echo), shown
        return shown[len(echo) :]

    def exit_code(self, timeout: float = 30) -> int:
        """Waits for the process to end (reading what it still writes) and returns its exit code."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with_ready = select.select([self.fd], [], [], 0.1)[0]
            if with_ready:
                with contextlib.suppress(OSError):  # the child closed the terminal
                    self.seen += os.read(self.fd, 4096).decode("utf-8", errors="replace").replace("\r\n", "\n")
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.ended = True
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status)
        self.close()
        pytest.fail(f"the prompt did not end:\n{self.seen}")

    def close(self) -> None:
        """Kills the process if it has not ended."""
        if not self.ended:
            self.ended = True
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            os.close(self.fd)


@pytest.fixture
def env(tmp_path: Path, shared_model: Path) -> dict[str, str]:
    settings = {
        "EQA_MODEL": str(shared_model),
        "EQA_STORE_PATH": str(tmp_path / "index"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }
    done = run_cli("index", str(DATA_DIR / "Oxygen.txt"), str(DATA_DIR / "Normans.txt"), "--no-progress", env=settings)
    assert done.returncode == 0, done.stderr
    return settings


@pytest.fixture
def terminal(env: dict[str, str]) -> Iterator[Terminal]:
    opened = Terminal(env=env)
    opened.read_until(re.escape(PROMPT))
    yield opened
    opened.close()


def test_the_prompt_answers_as_ask_does_and_ctrl_d_leaves(
    terminal: Terminal, env: dict[str, str], tmp_path: Path
) -> None:
    second = "Who was the duke in the battle of Hastings?"
    assert terminal.ask(QUESTION) == run_cli("ask", QUESTION, env=env).stdout
    assert terminal.ask("") == ""  # a blank line asks nothing
    assert terminal.ask(second) == run_cli("ask", second, env=env).stdout
    error = terminal.ask("x" * 5000)  # a bad question is one error line; the prompt stays
    assert error.startswith("error: ") and error.count("\n") == 1 and "Traceback" not in error, error
    os.write(terminal.fd, b"\x04")  # Ctrl-D
    assert terminal.exit_code() == 0
    assert "Traceback" not in terminal.seen
    history = (tmp_path / "state" / "extractive-qa" / "ask_history").read_text("utf-8")
    assert QUESTION in history and second in history


def sigint_blocked_by_thread(pid: int) -> dict[int, bool]:
    """Whether each thread of process `pid` blocks SIGINT (from Linux's /proc), by thread id."""
    blocked = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        mask = next(line for line in (task / "status").read_text().splitlines() if line.startswith("SigBlk:"))
        blocked[int(task.name)] = bool(int(mask.split()[1], 16) & (1 << (signal.SIGINT - 1)))
    return blocked


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux's /proc to read threads' signal masks")
def test_only_the_waiting_prompt_takes_ctrl_c(terminal: Terminal) -> None:
    """A Ctrl-C handed to a worker thread would leave the prompt asleep: while it waits, only it may take one."""
    assert terminal.ask(QUESTION).startswith("1. 8")  # the reader's threads have all started
    blocked = sigint_blocked_by_thread(terminal.pid)
    assert blocked.pop(terminal.pid) is False  # the main thread, waiting for a line
    workers = [thread for thread, held in blocked.items() if not held]
    assert blocked and not workers, f"threads that would take Ctrl-C: {workers}"


def wait_until_asleep(pid: int, timeout: float = 10) -> None:
    """
    Waits until the main thread of process `pid` sleeps (state S in Linux's /proc), as it does waiting for a line.

    CPython's readline shows the prompt, then waits in `select()`; a SIGINT in the microseconds between the two only
    sets Python's flag and is acted on at the next line (or the next Ctrl-C). A person cannot type that fast; a test
    that presses Ctrl-C the moment the prompt shows can, so it waits until the prompt waits.
    """
    stat = Path(f"/proc/{pid}/task/{pid}/stat")
    if not stat.exists():  # no /proc: give it time instead
        time.sleep(1)
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = stat.read_text().rsplit(")", 1)[1].split()[0]  # the field after "(command name)"
        if state == "S":
            return
        time.sleep(0.01)
    pytest.fail(f"the prompt's process {pid} did not wait for a line within {timeout} s")


def test_ctrl_c_leaves_cleanly(terminal: Terminal) -> None:
    wait_until_asleep(terminal.pid)
    os.write(terminal.fd, b"half a quest")
    os.write(terminal.fd, b"\x03")  # Ctrl-C: SIGINT from the terminal
    assert terminal.exit_code() == 0
    assert "Traceback" not in terminal.seen and "interrupted" not in terminal.seen, terminal.seen


def test_json_prints_one_line_per_answer_set(env: dict[str, str]) -> None:
    terminal = Terminal("--json", "--top-k", "2", env=env)
    terminal.read_until(re.escape(PROMPT))
    shown = terminal.ask(QUESTION)
    assert shown.count("\n") == 1, shown
    answered = json.loads(shown)
    expected = json.loads(run_cli("ask", QUESTION, "--json", "--top-k", "2", env=env).stdout)
    assert answered.pop("seconds") >= 0 and expected.pop("seconds") >= 0
    assert answered == expected and answered["answers"][0]["text"] == "8"
    os.write(terminal.fd, b"\x04")
    try:
        assert terminal.exit_code() == 0
    finally:
        terminal.close()


def test_without_a_question_or_a_terminal_it_is_the_usage_error_it_was(env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "extractive_qa.cli", "ask"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=process_environment(inherit_settings=True, **env),
        cwd=SOURCE_ROOT,
        timeout=60,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines()[-1] == "extractive-qa ask: error: the following arguments are required: question"


def test_the_readme_prompt_example_runs_as_documented(tmp_path: Path, shared_model: Path) -> None:
    text = (ROOT / "README.md").read_text("utf-8")
    lines = text.split("<!-- prompt-example -->", 1)[1].split("```", 2)[1].split("\n", 1)[1].splitlines()
    assert lines[0] == "$ extractive-qa ask --top-k 1" and lines[-1] == "question> ^D"
    settings = {"EQA_MODEL": str(shared_model), "EQA_STORE_PATH": str(tmp_path / "ix"), "XDG_STATE_HOME": str(tmp_path)}
    assert run_cli("index", str(DATA_DIR), "--no-progress", env=settings).returncode == 0
    terminal = Terminal("--top-k", "1", env=settings)
    try:
        assert terminal.read_until(re.escape(PROMPT)).strip() == lines[1]  # "Ask a question; Ctrl-D leaves."
        asked = [n for n, line in enumerate(lines) if line.startswith(PROMPT) and line != "question> ^D"]
        for n in asked:
            shown = terminal.ask(lines[n].removeprefix(PROMPT)).splitlines()
            assert_same_answer_line(shown[0], lines[n + 1])  # "1. 8  (confidence 98%, source: Oxygen.txt)"
            assert shown[1].startswith(lines[n + 2].removesuffix("...")), shown[1]  # the passage, cut short
        os.write(terminal.fd, b"\x04")
        assert terminal.exit_code() == 0
    finally:
        terminal.close()
