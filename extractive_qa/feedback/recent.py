"""
The answers a server gave lately, by `answer_id`, so that feedback on one of them can be tied to its question,
span and passage.

Usage example:
```python
from extractive_qa.answers import Answer, QAResult
from extractive_qa.feedback.recent import RecentAnswers

recent = RecentAnswers(limit=1000)
result = QAResult(question="Where?", answers=[Answer(text="Berlin", score=0.7, answer_id="a1", start=3, end=9)])
recent.remember(result)
print(recent.get("a1").question)  # Where?
```
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from extractive_qa.answers import Answer, QAResult

DEFAULT_LIMIT = 20_000


@dataclass(frozen=True)
class GivenAnswer:
    """An answer as it was given: the question, the span in its passage, and how it was shown."""

    question: str
    answer: Answer


class RecentAnswers:
    """
    The last `limit` answers given (the no-answer entries left out), by id; the oldest are forgotten first.

    Thread-safe: requests remember and look up answers concurrently.
    """

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        """
        :param limit: How many answers are remembered.
        """
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        self.limit = limit
        self._answers: OrderedDict[str, GivenAnswer] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, result: QAResult) -> None:
        """Remembers the answers of a result (those with an id)."""
        with self._lock:
            for answer in result.answers:
                if answer.answer_id is None or answer.is_no_answer:
                    continue
                self._answers[answer.answer_id] = GivenAnswer(question=result.question, answer=answer)
                self._answers.move_to_end(answer.answer_id)
            while len(self._answers) > self.limit:
                self._answers.popitem(last=False)

    def get(self, answer_id: str) -> GivenAnswer | None:
        """The answer given under this id, or `None` when it is unknown or forgotten."""
        with self._lock:
            return self._answers.get(answer_id)

    def __len__(self) -> int:
        with self._lock:
            return len(self._answers)
