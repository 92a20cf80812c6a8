"""Starts real server processes for the serving tests: `hayhooks run` or `extractive-qa serve` on a free port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from extractive_qa.http.server import WRAPPERS_DIR
from tests.conftest import DATA_DIR, ROOT

# SQuAD 2.0 dev questions about the bundled articles, with their gold answers (from the official dev file); the
# shared small model answers each of them right from the whole bundled collection.
KNOWN_QUESTIONS: list[tuple[str, list[str], str]] = [
    ("When was the Old Truman Brewery founded?", ["1724"], "Huguenot.txt"),
    ("When was Iqbal elected president of the Muslim League?", ["1930"], "Islamism.txt"),
    (
        "Which fault can produce a magnitude earthquake of 8.0?",
        ["San Andreas", "San Andreas Fault", "the San Andreas Fault"],
        "Southern California.txt",
    ),
    ("When was Scotland invaded by William?", ["1072"], "Normans.txt"),
    ("When is the first reference in history to Warsaw?", ["1313"], "Warsaw.txt"),
    ("When did BSkyB end their analogue service?", ["27 September 2001", "September 2001"], "Sky (United Kingdom).txt"),
]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(tmp: Path, model: Path, store_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a server process: this checkout's code, the given model and store, nothing inherited."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EQA_", "HAYHOOKS_"))}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    env.update(
        EQA_MODEL=str(model),
        EQA_STORE_PATH=str(store_path),
        HF_HUB_OFFLINE="1",
        XDG_CACHE_HOME=str(tmp / "cache"),  # hayhooks keeps a dashboard token there
        HAYHOOKS_LOG_LEVEL="INFO",
        # hayhooks loads wrappers in parallel by default; a plain `hayhooks run` then races two imports of the
        # application (a "dictionary changed size during iteration" now and then). `extractive-qa serve` does not.
        HAYHOOKS_STARTUP_DEPLOY_STRATEGY="sequential",
    )
    env.update(extra)
    return env


def hayhooks_command(port: int) -> list[str]:
    """The stock hayhooks way: `hayhooks run --pipelines-dir <the package's wrappers>`, on loopback."""
    launcher = "import sys; from hayhooks.cli import hayhooks_cli; sys.argv[0] = 'hayhooks'; sys.exit(hayhooks_cli())"
    return [sys.executable, "-c", launcher, "run", "--pipelines-dir", str(WRAPPERS_DIR), "--port", str(port)]


def serve_command(port: int, host: str = "127.0.0.1") -> list[str]:
    """The application's way: `extractive-qa serve`."""
    return [sys.executable, "-m", "extractive_qa.cli", "serve", "--host", host, "--port", str(port)]


@dataclass
class Server:
    """A running server process."""

    process: subprocess.Popen
    url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start(command: list[str], env: dict[str, str], log_path: Path, port: int, timeout: float = 240) -> Server:
    """Starts a server and waits until `/status` lists both pipelines; fails with the server's log otherwise."""
    handle = log_path.open("wb")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    handle.close()
    server = Server(process=process, url=f"http://127.0.0.1:{port}", log_path=log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{server.log()[-4000:]}")
        try:
            status = requests.get(f"{server.url}/status", timeout=2)
            if status.ok and {"ask", "index"} <= set(status.json().get("pipelines", [])):
                return server
        except requests.RequestException:
            pass
        time.sleep(0.5)
    server.stop()
    raise RuntimeError(f"server not ready after {timeout} s:\n{server.log()[-4000:]}")


def index_bundled_data(store_path: Path) -> None:
    """Indexes data/ into a store file, in this process (the indexing pipeline needs no model)."""
    from extractive_qa import QuestionAnswerer, Settings

    report = QuestionAnswerer(Settings(store_path=store_path)).index([DATA_DIR])
    assert report.files_read == 35, report.skipped


def deploy_files_payload(marker: Path, name: str = "intruder") -> dict:
    """A `/deploy_files` body whose wrapper module writes `marker` as soon as a server imports it."""
    code = (
        "from pathlib import Path\n"
        f"Path({str(marker)!r}).write_text('imported')\n"
        "from hayhooks import BasePipelineWrapper\n\n\n"
        "class PipelineWrapper(BasePipelineWrapper):\n"
        "    def setup(self) -> None:\n"
        "        self.pipeline = None\n\n"
        "    def run_api(self, text: str) -> str:\n"
        "        return text\n"
    )
    return {"name": name, "files": {"pipeline_wrapper.py": code}, "overwrite": True}
