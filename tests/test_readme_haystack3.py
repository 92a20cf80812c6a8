"""
The README's Haystack 3 example (the components in a user's own pipeline, loaded from YAML with the application's
components trusted) runs as written: verbatim under Haystack 3, and without Haystack 3's `allowed_modules` argument
under Haystack 2.x. Only the index's place and the model (the shared small one) are changed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from haystack import Pipeline

from extractive_qa.testing.haystack_major import HAYSTACK_MAJOR
from extractive_qa.testing.paths import ROOT, SHARED_MODEL

MARKER = "<!-- haystack3-example -->"
TRUST_ARGUMENT = ', allowed_modules=["extractive_qa.components"]'


def readme_example() -> str:
    """The Python block that follows the marker in README.md."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(re.escape(MARKER) + r"\n```python\n(.*?)\n```", readme, re.S)
    assert found is not None, f"README.md has no python block after {MARKER}"
    return found.group(1)


def test_the_example_trusts_exactly_the_application_components() -> None:
    code = readme_example()
    assert code.count(TRUST_ARGUMENT) == 1
    assert "HAYSTACK_DESERIALIZATION_ALLOWLIST=extractive_qa.components" in code


@pytest.mark.usefixtures("shared_model")  # skips where the model is not
def test_the_readme_example_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = readme_example()
    code = code.replace('"/tmp/my-index"', repr(str(tmp_path / "index")))
    code = code.replace('"deepset/roberta-base-squad2"', repr(str(SHARED_MODEL)))
    if HAYSTACK_MAJOR < 3:
        code = code.replace(TRUST_ARGUMENT, "")  # Haystack 2.x builds any class, and takes no such argument
    namespace: dict = {}
    exec(compile(code, "README.md (Haystack 3 example)", "exec"), namespace)
    assert capsys.readouterr().out.strip() == "Paris"
    assert isinstance(namespace["pipeline"], Pipeline)


@pytest.mark.skipif(HAYSTACK_MAJOR < 3, reason="Haystack 2.x has no trusted-module allowlist")
def test_without_trusting_them_haystack_3_refuses_the_components(tmp_path: Path) -> None:
    from haystack.core.errors import DeserializationError

    from extractive_qa.components.answer_deduplicator import AnswerDeduplicator

    pipeline = Pipeline()
    pipeline.add_component("deduplicator", AnswerDeduplicator())
    with pytest.raises(DeserializationError, match=r"extractive_qa\.components\.answer_deduplicator"):
        Pipeline.loads(pipeline.dumps())
    loaded = Pipeline.loads(pipeline.dumps(), allowed_modules=["extractive_qa.components"])
    assert isinstance(loaded.get_component("deduplicator"), AnswerDeduplicator)
