"""Logs quiet by default (`extractive_qa.logs`): the Hugging Face hub's retries stay out of the terminal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from extractive_qa.testing.paths import ROOT
from extractive_qa.testing.processes import assert_one_line_error, free_port, run_cli

# The hub client's own request loop against a port nothing listens on: it logs every failed try as a warning
# ("'...' thrown while requesting HEAD ...") before it gives up, as it does offline for a model name.
HUB_REQUEST = """
import sys
from extractive_qa.logs import quiet_libraries
quiet_libraries(verbose=sys.argv[1] == "verbose")
from huggingface_hub.utils import http_backoff
try:
    http_backoff("HEAD", "http://127.0.0.1:{port}/someone/model/resolve/main/config.json", max_retries=2,
                 base_wait_time=0.01, max_wait_time=0.01)
except Exception as error:
    print("gave up:", type(error).__name__)
"""


@pytest.mark.parametrize("verbose", [False, True])
def test_the_hubs_retries_are_shown_only_when_verbose(verbose: bool) -> None:
    code = HUB_REQUEST.format(port=free_port())
    argument = "verbose" if verbose else "quiet"
    online = {k: v for k, v in os.environ.items() if k != "HF_HUB_OFFLINE"}  # offline mode would not even try
    completed = subprocess.run(
        [sys.executable, "-c", code, argument], capture_output=True, text=True, timeout=60, cwd=ROOT, env=online
    )
    assert completed.stdout.startswith("gave up: ConnectError"), completed.stdout + completed.stderr
    retries = [line for line in completed.stderr.splitlines() if "thrown while requesting" in line]
    assert len(retries) == (3 if verbose else 0), completed.stderr


def test_a_model_that_cannot_be_fetched_is_one_line(tmp_path: Path) -> None:
    source = tmp_path / "a.txt"
    source.write_text("The plant opened in 1962.", encoding="utf-8")
    store = tmp_path / "index"
    assert run_cli("index", str(source), "--store-path", str(store)).returncode == 0
    env = {"HF_HOME": str(tmp_path / "hf"), "HF_HUB_OFFLINE": "1"}
    result = run_cli(
        "ask", "When did the plant open?", "--store-path", str(store), "--model", "someone/not-a-model", env=env
    )
    assert_one_line_error(result, result.returncode, "cannot load the model 'someone/not-a-model'")
    assert result.returncode != 0
