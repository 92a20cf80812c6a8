"""The HTTP schema is built from the answer object (`extractive_qa.answers.Answer`): the same names, types and
descriptions, so that what `ask --json` writes is what /ask/run and MCP return and what their schemas say; and the
request schemas state the bounds of `extractive_qa.app.validation`."""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field

import pytest
from haystack import Document, ExtractedAnswer
from pydantic import TypeAdapter, ValidationError

from extractive_qa.answers import Answer, QAResult
from extractive_qa.app.validation import MAX_RETRIEVER_TOP_K, MAX_TOP_K
from extractive_qa.components.no_answer_threshold import NoAnswerThreshold
from extractive_qa.http.models import AnswerModel, AskResult, MinConfidence, RetrieverTopK, TopK, model_of


def test_the_answer_model_has_the_answer_objects_fields_and_types() -> None:
    hints = typing.get_type_hints(Answer)
    ours = {f.name: hints[f.name] for f in dataclasses.fields(Answer)}
    http = {name: info.annotation for name, info in AnswerModel.model_fields.items()}
    assert set(http) == set(ours)
    assert {name: str(kind) for name, kind in http.items()} == {name: str(ours[name]) for name in http}


def test_every_answer_field_is_described_once_on_the_answer_object() -> None:
    schema = AskResult.model_json_schema(mode="serialization")["$defs"]["AnswerModel"]
    for item in dataclasses.fields(Answer):
        assert item.metadata.get("description"), item.name
        assert schema["properties"][item.name]["description"] == item.metadata["description"]
    assert schema["required"] == [item.name for item in dataclasses.fields(Answer)]  # JSON always holds them all
    assert schema["properties"]["reason"]["examples"] == ["no passage mentions Veltmark"]


def test_a_field_added_to_a_dataclass_is_in_its_model() -> None:
    @dataclass
    class Longer(Answer):
        """An answer with one field more."""

        language: str | None = field(default=None, metadata={"description": "The passage's language."})

    model = model_of(Longer, "LongerModel")
    assert list(model.model_fields) == [item.name for item in dataclasses.fields(Longer)]
    assert model.model_fields["language"].description == "The passage's language."
    assert model.model_fields["language"].annotation == str | None
    assert model.__doc__ == "An answer with one field more."


@pytest.mark.parametrize(("kind", "low", "high"), [(TopK, 1, MAX_TOP_K), (RetrieverTopK, 1, MAX_RETRIEVER_TOP_K)])
def test_the_request_bounds_are_the_rules_constants(kind: object, low: int, high: int) -> None:
    adapter = TypeAdapter(kind)
    assert adapter.validate_python(low) == low and adapter.validate_python(high) == high
    for outside in (low - 1, high + 1, "3", 2.0, True):
        with pytest.raises(ValidationError):
            adapter.validate_python(outside)


def test_min_confidence_is_between_0_and_1_exclusive() -> None:
    adapter = TypeAdapter(MinConfidence)
    assert adapter.validate_python(0.3) == 0.3 and adapter.validate_python(None) is None
    for outside in (0, 1, -0.1, 1.5):
        with pytest.raises(ValidationError):
            adapter.validate_python(outside)


def test_a_result_crosses_http_unchanged() -> None:
    passage = Document(content="Tartu is a city in Estonia.", meta={"file_path": "estonia.txt"})
    answers = [
        ExtractedAnswer(
            query="Which city?",
            score=0.9,
            data="Tartu",
            document=passage,
            document_offset=ExtractedAnswer.Span(0, 5),
            meta={"null_score_diff": -2.0},
        ),
        ExtractedAnswer(query="Which city?", score=0.1, data=None, meta={"null_score_diff": -2.0}),
    ]
    decided = NoAnswerThreshold(threshold=0.0).run(answers=answers)["answers"]
    data = QAResult.from_extracted("Which city?", decided).to_dict()
    assert set(data) == set(AskResult.model_fields)
    assert AskResult.model_validate(data).model_dump(mode="json") == data


def test_the_ask_endpoints_descriptions_state_the_same_bounds() -> None:
    """/ask/run's field descriptions come from the wrapper's docstring (hayhooks): its numbers are the constants'."""
    from extractive_qa.http.wrappers.ask.pipeline_wrapper import PipelineWrapper

    described = " ".join((PipelineWrapper.run_api.__doc__ or "").split())
    assert f"top_k: The number of distinct answers returned, 1 to {MAX_TOP_K}" in described
    assert f"retriever_top_k: The number of passages the reader reads, 1 to {MAX_RETRIEVER_TOP_K}" in described
