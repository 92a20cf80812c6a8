"""Labelled questions with stored reader outputs made for the tuning tests (no model: the records are written here)."""

from __future__ import annotations

import random

import numpy as np

from extractive_qa.evaluation.squad_metric import SquadDataset, SquadQuestion


def synthetic_records(n: int = 400, seed: int = 5) -> tuple[SquadDataset, dict[str, dict]]:
    """Questions whose answerability the null logit predicts well and the span logit poorly."""
    rng = random.Random(seed)
    questions, records = [], {}
    for i in range(n):
        answerable = rng.random() < 0.5
        title = f"article {i % 6}"
        qid = f"q{i}"
        gold = ("Paris",) if answerable else ()
        questions.append(SquadQuestion(qid, "Where is it?", "c", title, gold, article_index=i % 6, paragraph_index=0))
        null = rng.gauss(-2.0 if answerable else 2.0, 1.5)
        span = rng.gauss(5.0, 2.0)
        text = "Paris" if (answerable and rng.random() < 0.8) else "Lyon"
        records[qid] = {
            "id": qid,
            "answers": [
                {
                    "text": text,
                    "score": 1 / (1 + np.exp(-0.1 * span)),
                    "meta": {"span_logit": span, "null_logit": null, "null_score_diff": null - span},
                }
            ],
            "no_answer": {"text": None, "score": 0.5, "meta": {"null_score_diff": null - span}},
        }
    titles = sorted({q.title for q in questions})
    return SquadDataset(questions, titles=titles), records


def open_mode_records(n: int = 300, seed: int = 9) -> tuple[SquadDataset, dict[str, dict]]:
    """Open-mode questions whose wrong answers come from a passage that does not mention what is asked about."""
    rng = random.Random(seed)
    paragraphs = {"own": "The Skerr river runs through Veltmark.", "other": "The Loire river runs through Orleans."}
    questions, records = [], {}
    for i in range(n):
        answerable = rng.random() < 0.5
        qid = f"q{i}"
        gold = ("Skerr",) if answerable else ()
        questions.append(
            SquadQuestion(qid, "Which river runs through Veltmark?", "", f"article {i % 4}", gold, i % 4, 0)
        )
        key, text = ("own", "Skerr") if answerable else ("other", "Loire")
        diff = rng.gauss(-2.0, 1.5)  # the reader is as sure of both
        start = paragraphs[key].index(text)
        records[qid] = {
            "id": qid,
            "answers": [
                {
                    "text": text,
                    "score": 0.7,
                    "meta": {"null_score_diff": diff},
                    "document": key,
                    "offsets": [start, start + len(text)],
                }
            ],
            "no_answer": {"text": None, "score": 0.3, "meta": {"null_score_diff": diff}},
            "retrieved": [key],
            "retrieved_scores": [7.5],
        }
    dataset = SquadDataset(questions, titles=sorted({q.title for q in questions}), paragraphs=paragraphs)
    return dataset, records
