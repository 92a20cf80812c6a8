"""The HTTP schema states the answer object's fields (`extractive_qa.answers`): the same names and types, so that what
`ask --json` writes is what /ask/run and MCP return and what their OpenAPI schema says."""

from __future__ import annotations

import dataclasses
import typing

from haystack import Document, ExtractedAnswer

from extractive_qa.answers import Answer, QAResult
from extractive_qa.components.no_answer_threshold import NoAnswerThreshold
from extractive_qa.http.models import AnswerModel, AskResult


def test_the_answer_model_has_the_answer_objects_fields_and_types() -> None:
    hints = typing.get_type_hints(Answer)
    ours = {f.name: hints[f.name] for f in dataclasses.fields(Answer)}
    http = {name: info.annotation for name, info in AnswerModel.model_fields.items()}
    assert set(http) == set(ours)
    assert {name: str(kind) for name, kind in http.items()} == {name: str(ours[name]) for name in http}


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
