"""Ratings as SQuAD 2.0 data, and the command that writes them: read back by the evaluation's own loader."""

from __future__ import annotations

import json
from pathlib import Path

from extractive_qa.evaluation.squad_metric import load_squad, parse_squad
from extractive_qa.feedback.squad_export import squad_from_feedback
from extractive_qa.feedback.store import Feedback, FeedbackStore
from extractive_qa.testing.processes import run_cli

BERLIN = "My name is Wolfgang and I live in Berlin. I work as a carpenter in Potsdam."
WEATHER = "It rained all week in Hamburg, and the harbour was closed on Tuesday."


def _rating(answer_id: str, rating: str, question: str, answer: str, passage: str, **extra: object) -> Feedback:
    return Feedback(
        answer_id=answer_id,
        rating=rating,  # type: ignore[arg-type]
        question=question,
        answer=answer,
        answer_start=passage.index(answer),
        passage=passage,
        source=extra.pop("source", "notes.txt"),  # type: ignore[arg-type]
        **extra,  # type: ignore[arg-type]
    )


RATINGS = [
    _rating("1", "up", "Where does Wolfgang live?", "Berlin", BERLIN),
    _rating("2", "down", "Where does Wolfgang live?", "Potsdam", BERLIN),  # a wrong candidate beside a right one
    _rating("3", "down", "Who won the match?", "Hamburg", WEATHER, source="weather.txt"),
    _rating("4", "wrong_span", "Where does he work?", "Berlin", BERLIN, correct_answer="Potsdam"),
    _rating("5", "wrong_span", "What is his job?", "Berlin", BERLIN),  # no right answer given: left out
    _rating("6", "wrong_span", "What is his name?", "Berlin", BERLIN, correct_answer="Hans"),  # not in the passage
]


def test_ratings_become_answerable_and_unanswerable_questions() -> None:
    data, summary = squad_from_feedback(RATINGS)
    assert data["version"] == "v2.0"
    qas = {qa["question"]: qa for article in data["data"] for p in article["paragraphs"] for qa in p["qas"]}
    assert qas["Where does Wolfgang live?"]["answers"] == [{"text": "Berlin", "answer_start": BERLIN.index("Berlin")}]
    assert qas["Where does he work?"]["answers"] == [{"text": "Potsdam", "answer_start": BERLIN.index("Potsdam")}]
    assert qas["Who won the match?"]["is_impossible"] is True and qas["Who won the match?"]["answers"] == []
    assert set(qas) == {"Where does Wolfgang live?", "Where does he work?", "Who won the match?"}
    assert (summary.ratings, summary.questions, summary.answerable, summary.unanswerable) == (6, 3, 2, 1)
    assert summary.left_out == [
        "'What is his job?': 'wrong answer, right passage' without the right answer",
        "'What is his name?': 'wrong answer, right passage', but the right answer 'Hans' is not in it",
    ]
    for article in data["data"]:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                for gold in qa["answers"]:
                    start = gold["answer_start"]
                    assert paragraph["context"][start : start + len(gold["text"])] == gold["text"]
    dataset = parse_squad(data)
    assert len(dataset) == 3 and sum(q.has_answer for q in dataset.questions) == 2


def test_feedback_export_command(tmp_path: Path) -> None:
    database = tmp_path / "feedback.sqlite3"
    store = FeedbackStore(database)
    for rating in RATINGS:
        store.save(rating)
    output = tmp_path / "out" / "feedback-squad.json"
    done = run_cli("feedback", "export", str(output), "--feedback-path", str(database))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"wrote {output}: 3 question(s) from 6 rating(s): 2 answerable, 1 unanswerable")
    assert done.stderr.count("left out") == 2
    assert len(load_squad(output)) == 3
    assert json.loads(output.read_text(encoding="utf-8"))["version"] == "v2.0"


def test_feedback_export_errors_are_one_line(tmp_path: Path) -> None:
    missing = run_cli("feedback", "export", str(tmp_path / "x.json"), "--feedback-path", str(tmp_path / "none.db"))
    assert missing.returncode == 2 and missing.stderr.startswith("error: no feedback is stored yet")
    database = tmp_path / "feedback.sqlite3"
    FeedbackStore(database).save(RATINGS[4])  # only a rating that cannot be exported
    nothing = run_cli("feedback", "export", str(tmp_path / "x.json"), "--feedback-path", str(database))
    assert nothing.returncode == 2 and "nothing to export" in nothing.stderr
    assert not (tmp_path / "x.json").exists()
    FeedbackStore(database).save(RATINGS[0])
    folder = run_cli("feedback", "export", str(tmp_path), "--feedback-path", str(database))
    assert folder.returncode == 2 and "is a folder" in folder.stderr
