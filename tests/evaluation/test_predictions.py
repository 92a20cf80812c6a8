"""The one predict loop: only the questions without a record are read, in batches, each stored as it is done."""

from __future__ import annotations

import json
from pathlib import Path

from haystack import ExtractedAnswer

from extractive_qa.evaluation.passages import own_paragraph
from extractive_qa.evaluation.predictions import pending, predict
from extractive_qa.evaluation.records import RecordFile, stock_record
from extractive_qa.evaluation.squad_metric import SquadQuestion
from tests.evaluation.stored_records import synthetic_records


class FirstWordReader:
    """Reads a batch by answering each question with the first word of its paragraph (and keeps what it was given)."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def __call__(self, batch: list[SquadQuestion]) -> list[dict]:
        self.batches.append([q.id for q in batch])
        records = []
        for question in batch:
            document = own_paragraph(question)[0]
            answer = ExtractedAnswer(query=question.question, score=0.9, data=document.content.split()[0])
            records.append(stock_record(question, [answer], seconds=0.0))
        return records


def _file(path: Path) -> RecordFile:
    return RecordFile(path, {"format": 1, "reader": "first word"})


def test_reads_what_is_missing_in_batches_and_resumes(tmp_path: Path) -> None:
    dataset, _ = synthetic_records(10)
    records = _file(tmp_path / "records.jsonl")
    reader = FirstWordReader()
    prepared = []
    seconds = predict(
        dataset.head(7), records, reader, batch_size=3, progress=False, prepare=lambda: prepared.append(1)
    )
    assert seconds > 0 and prepared == [1]
    assert reader.batches == [["q0", "q1", "q2"], ["q3", "q4", "q5"], ["q6"]]
    assert [json.loads(line)["id"] for line in (tmp_path / "records.jsonl").read_text().splitlines()[1:]] == [
        f"q{i}" for i in range(7)
    ]

    # a new run over the whole file reads only the rest, from the records on disk
    again = FirstWordReader()
    predict(dataset, _file(tmp_path / "records.jsonl"), again, batch_size=3, progress=False)
    assert again.batches == [["q7", "q8", "q9"]]
    assert pending(dataset, _file(tmp_path / "records.jsonl")) == []


def test_nothing_to_read_prepares_nothing(tmp_path: Path) -> None:
    dataset, _ = synthetic_records(4)
    records = _file(tmp_path / "records.jsonl")
    predict(dataset, records, FirstWordReader(), progress=False)
    reader = FirstWordReader()
    prepared = []
    assert predict(dataset, records, reader, progress=False, prepare=lambda: prepared.append(1)) == 0.0
    assert reader.batches == [] and prepared == []


def test_a_question_changed_since_its_record_is_read_again(tmp_path: Path) -> None:
    dataset, _ = synthetic_records(3)
    records = _file(tmp_path / "records.jsonl")
    predict(dataset, records, FirstWordReader(), progress=False)
    changed = dataset.questions[1]
    dataset.questions[1] = SquadQuestion(
        changed.id, "Where else is it?", changed.context, changed.title, changed.answers, changed.article_index, 0
    )
    assert [q.id for q in pending(dataset, records)] == ["q1"]
