"""
Loads the YAML pipelines (the package's `extractive_qa.pipelines`, or the settings' folder), applies the settings to
them, and runs the part of the query pipeline after the retriever on given documents.

Usage example:
```python
from extractive_qa.app.pipeline_loader import load_pipeline
from extractive_qa.settings import Settings

pipeline = load_pipeline(Settings.from_env(), "query")  # the model loads at pipeline.warm_up()
```
"""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path
from typing import Any, Literal

import yaml
from haystack import Document, ExtractedAnswer, Pipeline

from extractive_qa.errors import InvalidSettings, ModelNotFound, QAError
from extractive_qa.settings import Settings

PipelineKind = Literal["query", "indexing"]

READER_TYPE = "extractive_qa.components.reader.component.ExtractiveQAReader"
THRESHOLD_TYPE = "extractive_qa.components.no_answer_threshold.NoAnswerThreshold"
MEMORY_STORE_TYPE = "haystack.document_stores.in_memory.document_store.InMemoryDocumentStore"
ELASTICSEARCH_STORE_TYPE = (
    "haystack_integrations.document_stores.elasticsearch.document_store.ElasticsearchDocumentStore"
)


def pipeline_path(settings: Settings, kind: PipelineKind) -> Path:
    """The YAML file of a pipeline kind for the configured store: `query.yml`, `indexing_elasticsearch.yml`, ..."""
    name = kind if settings.store == "memory" else f"{kind}_{settings.store}"
    return settings.pipelines_dir / f"{name}.yml"


def read_pipeline_yaml(path: Path) -> dict[str, Any]:
    """Reads a pipeline YAML file into a dictionary (with its hayhooks `inputs`/`outputs` sections)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise InvalidSettings(f"pipeline file not found: {path}") from error
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
            if store.get("type") == MEMORY_STORE_TYPE:
                store_params["index"] = memory_index_name(settings.store_path)
            elif store.get("type") == ELASTICSEARCH_STORE_TYPE:
                store_params["hosts"] = settings.elasticsearch_url
                store_params["index"] = settings.elasticsearch_index
    return data


def build_pipeline(data: dict[str, Any]) -> Pipeline:
    """Builds a Haystack pipeline from a dictionary read from YAML (hayhooks sections are ignored)."""
    body = {k: v for k, v in data.items() if k not in ("inputs", "outputs")}
    return Pipeline.from_dict(body)


def load_pipeline_data(settings: Settings, kind: PipelineKind) -> dict[str, Any]:
    """The configured store's pipeline dictionary of the given kind, with the settings applied (nothing built)."""
    return apply_settings(read_pipeline_yaml(pipeline_path(settings, kind)), settings)


def load_pipeline(settings: Settings, kind: PipelineKind) -> Pipeline:
    """Loads the configured store's pipeline of the given kind with the settings applied."""
    return build_pipeline(load_pipeline_data(settings, kind))


def warm_up(pipeline: Pipeline) -> Pipeline:
    """
    Warms the pipeline up (loads the reader's model); returns it.

    :raises ModelNotFound: When the model cannot be loaded, with the first line of the reason.
    """
    try:
        pipeline.warm_up()
    except QAError:
        raise
    except Exception as error:
        if isinstance(error, FileNotFoundError):
            raise ModelNotFound(str(error)) from error
        model = getattr(pipeline.get_component("reader"), "model_name_or_path", "?")
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ModelNotFound(f"cannot load the model '{model}': {first_line}") from error
    return pipeline


def read_documents(
    pipeline: Pipeline,
    queries: list[str],
    documents: list[list[Document]],
    *,
    top_k: int | None = None,
    decide: bool = True,
    threshold: float | None = None,
) -> list[list[ExtractedAnswer]]:
    """
    Runs the query pipeline's components after the retriever (`reader`, `deduplicator`, then `threshold` unless
    `decide=False`) on given documents: one list of documents per question, read in one pass through the model.

    :param pipeline: A query pipeline (warmed up).
    :param queries: The questions.
    :param documents: The documents of each question.
    :param top_k: The number of distinct answers kept per question (default: the de-duplicator's).
    :param decide: Whether to apply the no-answer decision (`False`: the answers as the threshold would see them).
    :param threshold: Overrides the no-answer threshold.
    :returns: The answers of each question.
    """
    reader = pipeline.get_component("reader")
    if hasattr(reader, "answer_batch"):
        batches = reader.answer_batch(queries, documents)
    else:  # a reader without the batch API (Haystack's own): one question at a time
        batches = [reader.run(query=q, documents=d)["answers"] for q, d in zip(queries, documents, strict=True)]
    deduplicator = pipeline.get_component("deduplicator")
    batches = [deduplicator.run(answers=answers, top_k=top_k)["answers"] for answers in batches]
    if not decide:
        return batches
    decision = pipeline.get_component("threshold")
    return [decision.run(answers=answers, threshold=threshold)["answers"] for answers in batches]
