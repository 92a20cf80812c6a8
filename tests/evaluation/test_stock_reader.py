"""The stock reader of the installed Haystack: `ExtractiveReader` on 2.x, `TransformersExtractiveReader` on 3.x."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from haystack import Document

from extractive_qa.errors import EvaluationError
from extractive_qa.evaluation import stock_reader as stock
from extractive_qa.testing.haystack_major import HAYSTACK_MAJOR


def test_the_stock_reader_is_the_installed_majors() -> None:
    expected = "ExtractiveReader" if HAYSTACK_MAJOR < 3 else "TransformersExtractiveReader"
    assert stock.haystack_major() == HAYSTACK_MAJOR
    assert stock.stock_reader_name() == expected
    assert stock.stock_reader_class().__name__ == expected
    assert stock.stock_reader_path() == f"{stock.stock_reader_class().__module__}.{expected}"


def test_haystack_2_keeps_the_class_path_its_stored_outputs_were_keyed_by(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stock, "haystack_major", lambda: 2)
    assert stock.stock_reader_path() == "haystack.components.readers.extractive.ExtractiveReader"


def test_without_transformers_haystack_on_haystack_3_it_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stock, "haystack_major", lambda: 3)
    module = stock.STOCK_READERS[3][0]
    monkeypatch.setitem(sys.modules, module, None)  # importing it raises ImportError, as when it is not installed
    with pytest.raises(EvaluationError) as raised:
        stock.stock_reader(model="any")
    message = str(raised.value)
    assert "\n" not in message
    assert "TransformersExtractiveReader" in message and "pip install transformers-haystack" in message


@pytest.mark.model
def test_the_stock_reader_answers(shared_model: Path) -> None:
    reader = stock.stock_reader(model=str(shared_model), top_k=2, no_answer=True)
    reader.warm_up()
    documents = [Document(content="My name is Wolfgang and I live in Berlin.")]
    answers = reader.run(query="Where do I live?", documents=documents)["answers"]
    assert answers[0].data == "Berlin"
    assert any(answer.data is None for answer in answers)  # its own no-answer entry
