"""Shared fixtures: the project's paths, the shared small QA model, a tiny random RoBERTa, isolated stores."""

from __future__ import annotations

import json
import os
from importlib.metadata import version
from pathlib import Path

import pytest

# Haystack reads this when it is first imported: no test process tries to send telemetry (there is no network).
os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
PIPELINES_DIR = ROOT / "pipelines"
SHARED = Path(os.environ.get("EQA_SHARED_DIR", ROOT.parent / "shared"))
SHARED_MODEL = SHARED / "models" / "minilm-squad-mini"
HELDOUT = SHARED / "data" / "squad2" / "dev-v2.0-heldout.json"
SQUAD2_DEV = SHARED / "data" / "squad2" / "dev-v2.0.json"

HAYSTACK_MAJOR = int(version("haystack-ai").split(".")[0])
# Haystack 3 builds classes from YAML only from trusted modules: `Pipeline.loads(text, **TRUST_COMPONENTS)` trusts ours
# as a user of Haystack 3 would (its documented `allowed_modules`); Haystack 2.x takes no such argument.
TRUST_COMPONENTS: dict = {"allowed_modules": ["extractive_qa.components"]} if HAYSTACK_MAJOR >= 3 else {}

needs_shared_model = pytest.mark.skipif(
    not (SHARED_MODEL / "config.json").exists(),
    reason=f"the shared small QA model is not at {SHARED_MODEL} (only present on the project's machines)",
)
needs_heldout = pytest.mark.skipif(not HELDOUT.exists(), reason=f"SQuAD 2.0 held-out data not at {HELDOUT}")


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
    if not (SHARED_MODEL / "config.json").exists():
        pytest.skip(f"the shared small QA model is not at {SHARED_MODEL}")
    return SHARED_MODEL


@pytest.fixture(scope="session")
def heldout() -> dict:
    if not HELDOUT.exists():
        pytest.skip(f"SQuAD 2.0 held-out data not at {HELDOUT}")
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
    assert report.files_read == 35, report.skipped
    return qa
