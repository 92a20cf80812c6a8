"""
Feedback as a SQuAD 2.0 file: the labelled data `extractive-qa eval` and `tune-threshold` read.

Each rated answer's passage becomes a paragraph (articles by source file) and its question a question over it:

| ratings of the answers to a question from one passage | SQuAD 2.0 question over that passage |
|---|---|
| some 👍, or "wrong answer, right passage" with the right answer given | answerable; the gold answers are those spans |
| only 👎 | unanswerable (`is_impossible`), the rated answers as `plausible_answers` |
| only "wrong answer, right passage" without the right answer | left out: the passage answers, but where is not known |

A 👎 next to a 👍 for the same question and passage is a wrong candidate in an answerable passage, not a sign that
the passage does not answer.

Usage example:
```python
from extractive_qa.feedback.squad_export import squad_from_feedback
from extractive_qa.feedback.store import Feedback

rating = Feedback(answer_id="a1", rating="up", question="Where do I live?", answer="Berlin", answer_start=10,
                  passage="I live in Berlin.", source="notes.txt")
data, summary = squad_from_feedback([rating])
print(data["data"][0]["paragraphs"][0]["qas"][0]["answers"])  # [{'text': 'Berlin', 'answer_start': 10}]
```
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from extractive_qa.feedback.store import Feedback


@dataclass
class ExportSummary:
    """What an export holds, and what it left out and why."""

    ratings: int = 0
    questions: int = 0
    answerable: int = 0
    unanswerable: int = 0
    left_out: list[str] = field(default_factory=list)

    def line(self) -> str:
        """One line for people."""
        line = (
            f"{self.questions} question(s) from {self.ratings} rating(s): {self.answerable} answerable, "
            f"{self.unanswerable} unanswerable"
        )
        if self.left_out:
            line += f"; left out {len(self.left_out)} rating(s) ({self.left_out[0]}"
            line += ", ...)" if len(self.left_out) > 1 else ")"
        return line


def _closest(passage: str, text: str, near: int) -> int | None:
    """The start of the occurrence of `text` in `passage` closest to offset `near`, or `None`."""
    starts = []
    position = passage.find(text)
    while position != -1:
        starts.append(position)
        position = passage.find(text, position + 1)
    return min(starts, key=lambda start: abs(start - near)) if starts else None


def _gold(rating: Feedback) -> dict[str, Any] | None:
    """The gold span a rating gives (an answer's text and offset in the passage), or `None`."""
    if rating.rating == "up":
        return {"text": rating.answer, "answer_start": rating.answer_start}
    if rating.rating == "wrong_span" and rating.correct_answer and rating.correct_answer.strip():
        correct = rating.correct_answer.strip()
        start = _closest(rating.passage, correct, rating.answer_start)
        return None if start is None else {"text": correct, "answer_start": start}
    return None


def _left_out_reason(rating: Feedback) -> str:
    """Why a rating of a question that is neither answerable nor unanswerable over its passage is left out."""
    where = f"{rating.question!r}"
    if rating.rating == "wrong_span" and rating.correct_answer:
        return f"{where}: 'wrong answer, right passage', but the right answer {rating.correct_answer!r} is not in it"
    if rating.rating == "wrong_span":
        return f"{where}: 'wrong answer, right passage' without the right answer"
    return f"{where}: a thumbs down beside 'wrong answer, right passage' for the same passage"


def _question_id(passage: str, question: str) -> str:
    return "feedback-" + hashlib.sha256(f"{passage}\x1f{question}".encode()).hexdigest()[:20]


def squad_from_feedback(ratings: Iterable[Feedback]) -> tuple[dict[str, Any], ExportSummary]:
    """
    Turns ratings into SQuAD 2.0 data (`{"version": "v2.0", "data": [...]}`) and says what it holds.

    :param ratings: Stored feedback (`FeedbackStore.all()`).
    """
    summary = ExportSummary()
    grouped: dict[tuple[str, str], list[Feedback]] = {}
    sources: dict[str, str] = {}
    for rating in ratings:
        summary.ratings += 1
        grouped.setdefault((rating.passage, rating.question), []).append(rating)
        sources.setdefault(rating.passage, rating.source or "feedback")
    articles: dict[str, dict[str, dict[str, Any]]] = {}
    for (passage, question), group in grouped.items():
        golds: list[dict[str, Any]] = []
        for rating in group:
            gold = _gold(rating)
            if gold is not None and gold not in golds:
                golds.append(gold)
        if golds:
            qa: dict[str, Any] = {"answers": golds, "is_impossible": False}
            summary.answerable += 1
        elif all(r.rating == "down" for r in group):
            plausible = [{"text": r.answer, "answer_start": r.answer_start} for r in group]
            qa = {"answers": [], "plausible_answers": plausible, "is_impossible": True}
            summary.unanswerable += 1
        else:
            summary.left_out.extend(_left_out_reason(rating) for rating in group)
            continue
        summary.questions += 1
        paragraphs = articles.setdefault(sources[passage], {})
        paragraph = paragraphs.setdefault(passage, {"context": passage, "qas": []})
        paragraph["qas"].append({"id": _question_id(passage, question), "question": question, **qa})
    data = [{"title": title, "paragraphs": list(paragraphs.values())} for title, paragraphs in sorted(articles.items())]
    return {"version": "v2.0", "data": data}, summary
