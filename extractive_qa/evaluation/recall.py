"""
Open mode's retrieval figures: how often the retriever found the question's own paragraph, and a passage with a gold
answer text, among its first k passages.

Usage example:
```python
from extractive_qa.evaluation.recall import retrieval_recall

recall = retrieval_recall(dataset, [records[q.id] for q in dataset.questions])
print(recall["paragraph_recall"]["5"], recall["answer_recall"]["5"])
```
"""

from __future__ import annotations

from typing import Any

from extractive_qa.evaluation.squad_metric import SquadDataset

RECALL_AT = (1, 3, 5, 10, 20, 50, 100)


def retrieval_recall(dataset: SquadDataset, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """
    Open mode: how often retrieval found what the reader needs.

    `paragraph_recall@k`: the share of all questions whose own paragraph is among the first k passages;
    `answer_recall@k`: the share of answerable questions with a gold answer text in one of the first k passages.
    """
    contexts: dict[str, str] = {q.paragraph_key: q.context for q in dataset.questions}
    depth = max((len(r.get("retrieved", [])) for r in rows), default=0)
    ks = [k for k in RECALL_AT if k < depth] + [depth]
    paragraph = dict.fromkeys(ks, 0)
    answer = dict.fromkeys(ks, 0)
    answerable = 0
    for question, row in zip(dataset.questions, rows, strict=True):
        retrieved = row.get("retrieved", [])
        own = question.paragraph_key
        rank = retrieved.index(own) + 1 if own in retrieved else None
        answer_rank = None
        if question.has_answer:
            answerable += 1
            golds = [g for g in question.answers if g.strip()]
            for position, key in enumerate(retrieved, start=1):
                if any(g in contexts.get(key, "") for g in golds):
                    answer_rank = position
                    break
        for k in ks:
            paragraph[k] += rank is not None and rank <= k
            answer[k] += answer_rank is not None and answer_rank <= k
    total = len(rows) or 1
    return {
        "retrieved_per_question": depth,
        "paragraph_recall": {str(k): round(100.0 * v / total, 2) for k, v in paragraph.items()},
        "answer_recall": {str(k): round(100.0 * v / (answerable or 1), 2) for k, v in answer.items()},
    }
