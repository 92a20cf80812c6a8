"""Open mode's retrieval recall: the own paragraph and a gold answer text among the first k passages."""

from __future__ import annotations

from extractive_qa.evaluation.recall import retrieval_recall
from extractive_qa.evaluation.squad_metric import parse_squad

DATA = {
    "version": "v2.0",
    "data": [
        {
            "title": "Rivers",
            "paragraphs": [
                {
                    "context": "The Loire runs through Orleans.",
                    "qas": [
                        {"id": "a", "question": "Which river runs through Orleans?", "answers": [{"text": "Loire"}]}
                    ],
                },
                {
                    "context": "Orleans lies on the Loire, as Tours does.",
                    "qas": [
                        {"id": "b", "question": "Which city lies on the Loire too?", "answers": [{"text": "Tours"}]},
                        {"id": "c", "question": "Which river runs through Lyon?", "answers": [], "is_impossible": True},
                    ],
                },
            ],
        }
    ],
}


def test_recall_at_each_depth_counts_the_own_paragraph_and_the_answer_text() -> None:
    dataset = parse_squad(DATA)
    rows = [
        {"id": "a", "retrieved": ["0:1", "0:0", "0:1"]},  # the own paragraph 2nd, but the answer text already 1st
        {"id": "b", "retrieved": ["0:0", "0:0", "0:1"]},  # both 3rd
        {"id": "c", "retrieved": ["0:0", "0:1", "0:0"]},  # unanswerable: counts for the paragraph only
    ]
    recall = retrieval_recall(dataset, rows)
    assert recall == {
        "retrieved_per_question": 3,
        "paragraph_recall": {"1": 0.0, "3": 100.0},
        "answer_recall": {"1": 50.0, "3": 100.0},
    }


def test_depths_stop_at_what_was_retrieved() -> None:
    dataset = parse_squad(DATA)
    rows = [{"id": q.id, "retrieved": [q.paragraph_key] * 12} for q in dataset.questions]
    recall = retrieval_recall(dataset, rows)
    assert list(recall["paragraph_recall"]) == ["1", "3", "5", "10", "12"]
    assert set(recall["paragraph_recall"].values()) == {100.0}
    assert recall["retrieved_per_question"] == 12


def test_nothing_retrieved_is_no_recall() -> None:
    dataset = parse_squad(DATA)
    recall = retrieval_recall(dataset, [{"id": q.id, "retrieved": []} for q in dataset.questions])
    assert recall == {"retrieved_per_question": 0, "paragraph_recall": {"0": 0.0}, "answer_recall": {"0": 0.0}}
