"""The YAML pipelines: they load, round-trip, and take the application's settings."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from haystack import Pipeline
from haystack.marshal import YamlMarshaller

from extractive_qa.app.pipeline_loader import build_pipeline
from extractive_qa.errors import InvalidSettings
from extractive_qa.pipeline_files import apply_settings, pipeline_path, read_pipeline_yaml
from extractive_qa.settings import Settings
from extractive_qa.testing.paths import PIPELINES_DIR

YAML_FILES = sorted(PIPELINES_DIR.glob("*.yml"))


def _canonical(pipeline: Pipeline) -> dict:
    data = pipeline.to_dict()
    data["connections"] = sorted((c["sender"], c["receiver"]) for c in data["connections"])
    return data


def test_there_are_query_and_indexing_pipelines() -> None:
    names = {p.name for p in YAML_FILES}
    assert {"query.yml", "indexing.yml"} <= names


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: p.name)
def test_yaml_loads_dumps_and_loads_again_identically(path: Path) -> None:
    first = build_pipeline(read_pipeline_yaml(path))
    dumped = first.dumps()
    second = build_pipeline(YamlMarshaller().unmarshal(dumped))  # Haystack 3 trusts our modules only when told
    assert _canonical(second) == _canonical(first)
    assert build_pipeline(YamlMarshaller().unmarshal(second.dumps())).dumps() == second.dumps()


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: p.name)
def test_hayhooks_sections_name_real_sockets(path: Path) -> None:
    data = read_pipeline_yaml(path)
    pipeline = build_pipeline(data)
    inputs = pipeline.inputs(include_components_with_connected_inputs=True)
    outputs = pipeline.outputs(include_components_with_connected_outputs=True)
    for targets in data.get("inputs", {}).values():
        for target in [targets] if isinstance(targets, str) else targets:
            component, socket = target.split(".", 1)
            assert socket in inputs[component], target
    for target in data.get("outputs", {}).values():
        component, socket = target.split(".", 1)
        assert socket in outputs[component], target


def test_settings_reach_the_components(tmp_path: Path) -> None:
    settings = Settings(model="/models/x", threshold=-2.5, store_path=tmp_path / "index")
    pipeline = build_pipeline(apply_settings(read_pipeline_yaml(pipeline_path(settings, "query")), settings))
    assert pipeline.get_component("reader").model_name_or_path == "/models/x"
    assert pipeline.get_component("threshold").threshold == -2.5
    assert pipeline.get_component("retriever").document_store.index_path == str(tmp_path / "index")


def test_in_memory_stores_of_two_files_never_share_documents(tmp_path: Path) -> None:
    """Haystack's in-memory stores share documents by index name: each store file gets its own."""
    settings = Settings(store="memory", store_path=tmp_path / "a.json")
    pipeline = build_pipeline(apply_settings(read_pipeline_yaml(pipeline_path(settings, "query")), settings))
    index = pipeline.get_component("retriever").document_store.index
    other = Settings(store="memory", store_path=tmp_path / "b.json")
    other_pipeline = build_pipeline(apply_settings(read_pipeline_yaml(pipeline_path(other, "query")), other))
    assert other_pipeline.get_component("retriever").document_store.index != index


def test_each_store_gets_its_default_place(tmp_path: Path) -> None:
    assert Settings().store_path.name == "index" and Settings(store="memory").store_path.name == "store.json"
    assert Settings().with_overrides(store="memory").store_path == Settings(store="memory").store_path
    given = Settings(store_path=tmp_path / "mine").with_overrides(store="memory")
    assert given.store_path == tmp_path / "mine"  # a path the user gave stays


def test_yaml_without_settings_keeps_the_production_model() -> None:
    data = yaml.safe_load((PIPELINES_DIR / "query.yml").read_text())
    reader = data["components"]["reader"]["init_parameters"]
    assert reader["model"] == "deepset/roberta-base-squad2"
    assert (reader["max_seq_length"], reader["stride"], reader["max_query_length"]) == (384, 128, 64)


def test_missing_or_broken_pipeline_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidSettings, match="pipeline file not found"):
        read_pipeline_yaml(tmp_path / "nope.yml")
    broken = tmp_path / "broken.yml"
    broken.write_text("components: [unclosed")
    with pytest.raises(InvalidSettings, match="not valid YAML"):
        read_pipeline_yaml(broken)


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("EQA_MODEL", "/m")
    monkeypatch.setenv("EQA_NO_ANSWER_THRESHOLD", "1.5")
    monkeypatch.setenv("EQA_STORE_PATH", str(tmp_path / "s.json"))
    settings = Settings.from_env(model="/override")
    assert (settings.model, settings.threshold, settings.store_path) == ("/override", 1.5, tmp_path / "s.json")
    monkeypatch.setenv("EQA_NO_ANSWER_THRESHOLD", "high")
    with pytest.raises(InvalidSettings, match="EQA_NO_ANSWER_THRESHOLD"):
        Settings.from_env()
    monkeypatch.delenv("EQA_NO_ANSWER_THRESHOLD")
    monkeypatch.setenv("EQA_STORE", "mongodb")
    with pytest.raises(InvalidSettings, match="store must be"):
        Settings.from_env()
