"""
What the tests that start servers share: one way to run a server for a while (`serving`), a server process's
environment, an indexed store, a hostile deploy body.

Usage example:
```python
from pathlib import Path

import requests

from extractive_qa.testing.servers import index_bundled_data, serving

store = Path("work/store.json")
index_bundled_data(store)
with serving(Path("work"), Path("model"), store, EQA_API_KEY="a-long-enough-key") as server:
    print(requests.get(f"{server.url}/status", timeout=10).json())
```
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from extractive_qa.testing.paths import DATA_DIR
from extractive_qa.testing.processes import (
    HAYHOOKS_ENVIRONMENT,
    Server,
    free_port,
    process_environment,
    serve_command,
    start_server,
)

#: Files in the bundled collection (`data/`).
BUNDLED_FILES = 35


def server_env(tmp: Path, model: Path, store_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a server process: this checkout's code, the given model and store, no settings inherited."""
    return process_environment(
        EQA_MODEL=str(model),
        EQA_STORE_PATH=str(store_path),
        XDG_CACHE_HOME=str(tmp / "cache"),  # hayhooks keeps a dashboard token there
        HAYHOOKS_LOG_LEVEL="INFO",
        **HAYHOOKS_ENVIRONMENT,
        **extra,
    )


@contextmanager
def serving(
    tmp: Path, model: Path, store_path: Path, *, command: Callable[[int], list[str]] = serve_command, **extra: str
) -> Iterator[Server]:
    """
    Runs a server on a free port of 127.0.0.1 for the `with` block and stops it afterwards: `extractive-qa serve`, or
    `command(port)` (e.g. `hayhooks_command`), with `server_env(tmp, model, store_path, **extra)`; its output goes to
    `tmp/server.log`.

    :raises RuntimeError: The server exited or did not get ready (the message ends with its log).
    """
    port = free_port()
    server = start_server(command(port), server_env(tmp, model, store_path, **extra), tmp / "server.log", port)
    try:
        yield server
    finally:
        server.stop()


def index_bundled_data(store_path: Path) -> None:
    """
    Indexes data/ into a store file, in this process (the indexing pipeline needs no model).

    :raises AssertionError: Not every bundled file was read (the message names the skipped ones).
    """
    from extractive_qa import QuestionAnswerer, Settings

    report = QuestionAnswerer(Settings(store_path=store_path)).index([DATA_DIR])
    assert report.files_read == BUNDLED_FILES, report.skipped


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
