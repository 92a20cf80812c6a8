"""The feedback database: durable, one rating per answer, clear errors."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from extractive_qa.errors import FeedbackUnavailable
from extractive_qa.feedback.store import Feedback, FeedbackStore, feedback_path
from extractive_qa.settings import Settings


def _rating(answer_id: str = "a1", rating: str = "up", **changes: object) -> Feedback:
    values = {
        "answer_id": answer_id,
        "rating": rating,
        "question": "Where do I live?",
        "answer": "Berlin",
        "answer_start": 10,
        "passage": "I live in Berlin.",
        "source": "notes.txt",
        "confidence": 0.9,
    }
    values.update(changes)
    return Feedback(**values)  # type: ignore[arg-type]


def test_ratings_are_kept_across_instances_and_a_new_rating_replaces_the_old(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "feedback.sqlite3"
    store = FeedbackStore(path)
    assert store.count() == 0
    first = store.save(_rating())
    assert first.created and first.updated == first.created
    store.save(_rating("a2", "down", below_threshold=True))
    store.save(_rating("a1", "wrong_span", correct_answer="in Berlin"))
    again = FeedbackStore(path)  # a new process would see the same
    stored = {r.answer_id: r for r in again.all()}
    assert again.count() == 2
    assert stored["a1"].rating == "wrong_span" and stored["a1"].correct_answer == "in Berlin"
    assert stored["a1"].created == first.created
    assert stored["a2"].below_threshold is True and stored["a2"].confidence == 0.9


def test_bad_ratings_and_bad_files(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    with pytest.raises(ValueError, match="rating must be one of"):
        store.save(_rating(rating="meh"))
    with pytest.raises(FeedbackUnavailable, match="no feedback is stored yet"):
        store.all()
    not_sqlite = tmp_path / "text.sqlite3"
    not_sqlite.write_text("this is not a database " * 100)
    with pytest.raises(FeedbackUnavailable, match="cannot use the feedback database"):
        FeedbackStore(not_sqlite).save(_rating())
    newer = tmp_path / "newer.sqlite3"
    with sqlite3.connect(newer) as connection:
        connection.execute("PRAGMA user_version = 7")
    with pytest.raises(FeedbackUnavailable, match="newer version"):
        FeedbackStore(newer).all()


def test_the_default_place_is_beside_the_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(store_path=tmp_path / "store" / "store.json")
    assert feedback_path(settings) == tmp_path / "store" / "feedback.sqlite3"
    monkeypatch.setenv("EQA_FEEDBACK_PATH", str(tmp_path / "elsewhere.sqlite3"))
    assert feedback_path(settings) == tmp_path / "elsewhere.sqlite3"
