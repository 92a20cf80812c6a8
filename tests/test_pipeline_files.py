"""
The shipped pipeline YAMLs: every store's pipelines do the same work and differ only where the store is concerned.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from extractive_qa.testing.paths import PIPELINES_DIR

STORES = ("", "_memory", "_elasticsearch")


def _read(name: str) -> dict[str, Any]:
    return yaml.safe_load((PIPELINES_DIR / f"{name}.yml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("kind", "store_part"), [("indexing", "writer"), ("query", "retriever")])
def test_each_store_runs_the_same_pipeline_but_for_its_store(kind: str, store_part: str) -> None:
    """A converter, splitter or reader setting changed in one YAML and not the others would make stores disagree."""
    pipelines = {suffix: _read(kind + suffix) for suffix in STORES}
    reference = pipelines[""]
    for suffix, data in pipelines.items():
        assert set(data["components"]) == set(reference["components"]), suffix
        for name, component in data["components"].items():
            if name != store_part:
                assert component == reference["components"][name], f"{kind}{suffix}.yml: {name}"
        assert data["connections"] == reference["connections"], suffix
        assert data.get("inputs") == reference.get("inputs") and data.get("outputs") == reference.get("outputs")
