"""
The pipeline YAML files and the settings applied to them, as plain dictionaries: nothing is built and Haystack is not
imported, so reading what a pipeline is made of (the store it uses, say) costs milliseconds.

Usage example:
```python
from extractive_qa.pipeline_files import load_pipeline_data
from extractive_qa.settings import Settings

data = load_pipeline_data(Settings.from_env(), "query")
print(data["components"]["retriever"]["init_parameters"]["document_store"]["type"])
```
"""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path
from typing import Any, Literal

import yaml

from extractive_qa.errors import InvalidSettings
from extractive_qa.settings import DEFAULT_STORE, Settings

PipelineKind = Literal["query", "indexing"]

READER_TYPE = "extractive_qa.components.reader.component.ExtractiveQAReader"
THRESHOLD_TYPE = "extractive_qa.components.no_answer_threshold.NoAnswerThreshold"
MEMORY_STORE_TYPE = "haystack.document_stores.in_memory.document_store.InMemoryDocumentStore"
EMBEDDED_STORE_TYPE = "extractive_qa.components.document_stores.tantivy.document_store.TantivyDocumentStore"
ELASTICSEARCH_STORE_TYPE = (
    "haystack_integrations.document_stores.elasticsearch.document_store.ElasticsearchDocumentStore"
)


def pipeline_path(settings: Settings, kind: PipelineKind) -> Path:
    """
    The YAML file of a pipeline kind for the configured store: `query.yml`, `indexing_elasticsearch.yml`, ...; for
    the query pipeline, the settings' own file when one is set (`EQA_QUERY_PIPELINE`, `--pipeline`).
    """
    if kind == "query" and settings.query_pipeline is not None:
        return settings.query_pipeline
    name = kind if settings.store == DEFAULT_STORE else f"{kind}_{settings.store}"
    return settings.pipelines_dir / f"{name}.yml"


def read_pipeline_yaml(path: Path) -> dict[str, Any]:
    """Reads a pipeline YAML file into a dictionary (with its hayhooks `inputs`/`outputs` sections)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise InvalidSettings(f"pipeline file not found: {path}") from error
    except (OSError, UnicodeDecodeError) as error:  # a folder, a file this user may not read, not text
        reason = error.strerror if isinstance(error, OSError) and error.strerror else type(error).__name__
        raise InvalidSettings(f"pipeline file {path} cannot be read: {reason}") from error
    except yaml.YAMLError as error:
        raise InvalidSettings(f"pipeline file {path} is not valid YAML: {error}") from error
    if not isinstance(data, dict) or "components" not in data:
        raise InvalidSettings(f"pipeline file {path} has no 'components' section")
    return data


def memory_index_name(store_path: Path) -> str:
    """One in-memory index per store file, so that two stores in one process never share documents."""
    digest = hashlib.sha1(str(store_path.resolve()).encode()).hexdigest()[:12]
    return f"extractive-qa-{digest}"


def _stores(component: dict[str, Any]) -> list[dict[str, Any]]:
    params = component.get("init_parameters") or {}
    store = params.get("document_store")
    return [store] if isinstance(store, dict) else []


def apply_settings(data: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """
    Returns a copy of a pipeline dictionary with the settings applied.

    The model goes to every `ExtractiveQAReader`, the threshold to every `NoAnswerThreshold`, the store file's
    index to every in-memory store and the URL and index to every Elasticsearch store.
    """
    data = copy.deepcopy(data)
    for component in data["components"].values():
        params = component.setdefault("init_parameters", {})
        if component.get("type") == READER_TYPE and settings.model:
            params["model"] = settings.model
        if component.get("type") == THRESHOLD_TYPE and settings.threshold is not None:
            params["threshold"] = settings.threshold
        for store in _stores(component):
            store_params = store.setdefault("init_parameters", {})
            if store.get("type") == EMBEDDED_STORE_TYPE:
                store_params["index_path"] = str(settings.store_path)
            elif store.get("type") == MEMORY_STORE_TYPE:
                store_params["index"] = memory_index_name(settings.store_path)
            elif store.get("type") == ELASTICSEARCH_STORE_TYPE:
                store_params["hosts"] = settings.elasticsearch_url
                store_params["index"] = settings.elasticsearch_index
    return data


def load_pipeline_data(settings: Settings, kind: PipelineKind) -> dict[str, Any]:
    """The configured store's pipeline dictionary of the given kind, with the settings applied (nothing built)."""
    return apply_settings(read_pipeline_yaml(pipeline_path(settings, kind)), settings)


def store_definition(settings: Settings) -> dict[str, Any]:
    """The store's `{"type": ..., "init_parameters": ...}`: the query pipeline retriever's, settings applied."""
    data = load_pipeline_data(settings, "query")
    retriever = data["components"].get("retriever") or {}
    definition = (retriever.get("init_parameters") or {}).get("document_store")
    if not isinstance(definition, dict) or "type" not in definition:
        raise InvalidSettings("the query pipeline's 'retriever' has no document_store to open")
    return definition
