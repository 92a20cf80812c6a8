"""Decides between the extracted answers and "no answer": the reader's evidence, one tuned threshold, and whether the
passages read mention what the question asks about."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Literal

from haystack import Document, ExtractedAnswer, component, default_from_dict, default_to_dict

from extractive_qa.components.answerability_features import FEATURES as ANSWERABILITY_FEATURES
from extractive_qa.components.answerability_features import compute_features
from extractive_qa.components.no_answer_decision import SIGNALS, validate_threshold
from extractive_qa.components.no_answer_decision import clears as value_clears
from extractive_qa.components.question_terms import Coverage, Term, coverage, document_text
from extractive_qa.components.utils import sigmoid

Signal = Literal["null_score_diff", "score", "calibrated"]


@component
class NoAnswerThreshold:
    """
    Turns a reader's scores and no-answer evidence, and the passages read, into the final decision: answer, or no
    answer, and why.

    An answer *passes* when its evidence clears the threshold and its passage mentions enough of what the question
    asks about; the answers that pass come first in descending score order, then the no-answer entry
    (`data=None`), then the answers that did not pass. So the first answer is either a real answer or the no-answer
    entry, which is the decision. Three signals weigh the reader's evidence:

    - `"null_score_diff"` (default, the SQuAD 2.0 rule): an answer passes when its window's null logit minus its
      span logit (`answer.meta["null_score_diff"]`, reported by `ExtractiveQAReader`) is at most `threshold`.
      0 is the textbook value; larger values abstain less.
    - `"score"`: an answer passes when its score is at least `threshold` (works with any reader, Haystack's
      stock `ExtractiveReader` included).
    - `"calibrated"`: a small logistic answerability model, `p = sigmoid(intercept + sum(weight * feature))`,
      over features of the answer, the reader's no-answer evidence, the question's words and the passages read
      (see `extractive_qa.components.answerability_features.FEATURES`); an answer
      passes when `p` is at least `threshold`. The coefficients are the `calibration` init parameter
      (`{"intercept": float, "weights": {feature: float}}`), fitted on labelled data by
      `extractive-qa tune-threshold --signal calibrated`, which writes them into the pipeline YAML.

    **The question's terms** (`min_term_coverage`): a reader scores a span against its own passage only, so over a
    collection a confident span in a passage about something else (a question about an island the documents never
    mention, answered from a passage about Fresno) would become the answer. The question's terms are its words less
    function words, stemmed (`extractive_qa.components.question_terms`); names (capitalized or numeric) weigh
    `name_weight`, the others 1. An answer passes only when its passage mentions at least `min_term_coverage` of
    that weight. This evidence depends on the texts alone, not on the model's logits or a store's BM25 scale, so
    one setting holds for every model and store. 0 turns it off.

    **A question that does not say what it asks about** (`min_question_weight`): over a collection, "What is it?"
    or "Who won?" names nothing that tells one passage from another (its terms weigh less than
    `min_question_weight`: none, or one word that is not a name), so whatever span the reader likes best in
    whichever passage the retriever ranked first would be "the answer". When the passages read were found by a
    retriever (they carry its score), such a question gets no answer ("the question does not say what it asks
    about"). Over given texts (documents without a retrieval score) the texts say what it is about, and the
    question is answered from them. It applies only while the term check is on; 0 turns it off.

    The check needs `documents`, the passages read (the retriever's output; the given texts when answering over
    texts): a term that none of them mentions is named in the reason. Without them there is no check: each answer
    is judged against its own passage by the reader alone (the model card's procedure, `eval --mode reader`).

    The no-answer entry keeps the reader's score; its `meta` records the decision (`"answerable"`), the signal and
    the threshold, and when the decision is no answer, `meta["reason"]`: why, in one short phrase ("no passage
    mentions Veltmark", "the best candidate is below the threshold"). Answers that did not pass carry their own
    `meta["reason"]`. Every answer's `meta["term_coverage"]` holds its passage's share of the question's terms
    (and `meta["covers_question"]` whether that is enough, when checked); with `"calibrated"`,
    `meta["answerable_probability"]` holds its `p`.

    Usage example:
    ```python
    from haystack import Document, ExtractedAnswer
    from extractive_qa.components.no_answer_threshold import NoAnswerThreshold

    fresno = Document(content="Fresno is served by Fresno Yosemite International Airport.")
    answers = [
        ExtractedAnswer(query="Which airport serves Veltmark?", score=0.8, data="Fresno Yosemite International Airport",
                        document=fresno, meta={"null_score_diff": -3.0}),
        ExtractedAnswer(query="Which airport serves Veltmark?", score=0.1, data=None, meta={"null_score_diff": -3.0}),
    ]
    decision = NoAnswerThreshold(threshold=0.0, min_term_coverage=0.5)
    result = decision.run(answers=answers, documents=[fresno])
    assert result["answers"][0].data is None
    print(result["answers"][0].meta["reason"])  # no passage mentions Veltmark
    ```
    """

    def __init__(
        self,
        threshold: float = 0.0,
        signal: Signal = "null_score_diff",
        calibration: dict[str, Any] | None = None,
        min_term_coverage: float = 0.0,
        name_weight: float = 2.0,
        min_question_weight: float = 2.0,
    ) -> None:
        """
        Creates a NoAnswerThreshold.

        :param threshold: The decision threshold for `signal` (tune it with `extractive-qa tune-threshold`).
        :param signal: `"null_score_diff"`, `"score"` or `"calibrated"`, see the class description.
        :param calibration: For `signal="calibrated"`: `{"intercept": float, "weights": {feature: float}}`, the
            answerability model's coefficients (features: the keys of `ANSWERABILITY_FEATURES`).
        :param min_term_coverage: The weighted share of the question's terms an answer's passage must mention, from
            0 (off) to 1.
        :param name_weight: The weight of a name term (capitalized or numeric) against 1 for other terms.
        :param min_question_weight: Over retrieved passages, with the term check on: the least total weight of the
            question's terms for an answer (2: one name or two other words); 0 turns it off.
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
        self.min_term_coverage = _number_in(min_term_coverage, "min_term_coverage", 0.0, 1.0)
        self.name_weight = _number_in(name_weight, "name_weight", 0.0, 100.0)
        self.min_question_weight = _number_in(min_question_weight, "min_question_weight", 0.0, 100.0)

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
        parameters: dict[str, Any] = {"threshold": self.threshold, "signal": self.signal}
        if self.calibration is not None:
            parameters["calibration"] = {
                "intercept": self.calibration["intercept"],
                "weights": dict(self.calibration["weights"]),
            }
        parameters["min_term_coverage"] = self.min_term_coverage
        parameters["name_weight"] = self.name_weight
        parameters["min_question_weight"] = self.min_question_weight
        return default_to_dict(self, **parameters)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NoAnswerThreshold:
        """
        Deserializes the component from a dictionary.

        :param data: Dictionary to deserialize from.
        :returns: Deserialized component.
        """
        return default_from_dict(cls, data)

    def with_rule(
        self, threshold: float | None = None, signal: str | None = None, calibration: dict[str, Any] | None = None
    ) -> NoAnswerThreshold:
        """This decision with another threshold, signal or calibration (the term settings kept)."""
        signal = signal or self.signal
        return NoAnswerThreshold(
            threshold=self.threshold if threshold is None else threshold,
            signal=signal,  # type: ignore[arg-type]
            calibration=calibration if calibration is not None or signal != self.signal else self.calibration,
            min_term_coverage=self.min_term_coverage,
            name_weight=self.name_weight,
            min_question_weight=self.min_question_weight,
        )

    # ---- evidence ---------------------------------------------------------------------------------------------

    def term_coverage(self, answer: ExtractedAnswer, documents: list[Document] | None = None) -> Coverage:
        """How the answer's passage covers the question's terms (`documents`: the passages read)."""
        passage = _passage_text(answer)
        others = [document_text(d) for d in documents or []]
        return coverage(answer.query or "", passage, others, self.name_weight)

    def features(
        self, answer: ExtractedAnswer, answers: list[ExtractedAnswer], documents: list[Document] | None = None
    ) -> dict[str, float]:
        """The calibration model's features of one answer (`answers`: all answers to its question)."""
        names = list(self.calibration["weights"] if self.calibration else ANSWERABILITY_FEATURES)
        return compute_features(answer, answers, names, documents)

    def probability(
        self, answer: ExtractedAnswer, answers: list[ExtractedAnswer], documents: list[Document] | None = None
    ) -> float:
        """The calibrated probability that `answer` should be given rather than "no answer"."""
        if self.calibration is None:
            raise ValueError("this NoAnswerThreshold has no calibration")
        z = self.calibration["intercept"] + sum(
            self.calibration["weights"][name] * value
            for name, value in self.features(answer, answers, documents).items()
        )
        return sigmoid(z)

    def evidence(
        self,
        answer: ExtractedAnswer,
        answers: list[ExtractedAnswer] | None = None,
        documents: list[Document] | None = None,
    ) -> float:
        """
        The value of the signal for one answer: its null_score_diff, its score, or its calibrated probability.

        An answer passes when this value is at most the threshold (`"null_score_diff"`) or at least it (others),
        and its passage covers the question's terms (`covered`).
        """
        if self.signal == "score":
            return float(answer.score)
        if self.signal == "calibrated":
            return self.probability(answer, answers if answers is not None else [answer], documents)
        diff = answer.meta.get("null_score_diff")
        if diff is None:
            raise ValueError(
                "signal 'null_score_diff' needs answers with meta['null_score_diff'] (use ExtractiveQAReader), "
                "or set signal: score"
            )
        return float(diff)

    def checks_terms(self, documents: list[Document] | None) -> bool:
        """Whether the question's terms are checked: the check is on and the passages read are known."""
        return self.min_term_coverage > 0.0 and documents is not None

    def says_too_little(self, found: Coverage, documents: list[Document] | None) -> bool:
        """Whether the question names too little to be answered from retrieved passages (`min_question_weight`)."""
        return (
            self.checks_terms(documents)
            and found.weight < self.min_question_weight - 1e-9
            and any(getattr(d, "score", None) is not None for d in documents or [])
        )

    def covers(self, found: Coverage, documents: list[Document] | None) -> bool:
        """Whether a passage's coverage of the question's terms lets its answer through (always, when not checked)."""
        if not self.checks_terms(documents):
            return True
        return found.share >= self.min_term_coverage - 1e-9 and not self.says_too_little(found, documents)

    def covered(self, answer: ExtractedAnswer, documents: list[Document] | None = None) -> bool:
        """Whether the answer's passage mentions enough of the question's terms (always, when not checked)."""
        if not self.checks_terms(documents):
            return True
        return self.covers(self.term_coverage(answer, documents), documents)

    def clears(self, value: float, threshold: float) -> bool:
        """Whether a signal value clears a threshold."""
        return value_clears(self.signal, value, threshold)

    def passes(
        self,
        answer: ExtractedAnswer,
        threshold: float,
        answers: list[ExtractedAnswer] | None = None,
        documents: list[Document] | None = None,
    ) -> bool:
        """Whether one extracted answer passes (`answers`: all answers to its question; `documents`: read)."""
        return self.covered(answer, documents) and self.clears(self.evidence(answer, answers, documents), threshold)

    # ---- the decision -----------------------------------------------------------------------------------------

    @component.output_types(answers=list[ExtractedAnswer])
    def run(
        self,
        answers: list[ExtractedAnswer],
        threshold: float | None = None,
        documents: list[Document] | None = None,
    ) -> dict[str, list[ExtractedAnswer]]:
        """
        Orders the answers around the no-answer entry.

        :param answers: Answers with their no-answer entry, e.g. from `ExtractiveQAReader` or `AnswerDeduplicator`.
        :param threshold: Overrides the threshold for this run (`None` keeps the initialization value).
        :param documents: The passages read (the retriever's output), for the question's terms; optional.
        :returns: A dictionary with `answers`: passing answers, the no-answer entry, then the other answers.
        """
        threshold = self.threshold if threshold is None else validate_threshold(threshold, self.signal)
        real = sorted((a for a in answers if a.data is not None), key=lambda a: a.score, reverse=True)
        given = next((a for a in answers if a.data is None), None)
        query = given.query if given else (real[0].query if real else "")
        read = _passages_read(real, documents)
        passing: list[ExtractedAnswer] = []
        failing: list[ExtractedAnswer] = []
        first_failure: tuple[Coverage, bool] | None = None
        for answer in real:
            found = self.term_coverage(answer, read)
            meta = {**answer.meta, "term_coverage": round(found.share, 4)}
            if self.signal == "calibrated":
                meta["answerable_probability"] = self.probability(answer, answers, documents)
                value = meta["answerable_probability"]
            else:
                value = self.evidence(answer, answers, documents)
            covered = self.covers(found, documents)
            if self.checks_terms(documents):
                meta["covers_question"] = covered
            if covered and self.clears(value, threshold):
                passing.append(replace(answer, meta=meta))
                continue
            meta["reason"] = VAGUE if self.says_too_little(found, documents) else _failure(found, covered)
            failing.append(replace(answer, meta=meta))
            if first_failure is None:
                first_failure = (found, covered)

        meta = dict(given.meta) if given else {}
        meta.update({"answerable": bool(passing), "signal": self.signal, "threshold": threshold})
        meta.pop("reason", None)
        if not passing:
            meta["reason"] = self._no_answer_reason(query, read, documents, first_failure)
        if given is not None:
            no_answer = replace(given, meta=meta)
        else:
            no_answer = ExtractedAnswer(query=query, score=0.0 if passing else 1.0, data=None, meta=meta)
        return {"answers": [*passing, no_answer, *failing]}

    def _no_answer_reason(
        self,
        query: str,
        read: list[Document],
        documents: list[Document] | None,
        first_failure: tuple[Coverage, bool] | None,
    ) -> str:
        """Why nothing passed, in one short phrase."""
        if first_failure is not None and self.says_too_little(first_failure[0], documents):
            return VAGUE
        if first_failure is None:
            if documents is not None and not documents:
                return "no passage matches the question"
            unmentioned = coverage(query, "", [document_text(d) for d in read], self.name_weight).unmentioned
            if unmentioned and self.checks_terms(documents):
                return f"no passage mentions {_listed(unmentioned)}"
            return "no answer was found in the passages"
        found, covered = first_failure
        if not covered:
            if found.unmentioned:
                return f"no passage mentions {_listed(found.unmentioned)}"
            return f"the best candidate's passage does not mention {_listed(found.missing)}"
        return "the best candidate is below the threshold"


VAGUE = "the question does not say what it asks about"


def _number_in(value: Any, name: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a number from {low:g} to {high:g}, got {value!r}")
    if not low <= float(value) <= high:
        raise ValueError(f"{name} must be from {low:g} to {high:g}, got {value!r}")
    return float(value)


def _passage_text(answer: ExtractedAnswer) -> str:
    if answer.document is not None and answer.document.content:
        return document_text(answer.document)
    return answer.context or answer.data or ""


def _passages_read(real: list[ExtractedAnswer], documents: list[Document] | None) -> list[Document]:
    """The passages read: the given documents, else the answers' own passages."""
    if documents is not None:
        return list(documents)
    seen: dict[str, Document] = {}
    for answer in real:
        if answer.document is not None:
            seen.setdefault(answer.document.id, answer.document)
    return list(seen.values())


def _listed(terms: tuple[Term, ...], most: int = 3) -> str:
    """The terms for people: the names among them when there are any (they say what is asked about), at most 3."""
    names = [t for t in terms if t.name]
    words = [t.text for t in (names or list(terms))[:most]]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def _failure(found: Coverage, covered: bool) -> str:
    """Why one answer did not pass."""
    if not covered:
        return f"its passage does not mention {_listed(found.missing)}"
    return "below the threshold"
