"""Shared fixtures: an isolated environment for every test, the shared small QA model, a tiny random RoBERTa."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

# Haystack reads this when it is first imported: no test process tries to send telemetry (there is no network).
os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")

from extractive_qa.testing.paths import DATA_DIR, HELDOUT, SHARED_MODEL, missing_heldout, missing_shared_model
from extractive_qa.testing.servers import BUNDLED_FILES


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the user's settings or store: each gets its own store file."""
    for name in list(os.environ):
        if name.startswith("EQA_") and name != "EQA_SHARED_DIR":
            monkeypatch.delenv(name)
    monkeypatch.setenv("EQA_STORE_PATH", str(tmp_path / "store"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def shared_model() -> Path:
    """The shared small QA model's directory; skips the test where it is not there."""
    if reason := missing_shared_model():
        pytest.skip(reason)
    return SHARED_MODEL


@pytest.fixture(scope="session")
def heldout() -> dict:
    """The SQuAD 2.0 held-out questions; skips the test where they are not there."""
    if reason := missing_heldout():
        pytest.skip(reason)
    return json.loads(HELDOUT.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def tiny_roberta(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer RoBERTa QA model with random weights and a byte-level BPE tokenizer trained on data/."""
    from extractive_qa.testing.random_model import build_random_roberta

    return build_random_roberta(tmp_path_factory.mktemp("tiny-roberta"), sorted(DATA_DIR.glob("*.txt")))


@pytest.fixture(scope="session")
def shared_qa(shared_model: Path, tmp_path_factory: pytest.TempPathFactory):
    """A QuestionAnswerer with the shared model and the bundled data/ indexed (once per session)."""
    from extractive_qa import QuestionAnswerer, Settings

    store = tmp_path_factory.mktemp("shared-store") / "store.json"
    qa = QuestionAnswerer(Settings(model=str(shared_model), store_path=store))
    report = qa.index([DATA_DIR])
    assert report.files_read == BUNDLED_FILES, report.skipped
    return qa
