"""
The pipeline's answer to stored questions under a no-answer decision, without running the model again.

Evaluation records keep each question's answers as the pipeline's `NoAnswerThreshold` saw them (`records`); these
functions re-apply a decision to them, for scoring (`report`) and for tuning the decision (`sweep`, `calibration`).

Usage example:
```python
from extractive_qa.components.no_answer_threshold import NoAnswerThreshold
from extractive_qa.evaluation.decisions import score_decision
from extractive_qa.evaluation.records import load_records
from extractive_qa.evaluation.squad_metric import load_squad

dataset = load_squad("dev-v2.0-heldout.json")
records = {r["id"]: r for r in load_records("eval-results/dev-v2.0-heldout-reader/records.jsonl")}
print(score_decision(dataset, records, NoAnswerThreshold(threshold=-1.5))["f1"])
```
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from haystack import Document, ExtractedAnswer

from extractive_qa.components.no_answer_decision import (
    no_answer_probability,
    no_answer_probability_without_answer,
    ranking_key,
)
from extractive_qa.components.no_answer_threshold import NoAnswerThreshold
from extractive_qa.evaluation.records import record_answers, record_documents
from extractive_qa.evaluation.squad_metric import SquadDataset, SquadQuestion, evaluate


def decision_key(
    decision: NoAnswerThreshold,
    answer: ExtractedAnswer,
    answers: list[ExtractedAnswer],
    documents: list[Document] | None = None,
) -> float:
    """
    An answer's value of the decision's signal, turned so that it passes when it is at most the threshold key and
    smaller is more confident: the order in which answers are shown (`extractive_qa.answers.shown_order`).
    """
    return ranking_key(decision.signal, decision.evidence(answer, answers, documents))


def ordered_answers(
    answers: list[ExtractedAnswer], decision: NoAnswerThreshold, documents: list[Document] | None = None
) -> list[ExtractedAnswer]:
    """The real answers in the order they are shown: by the confidence of the decision's signal, highest first."""
    real = [a for a in answers if a.data is not None]
    return sorted(real, key=lambda a: decision_key(decision, a, answers, documents))


def stored_answers(dataset: SquadDataset, question: SquadQuestion, row: dict[str, Any]) -> list[ExtractedAnswer]:
    """The answers of a stored question as the pipeline's `NoAnswerThreshold` saw them."""
    return record_answers(row, question.question, dataset.paragraphs, dataset.paragraph_titles)


def stored_documents(dataset: SquadDataset, row: dict[str, Any]) -> list[Document] | None:
    """The passages a stored question read (open mode: the retrieved ones with their scores; reader mode: `None`)."""
    return record_documents(row, dataset.paragraphs, dataset.paragraph_titles)


def pipeline_predictions(
    dataset: SquadDataset, records: dict[str, dict[str, Any]], decision: NoAnswerThreshold, threshold: float
) -> tuple[list[str], list[str], list[float]]:
    """
    The pipeline's answer to each question of `dataset` (all must be in `records`) under `decision` at `threshold`.

    :returns: The predictions (`""` for no answer), the top answer texts (the best answers whose passage covers
        the question's terms), and the top answers' no-answer probabilities (the signal turned so that larger means
        "no answer"), in question order.
    """
    predictions: list[str] = []
    tops: list[str] = []
    na_probs: list[float] = []
    for question in dataset.questions:
        answers = stored_answers(dataset, question, records[question.id])
        documents = stored_documents(dataset, records[question.id])
        decided = decision.run(answers=answers, threshold=threshold, documents=documents)["answers"]
        passing = decided[: next((i for i, a in enumerate(decided) if a.data is None), len(decided))]
        shown = min(passing, key=lambda a: decision_key(decision, a, answers, documents), default=None)
        predictions.append((shown.data or "") if shown is not None else "")  # the answer shown first
        ordered = [a for a in ordered_answers(answers, decision, documents) if decision.covered(a, documents)]
        if ordered:
            tops.append(ordered[0].data or "")
            na_probs.append(no_answer_probability(decision.signal, decision.evidence(ordered[0], answers, documents)))
        else:
            tops.append("")
            na_probs.append(no_answer_probability_without_answer(decision.signal))
    return predictions, tops, na_probs


def score_decision(
    dataset: SquadDataset, records: dict[str, dict[str, Any]], decision: NoAnswerThreshold
) -> dict[str, float]:
    """EM and F1 (percent, overall / HasAns / NoAns) of the pipeline's decisions on the stored questions."""
    subset = dataset.subset([q.id for q in dataset.questions if q.id in records])
    predictions, _, _ = pipeline_predictions(subset, records, decision, decision.threshold)
    return evaluate(subset, {q.id: p for q, p in zip(subset.questions, predictions, strict=True)})


@dataclass
class StoredQuestion:
    """A labelled question with its stored answers, the passages it read (open mode) and the candidates in order."""

    question: SquadQuestion
    answers: list[ExtractedAnswer]
    documents: list[Document] | None
    ordered: list[ExtractedAnswer]


def stored_questions(
    dataset: SquadDataset, records: dict[str, dict[str, Any]], decision: NoAnswerThreshold
) -> Iterator[StoredQuestion]:
    """
    The questions of `dataset` found in `records`, each with its stored answers, the passages it read, and the
    candidates `decision` can give in the order it considers them (those whose passage fails its check of the
    question's terms left out: no threshold lets them pass).
    """
    for question in dataset.questions:
        row = records.get(question.id)
        if row is None:
            continue
        answers = stored_answers(dataset, question, row)
        documents = stored_documents(dataset, row)
        ordered = [a for a in ordered_answers(answers, decision, documents) if decision.covered(a, documents)]
        yield StoredQuestion(question, answers, documents, ordered)
