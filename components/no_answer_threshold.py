"""Decides between the extracted answers and "no answer" with one tuned threshold."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Literal

from haystack import ExtractedAnswer, component, default_from_dict, default_to_dict

from extractive_qa.components.answerability_features import FEATURES as ANSWERABILITY_FEATURES
from extractive_qa.components.answerability_features import compute_features
from extractive_qa.components.no_answer_decision import SIGNALS, validate_threshold
from extractive_qa.components.utils import sigmoid

Signal = Literal["null_score_diff", "score", "calibrated"]


@component
class NoAnswerThreshold:
    """
    Turns a reader's scores and no-answer evidence into the final decision: answer, or no answer.

    An answer *passes* when its evidence clears the threshold; the answers that pass come first in descending
    score order, then the no-answer entry (`data=None`), then the answers that did not pass. So the first answer
    is either a real answer or the no-answer entry, which is the decision. Three signals are supported:

    - `"null_score_diff"` (default, the SQuAD 2.0 rule): an answer passes when its window's null logit minus its
      span logit (`answer.meta["null_score_diff"]`, reported by `ExtractiveQAReader`) is at most `threshold`.
      0 is the textbook value; larger values abstain less.
    - `"score"`: an answer passes when its score is at least `threshold` (works with any reader, Haystack's
      stock `ExtractiveReader` included).
    - `"calibrated"`: a small logistic answerability model, `p = sigmoid(intercept + sum(weight * feature))`,
      over features of the answer, the reader's no-answer evidence and the question's words (see
      `extractive_qa.components.answerability_features.FEATURES`); an answer
      passes when `p` is at least `threshold`. The coefficients are the `calibration` init parameter
      (`{"intercept": float, "weights": {feature: float}}`), fitted on labelled data by
      `extractive-qa tune-threshold --signal calibrated`, which writes them into the pipeline YAML.

    The no-answer entry keeps the reader's score; its `meta` records the decision (`"answerable"`), the signal
    and the threshold. With `"calibrated"`, every answer's `meta["answerable_probability"]` holds its `p`.

    Usage example:
    ```python
    from haystack import ExtractedAnswer
    from extractive_qa.components.no_answer_threshold import NoAnswerThreshold

    answers = [
        ExtractedAnswer(query="q", score=0.8, data="Paris", meta={"null_score_diff": -3.0}),
        ExtractedAnswer(query="q", score=0.1, data=None, meta={"null_score_diff": -3.0}),
    ]
    result = NoAnswerThreshold(threshold=0.0).run(answers=answers)
    assert result["answers"][0].data == "Paris"
    ```
    """

    def __init__(
        self,
        threshold: float = 0.0,
        signal: Signal = "null_score_diff",
        calibration: dict[str, Any] | None = None,
    ) -> None:
        """
        Creates a NoAnswerThreshold.

        :param threshold: The decision threshold for `signal` (tune it with `extractive-qa tune-threshold`).
        :param signal: `"null_score_diff"`, `"score"` or `"calibrated"`, see the class description.
        :param calibration: For `signal="calibrated"`: `{"intercept": float, "weights": {feature: float}}`, the
            answerability model's coefficients (features: the keys of `ANSWERABILITY_FEATURES`).
        """
        if signal not in SIGNALS:
            raise ValueError(f"signal must be one of {', '.join(map(repr, SIGNALS))}, got {signal!r}")
        if signal == "calibrated" and calibration is None:
            raise ValueError(
                "signal 'calibrated' needs calibration coefficients; fit them with "
                "`extractive-qa tune-threshold FILE --signal calibrated`"
            )
        self.threshold = validate_threshold(threshold, signal)
        self.signal = signal
        self.calibration = self._check_calibration(calibration) if calibration is not None else None

    @staticmethod
    def _check_calibration(calibration: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(calibration, dict) or not isinstance(calibration.get("weights"), dict):
            raise ValueError("calibration must be a mapping with 'intercept' and 'weights' (feature: weight)")
        unknown = sorted(set(calibration["weights"]) - set(ANSWERABILITY_FEATURES))
        if unknown:
            raise ValueError(
                f"unknown calibration feature(s) {', '.join(unknown)}; known: {', '.join(ANSWERABILITY_FEATURES)}"
            )
        try:
            intercept = float(calibration.get("intercept", 0.0))
            weights = {str(k): float(v) for k, v in calibration["weights"].items()}
        except (TypeError, ValueError) as error:
            raise ValueError(f"calibration coefficients must be numbers: {error}") from error
        if not all(math.isfinite(v) for v in [intercept, *weights.values()]):
            raise ValueError("calibration coefficients must be finite numbers")
        return {"intercept": intercept, "weights": weights}

    def to_dict(self) -> dict[str, Any]:
        """
        Serializes the component to a dictionary.

        :returns: Dictionary with serialized data.
        """
        if self.calibration is None:
            return default_to_dict(self, threshold=self.threshold, signal=self.signal)
        calibration = {"intercept": self.calibration["intercept"], "weights": dict(self.calibration["weights"])}
        return default_to_dict(self, threshold=self.threshold, signal=self.signal, calibration=calibration)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NoAnswerThreshold:
        """
        Deserializes the component from a dictionary.

        :param data: Dictionary to deserialize from.
        :returns: Deserialized component.
        """
        return default_from_dict(cls, data)

    def features(self, answer: ExtractedAnswer, answers: list[ExtractedAnswer]) -> dict[str, float]:
        """The calibration model's features of one answer (`answers`: all answers to its question)."""
        names = list(self.calibration["weights"] if self.calibration else ANSWERABILITY_FEATURES)
        return compute_features(answer, answers, names)

    def probability(self, answer: ExtractedAnswer, answers: list[ExtractedAnswer]) -> float:
        """The calibrated probability that `answer` should be given rather than "no answer"."""
        if self.calibration is None:
            raise ValueError("this NoAnswerThreshold has no calibration")
        z = self.calibration["intercept"] + sum(
            self.calibration["weights"][name] * value for name, value in self.features(answer, answers).items()
        )
        return sigmoid(z)

    def evidence(self, answer: ExtractedAnswer, answers: list[ExtractedAnswer] | None = None) -> float:
        """
        The value of the signal for one answer: its null_score_diff, its score, or its calibrated probability.

        An answer passes when this value is at most the threshold (`"null_score_diff"`) or at least it (others).
        """
        if self.signal == "score":
            return float(answer.score)
        if self.signal == "calibrated":
            return self.probability(answer, answers if answers is not None else [answer])
        diff = answer.meta.get("null_score_diff")
        if diff is None:
            raise ValueError(
                "signal 'null_score_diff' needs answers with meta['null_score_diff'] (use ExtractiveQAReader), "
                "or set signal: score"
            )
        return float(diff)

    def passes(self, answer: ExtractedAnswer, threshold: float, answers: list[ExtractedAnswer] | None = None) -> bool:
        """Whether one extracted answer clears the threshold (`answers`: all answers to its question)."""
        value = self.evidence(answer, answers)
        return value <= threshold if self.signal == "null_score_diff" else value >= threshold

    @component.output_types(answers=list[ExtractedAnswer])
    def run(self, answers: list[ExtractedAnswer], threshold: float | None = None) -> dict[str, list[ExtractedAnswer]]:
        """
        Orders the answers around the no-answer entry.

        :param answers: Answers with their no-answer entry, e.g. from `ExtractiveQAReader` or `AnswerDeduplicator`.
        :param threshold: Overrides the threshold for this run (`None` keeps the initialization value).
        :returns: A dictionary with `answers`: passing answers, the no-answer entry, then the other answers.
        """
        threshold = self.threshold if threshold is None else validate_threshold(threshold, self.signal)
        real = sorted((a for a in answers if a.data is not None), key=lambda a: a.score, reverse=True)
        given = next((a for a in answers if a.data is None), None)
        query = given.query if given else (real[0].query if real else "")
        if self.signal == "calibrated":
            real = [replace(a, meta={**a.meta, "answerable_probability": self.probability(a, answers)}) for a in real]
            passing = [a for a in real if a.meta["answerable_probability"] >= threshold]
            failing = [a for a in real if a.meta["answerable_probability"] < threshold]
        else:
            passing = [a for a in real if self.passes(a, threshold)]
            failing = [a for a in real if not self.passes(a, threshold)]

        meta = dict(given.meta) if given else {}
        meta.update({"answerable": bool(passing), "signal": self.signal, "threshold": threshold})
        if given is not None:
            no_answer = replace(given, meta=meta)
        else:
            no_answer = ExtractedAnswer(query=query, score=0.0 if passing else 1.0, data=None, meta=meta)
        return {"answers": [*passing, no_answer, *failing]}
