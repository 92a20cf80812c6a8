"""
Builds the YAML pipelines (read with the settings applied by `pipeline_files`), warms them up, and runs the part of
the query pipeline after the retriever on given documents.

Usage example:
```python
from extractive_qa.app.pipeline_loader import load_pipeline
from extractive_qa.settings import DEFAULT_STORE, Settings

pipeline = load_pipeline(Settings.from_env(), "query")  # the model loads at pipeline.warm_up()
```
"""

from __future__ import annotations

import inspect
from typing import Any

from haystack import Document, ExtractedAnswer, Pipeline
from haystack.core.errors import DeserializationError

from extractive_qa.errors import InvalidSettings, ModelNotFound, QAError
from extractive_qa.pipeline_files import PipelineKind, load_pipeline_data, pipeline_path
from extractive_qa.settings import Settings
from extractive_qa.trusted_modules import OWN_MODULES, check_trusted


def build_pipeline(data: dict[str, Any], source: str = "the pipeline YAML") -> Pipeline:
    """
    Builds a Haystack pipeline from a dictionary read from YAML (hayhooks sections are ignored). Only classes of
    trusted modules are built, under Haystack 2.x and 3.x alike (`extractive_qa.trusted_modules`).

    :param source: What the dictionary was read from, for the error message.
    :raises InvalidSettings: When a component refuses its settings, in one line naming `source`, the component and
        its own reason (Haystack's message would print the component's whole definition); or when the dictionary
        names a class of a module that is not trusted.
    """
    body = {k: v for k, v in data.items() if k not in ("inputs", "outputs")}
    check_trusted(body, source)
    try:
        return Pipeline.from_dict(body, **_trusting_own_modules())
    except DeserializationError as error:
        # Haystack's message: "Couldn't deserialize component 'reader' of class 'X' with the following data: {...}"
        which = (str(error).strip().splitlines() or [type(error).__name__])[0].split(" with the following data")[0]
        reason = f"{which}: {error.__cause__}" if error.__cause__ is not None else which
        raise InvalidSettings(f"{source} does not load: {reason}") from error


def _trusting_own_modules() -> dict[str, Any]:
    """`Pipeline.from_dict`'s arguments that trust the application's components: Haystack 3's `allowed_modules`."""
    if "allowed_modules" in inspect.signature(Pipeline.from_dict).parameters:
        return {"allowed_modules": list(OWN_MODULES)}
    return {}  # Haystack 2.x builds any class; check_trusted has refused the untrusted ones


def load_pipeline(settings: Settings, kind: PipelineKind) -> Pipeline:
    """Loads the configured store's pipeline of the given kind with the settings applied."""
    return build_pipeline(load_pipeline_data(settings, kind), source=str(pipeline_path(settings, kind)))


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
    The decision sees the documents as the passages read, as it sees the retriever's output in the pipeline.

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
    if not _takes_documents(decision):  # a decision without the passages-read input (an older custom component)
        return [decision.run(answers=answers, threshold=threshold)["answers"] for answers in batches]
    return [
        decision.run(answers=answers, threshold=threshold, documents=docs)["answers"]
        for answers, docs in zip(batches, documents, strict=True)
    ]


def _takes_documents(component: Any) -> bool:
    """Whether a component's `run` takes the passages read (`documents`), as `NoAnswerThreshold` does."""
    return "documents" in inspect.signature(component.run).parameters
