"""Decides between the extracted answers and "no answer" with one tuned threshold."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

from haystack import ExtractedAnswer, component, default_from_dict, default_to_dict

Signal = Literal["null_score_diff", "score"]


@component
class NoAnswerThreshold:
    """
    Turns a reader's scores and no-answer evidence into the final decision: answer, or no answer.

    An answer *passes* when its evidence clears the threshold; the answers that pass come first in descending
    score order, then the no-answer entry (`data=None`), then the answers that did not pass. So the first answer
    is either a real answer or the no-answer entry, which is the decision. Two signals are supported:

    - `"null_score_diff"` (default, the SQuAD 2.0 rule): an answer passes when its window's null logit minus its
      span logit (`answer.meta["null_score_diff"]`, reported by `ExtractiveQAReader`) is at most `threshold`.
      0 is the textbook value; larger values abstain less.
    - `"score"`: an answer passes when its score is at least `threshold` (works with any reader, Haystack's
      stock `ExtractiveReader` included).

    The no-answer entry keeps the reader's score; its `meta` records the decision (`"answerable"`), the signal
    and the threshold.

    Usage example:
    ```python
    from haystack import ExtractedAnswer
    from components.no_answer_threshold import NoAnswerThreshold

    answers = [
        ExtractedAnswer(query="q", score=0.8, data="Paris", meta={"null_score_diff": -3.0}),
        ExtractedAnswer(query="q", score=0.1, data=None, meta={"null_score_diff": -3.0}),
    ]
    result = NoAnswerThreshold(threshold=0.0).run(answers=answers)
    assert result["answers"][0].data == "Paris"
    ```
    """

    def __init__(self, threshold: float = 0.0, signal: Signal = "null_score_diff") -> None:
        """
        Creates a NoAnswerThreshold.

        :param threshold: The decision threshold for `signal` (tune it with `extractive-qa tune-threshold`).
        :param signal: `"null_score_diff"` or `"score"`, see the class description.
        """
        if signal not in ("null_score_diff", "score"):
            raise ValueError(f"signal must be 'null_score_diff' or 'score', got {signal!r}")
        self.threshold = float(threshold)
        self.signal = signal

    def to_dict(self) -> dict[str, Any]:
        """
        Serializes the component to a dictionary.

        :returns: Dictionary with serialized data.
        """
        return default_to_dict(self, threshold=self.threshold, signal=self.signal)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NoAnswerThreshold:
        """
        Deserializes the component from a dictionary.

        :param data: Dictionary to deserialize from.
        :returns: Deserialized component.
        """
        return default_from_dict(cls, data)

    def passes(self, answer: ExtractedAnswer, threshold: float) -> bool:
        """Whether one extracted answer clears the threshold."""
        if self.signal == "score":
            return answer.score >= threshold
        diff = answer.meta.get("null_score_diff")
        if diff is None:
            raise ValueError(
                "signal 'null_score_diff' needs answers with meta['null_score_diff'] (use ExtractiveQAReader), "
                "or set signal: score"
            )
        return float(diff) <= threshold

    @component.output_types(answers=list[ExtractedAnswer])
    def run(self, answers: list[ExtractedAnswer], threshold: float | None = None) -> dict[str, list[ExtractedAnswer]]:
        """
        Orders the answers around the no-answer entry.

        :param answers: Answers with their no-answer entry, e.g. from `ExtractiveQAReader` or `AnswerDeduplicator`.
        :param threshold: Overrides the threshold for this run (`None` keeps the initialization value).
        :returns: A dictionary with `answers`: passing answers, the no-answer entry, then the other answers.
        """
        threshold = self.threshold if threshold is None else float(threshold)
        real = sorted((a for a in answers if a.data is not None), key=lambda a: a.score, reverse=True)
        given = next((a for a in answers if a.data is None), None)
        query = given.query if given else (real[0].query if real else "")
        passing = [a for a in real if self.passes(a, threshold)]
        failing = [a for a in real if not self.passes(a, threshold)]

        meta = dict(given.meta) if given else {}
        meta.update({"answerable": bool(passing), "signal": self.signal, "threshold": threshold})
        if given is not None:
            no_answer = replace(given, meta=meta)
        else:
            no_answer = ExtractedAnswer(query=query, score=0.0 if passing else 1.0, data=None, meta=meta)
        return {"answers": [*passing, no_answer, *failing]}
