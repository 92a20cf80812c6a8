"""
Runs the application as a user does, in processes of its own: the `extractive-qa` command line (`run_cli`, or
`run_cli_in_this_process` where a test is about what a command decides rather than about the process) and
servers (`start_server`, with `serve_command` or `hayhooks_command`) on a free port of 127.0.0.1 (`free_port`).
Tests and benchmarks share these, so a server is started the same way wherever it is measured or checked.

Every process runs the code of the `extractive_qa` package this module belongs to (a checkout or an installed
wheel), with the Hugging Face hub offline.

Usage example:
```python
from pathlib import Path

from extractive_qa.testing.processes import free_port, process_environment, run_cli, serve_command, start_server

result = run_cli("ask", "What is oxygen?", env={"EQA_MODEL": "models/minilm-squad-mini"})
print(result.returncode, result.stdout)

port = free_port()
env = process_environment(EQA_MODEL="models/minilm-squad-mini", EQA_STORE_PATH="store")
server = start_server(serve_command(port), env, Path("server.log"), port)
try:
    print(server.url)  # http://127.0.0.1:<port>
finally:
    server.stop()
```
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import requests

from extractive_qa.testing.paths import ROOT as SOURCE_ROOT


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_environment(inherit_settings: bool = False, **settings: str) -> dict[str, str]:
    """
    The environment of an application process: this package's code first on `PYTHONPATH`, the hub offline.

    :param inherit_settings: Keep this process's `EQA_*` and `HAYHOOKS_*` variables (by default the new process sees
        only the `settings` given here, so a developer's own settings never leak into a test or a benchmark).
    :param settings: Variables to set, for example `EQA_MODEL="..."`.
    """
    env = {
        name: value
        for name, value in os.environ.items()
        if inherit_settings or not name.startswith(("EQA_", "HAYHOOKS_")) or name == "EQA_SHARED_DIR"
    }
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SOURCE_ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.update(settings)
    return env


def run_cli(
    *args: str,
    env: Mapping[str, str] | None = None,
    timeout: float = 300,
    cwd: Path | None = None,
    python: str | Path | None = None,
) -> subprocess.CompletedProcess:
    """
    Runs `extractive-qa ARGS...` in a new process and returns it finished, with its exit code and text output.

    The process inherits this one's environment (in the tests: the isolated store each test gets), plus `env`.
    `python` runs it with another interpreter (another virtual environment's, e.g. the other Haystack major's).
    """
    return subprocess.run(
        [str(python or sys.executable), "-m", "extractive_qa.cli", *args],
        capture_output=True,
        text=True,
        env=process_environment(inherit_settings=True, **(env or {})),
        timeout=timeout,
        cwd=cwd or SOURCE_ROOT,
    )


def run_cli_in_this_process(*args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess:
    """
    Runs `extractive-qa ARGS...` by calling the command line's `main` in this process, and returns what `run_cli`
    returns: the exit code and the text written to stdout and stderr.

    The same code decides the exit code and the message, without a new interpreter importing torch and Haystack again
    (seconds each time): for tests about what a command decides. `run_cli` stays the way to test what a real process
    does (its exit status, everything it prints, logging and warnings included); keep one such test per exit path.
    `env` is set in this process's environment for the call and restored afterwards.
    """
    from extractive_qa.cli import main

    saved = {name: os.environ.get(name) for name in env or {}}
    out, err = io.StringIO(), io.StringIO()
    try:
        os.environ.update(env or {})
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exit_:  # argparse's usage errors
                code = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return subprocess.CompletedProcess(["extractive-qa", *args], code, out.getvalue(), err.getvalue())


def assert_one_line_error(result: subprocess.CompletedProcess, code: int, message: str) -> None:
    """Asserts that a finished command failed as the CLI promises: exit `code`, one `error: ...` line naming `message`,
    no traceback."""
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and message in lines[0], lines[0]


def serve_command(port: int, host: str = "127.0.0.1") -> list[str]:
    """The application's way to serve: `extractive-qa serve`."""
    return [sys.executable, "-m", "extractive_qa.cli", "serve", "--host", host, "--port", str(port)]


def hayhooks_command(port: int) -> list[str]:
    """The stock hayhooks way: `hayhooks run --pipelines-dir <the package's wrappers>`, on loopback."""
    from extractive_qa.http.server import WRAPPERS_DIR

    launcher = "import sys; from hayhooks.cli import hayhooks_cli; sys.argv[0] = 'hayhooks'; sys.exit(hayhooks_cli())"
    return [sys.executable, "-c", launcher, "run", "--pipelines-dir", str(WRAPPERS_DIR), "--port", str(port)]


#: Settings a plain `hayhooks run` needs to start reliably. hayhooks loads wrappers in parallel by default, which
#: races two imports of the application now and then ("dictionary changed size during iteration").
HAYHOOKS_ENVIRONMENT = {"HAYHOOKS_STARTUP_DEPLOY_STRATEGY": "sequential"}


@dataclass
class Server:
    """A running server process, its base URL and the file its output goes to."""

    process: subprocess.Popen
    url: str
    log_path: Path

    def log(self) -> str:
        """Everything the server has written so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        """Stops the server as Ctrl-C does, and kills it if it has not ended 15 s later."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_server(
    command: list[str],
    env: Mapping[str, str],
    log_path: Path,
    port: int,
    timeout: float = 240,
    pipelines: Iterable[str] = ("ask", "index"),
) -> Server:
    """
    Starts a server and waits until its `/status` lists `pipelines` (as 200, or as 503 when its store cannot be read:
    the server is up and says so).

    :raises RuntimeError: The server exited or was not ready within `timeout` seconds; the message ends with its log.
    """
    with log_path.open("wb") as handle:
        process = subprocess.Popen(command, cwd=SOURCE_ROOT, env=dict(env), stdout=handle, stderr=subprocess.STDOUT)
    server = Server(process=process, url=f"http://127.0.0.1:{port}", log_path=log_path)
    wanted = set(pipelines)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{server.log()[-4000:]}")
        try:
            status = requests.get(f"{server.url}/status", timeout=2)
            if status.status_code in (200, 503) and wanted <= set(status.json().get("pipelines", [])):
                return server
        except requests.RequestException:
            pass
        time.sleep(0.5)
    server.stop()
    raise RuntimeError(f"server not ready after {timeout} s:\n{server.log()[-4000:]}")
