"""
No-answer threshold tuning: the threshold (and, for the `calibrated` signal, the answerability model) that
maximizes SQuAD F1 on labelled data, scored exactly as `NoAnswerThreshold` decides in the pipeline.

The search works on the reader outputs stored by an evaluation (`records.jsonl`): for every question, the
de-duplicated answers in the order `NoAnswerThreshold` considers them (score, descending) with each one's signal
value, and in open mode the passages it read. At a threshold the pipeline predicts the first answer that passes, or
"no answer"; F1 as a function of the threshold is a step function, and the sweep evaluates every step, so the
threshold found reproduces its F1 when written into the YAML. The decision's check of the question's terms
(`min_term_coverage`) is kept as the pipeline has it: answers whose passage fails it never pass, whatever the
threshold, and the threshold (and calibration) is tuned for the others.

Usage example:
```python
from extractive_qa.evaluation.tuning import tune
from extractive_qa.evaluation.squad_metric import load_squad
from extractive_qa.evaluation.records import load_records

dataset = load_squad("dev-v2.0-heldout.json")
records = {r["id"]: r for r in load_records("eval-results/heldout-reader/records.jsonl")}
result = tune(dataset, records, signal="calibrated")
print(result.threshold, result.f1, result.calibration)
```
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from haystack import Document, ExtractedAnswer

from extractive_qa.answers import percent, rule_text
from extractive_qa.components.no_answer_decision import min_confidence, threshold_for_confidence, threshold_of_key
from extractive_qa.components.no_answer_threshold import ANSWERABILITY_FEATURES, SIGNALS, NoAnswerThreshold
from extractive_qa.errors import TuningError
from extractive_qa.evaluation.decisions import (
    decision_key,
    ordered_answers,
    pipeline_predictions,
    stored_answers,
    stored_documents,
)
from extractive_qa.evaluation.squad_metric import SquadDataset, SquadQuestion, exact_match, f1
from extractive_qa.utils import write_text_atomically

# The features of the passages read (term coverage, retrieval rank and score, agreement): available to
# `--features`, but not fitted by default. With the decision's term check in place they lowered the cross-split
# open-mode F1 on the held-out sample (51.6 against 55.0 without them; docs/evaluation.md): the check already
# uses that evidence, and the extra weights overfit half of the articles.
RETRIEVAL_FEATURES: tuple[str, ...] = (
    "term_coverage",
    "missing_terms",
    "unmentioned_terms",
    "unmentioned_names",
    "retrieval_rank",
    "retrieval_score_ratio",
    "answer_support",
)
# The features the calibrated signal is fitted on by default.
DEFAULT_FEATURES: tuple[str, ...] = tuple(f for f in ANSWERABILITY_FEATURES if f not in RETRIEVAL_FEATURES)


# ---- predictions under a decision ---------------------------------------------------------------------------------


@dataclass
class StoredQuestion:
    """A labelled question with its stored answers, the passages it read (open mode) and the candidates in order."""

    question: SquadQuestion
    answers: list[ExtractedAnswer]
    documents: list[Document] | None
    ordered: list[ExtractedAnswer]


def _stored_questions(
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


# ---- the exact threshold sweep ------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """One question under one signal: its candidates' keys and scores, and the score of answering nothing."""

    keys: list[float]
    f1: list[float]
    exact: list[float]
    empty_f1: float
    empty_exact: float


def outcomes(dataset: SquadDataset, records: dict[str, dict[str, Any]], decision: NoAnswerThreshold) -> list[Outcome]:
    """The per-question outcomes the sweep needs, for the questions of `dataset` found in `records`."""
    found = []
    for stored in _stored_questions(dataset, records, decision):
        gold, ordered = stored.question.gold, stored.ordered
        found.append(
            Outcome(
                keys=[decision_key(decision, a, stored.answers, stored.documents) for a in ordered],
                f1=[max(f1(g, a.data or "") for g in gold) for a in ordered],
                exact=[float(max(exact_match(g, a.data or "") for g in gold)) for a in ordered],
                empty_f1=float(not stored.question.has_answer),
                empty_exact=float(not stored.question.has_answer),
            )
        )
    return found


@dataclass
class SweepResult:
    """The best threshold (in key units) and the scores it gives, in percent."""

    key: float
    f1: float
    exact: float
    total: int


def sweep(found: list[Outcome]) -> SweepResult:
    """
    Finds the threshold that maximizes total F1 (ties: higher exact match, then the lower threshold).

    Exact for the pipeline's rule "the first passing answer, else no answer": each question's prediction changes
    only where the threshold crosses one of its candidates' keys.
    """
    if not found:
        raise TuningError("no labelled questions to tune on")
    events: list[tuple[float, float, float]] = []
    base_f1 = base_exact = 0.0
    for outcome in found:
        base_f1 += outcome.empty_f1
        base_exact += outcome.empty_exact
        current = -1  # index of the candidate predicted; -1 is "no answer"
        for index in sorted(range(len(outcome.keys)), key=lambda i: (outcome.keys[i], i)):
            if current == -1 or index < current:
                old_f1 = outcome.empty_f1 if current == -1 else outcome.f1[current]
                old_exact = outcome.empty_exact if current == -1 else outcome.exact[current]
                events.append((outcome.keys[index], outcome.f1[index] - old_f1, outcome.exact[index] - old_exact))
                current = index
    events.sort(key=lambda e: e[0])
    best_total, best_exact = base_f1, base_exact
    best_key = events[0][0] - 1.0 if events else 0.0
    total_f1, total_exact = base_f1, base_exact
    position = 0
    while position < len(events):
        key = events[position][0]
        while position < len(events) and events[position][0] == key:
            total_f1 += events[position][1]
            total_exact += events[position][2]
            position += 1
        better = total_f1 > best_total + 1e-9
        if better or (abs(total_f1 - best_total) <= 1e-9 and total_exact > best_exact):
            following = events[position][0] if position < len(events) else key + 2.0
            best_total, best_exact, best_key = total_f1, total_exact, (key + following) / 2.0
    count = len(found)
    return SweepResult(key=best_key, f1=100.0 * best_total / count, exact=100.0 * best_exact / count, total=count)


# ---- the calibrated answerability model ---------------------------------------------------------------------------


def fit_logistic(
    x: np.ndarray, y: np.ndarray, weights: np.ndarray, l2: float = 1.0, iterations: int = 50
) -> tuple[float, np.ndarray]:
    """
    Weighted, L2-regularized logistic regression by Newton's method, on standardized features.

    :returns: `(intercept, coefficients)` for the raw (unstandardized) features.
    """
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    z = np.hstack([np.ones((x.shape[0], 1)), (x - mean) / scale])
    beta = np.zeros(z.shape[1])
    penalty = np.full(z.shape[1], l2)
    penalty[0] = 0.0  # the intercept is not shrunk
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ beta, -35, 35)))
        gradient = z.T @ (weights * (p - y)) + penalty * beta
        hessian = (z * (weights * p * (1 - p))[:, None]).T @ z + np.diag(penalty) + 1e-9 * np.eye(z.shape[1])
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    coefficients = beta[1:] / scale
    intercept = float(beta[0] - np.sum(beta[1:] * mean / scale))
    return intercept, coefficients


def fit_calibration(
    dataset: SquadDataset,
    records: dict[str, dict[str, Any]],
    features: tuple[str, ...] | list[str] = DEFAULT_FEATURES,
    l2: float = 1.0,
    base: NoAnswerThreshold | None = None,
) -> dict[str, Any]:
    """
    Fits the `calibrated` signal's answerability model on labelled questions (the top candidate of each that
    `base`'s check of the question's terms lets through).

    Each question contributes its top answer: the target is whether giving it beats answering "no answer", weighted
    by by how much (its F1 for an answerable question; 1 for an unanswerable one), so the model learns the F1 gain
    of answering.

    :returns: The `calibration` init parameter of `NoAnswerThreshold`.
    """
    unknown = [f for f in features if f not in ANSWERABILITY_FEATURES]
    if unknown:
        raise TuningError(f"unknown feature(s) {', '.join(unknown)}; known: {', '.join(ANSWERABILITY_FEATURES)}")
    probe = (base or NoAnswerThreshold()).with_rule(
        0.5, "calibrated", {"intercept": 0.0, "weights": dict.fromkeys(features, 0.0)}
    )
    rows_x: list[list[float]] = []
    targets: list[float] = []
    weights: list[float] = []
    for stored in _stored_questions(dataset, records, probe):
        question = stored.question
        if not stored.ordered:
            continue
        top = stored.ordered[0]
        gain = max(f1(g, top.data or "") for g in question.gold) - float(not question.has_answer)
        if gain == 0:
            continue
        values = probe.features(top, stored.answers, stored.documents)
        rows_x.append([values[name] for name in features])
        targets.append(1.0 if gain > 0 else 0.0)
        weights.append(abs(gain))
    if len(set(targets)) < 2:
        raise TuningError("fitting the calibrated signal needs both answerable and unanswerable questions")
    intercept, coefficients = fit_logistic(np.array(rows_x), np.array(targets), np.array(weights), l2=l2)
    return {
        "intercept": round(intercept, 6),
        "weights": {name: round(float(c), 6) for name, c in zip(features, coefficients, strict=True)},
    }


# ---- tuning -------------------------------------------------------------------------------------------------------


@dataclass
class TuningResult:
    """A tuned decision rule with its F1 and exact match (percent) on the questions it was tuned on."""

    signal: str
    threshold: float
    f1: float
    exact: float
    questions: int
    calibration: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    base: NoAnswerThreshold | None = None
    """The decision tuned (its check of the question's terms is kept)."""

    def decision(self) -> NoAnswerThreshold:
        """The `NoAnswerThreshold` this result describes."""
        return (self.base or NoAnswerThreshold()).with_rule(self.threshold, self.signal, self.calibration)

    def to_dict(self) -> dict[str, Any]:
        data = {
            "signal": self.signal,
            "threshold": self.threshold,
            "f1": round(self.f1, 4),
            "exact": round(self.exact, 4),
            "questions": self.questions,
        }
        if self.calibration is not None:
            data["calibration"] = self.calibration
        data.update(self.extra)
        return data


def tune(
    dataset: SquadDataset,
    records: dict[str, dict[str, Any]],
    signal: str = "null_score_diff",
    features: tuple[str, ...] | list[str] = DEFAULT_FEATURES,
    l2: float = 1.0,
    base: NoAnswerThreshold | None = None,
) -> TuningResult:
    """
    Finds the decision rule for `signal` that maximizes F1 on the labelled questions of `dataset`.

    :param dataset: The labelled questions (only those with a record are used).
    :param records: Question id -> stored reader output (`records.jsonl` of an evaluation).
    :param signal: `"null_score_diff"`, `"score"` or `"calibrated"` (fits the answerability model first).
    :param features: The calibrated model's features.
    :param l2: The calibrated model's L2 penalty (on standardized features).
    :param base: The pipeline's current decision: its check of the question's terms is kept (default: none).
    """
    if signal not in SIGNALS:
        raise TuningError(f"signal must be one of {', '.join(SIGNALS)}, got {signal!r}")
    base = base or NoAnswerThreshold()
    calibration = fit_calibration(dataset, records, features, l2=l2, base=base) if signal == "calibrated" else None
    decision = base.with_rule(threshold_for_confidence(signal, 0.5), signal, calibration)  # 50%: 0 or 0.5
    threshold, best = best_threshold(dataset, records, decision)
    return TuningResult(signal, threshold, best.f1, best.exact, best.total, calibration, base=base)


def best_threshold(
    dataset: SquadDataset, records: dict[str, dict[str, Any]], decision: NoAnswerThreshold
) -> tuple[float, SweepResult]:
    """
    The threshold of `decision`'s signal (and calibration, kept) that maximizes F1 on the stored questions, and the
    scores it gives: what `tune-threshold` writes and `eval` reports as the best threshold.
    """
    best = sweep(outcomes(dataset, records, decision))
    threshold = round(threshold_of_key(decision.signal, best.key), 6)
    # rounding must not move the threshold across a step: check it reproduces the figure
    rounded = score_decision(dataset, records, decision.with_rule(threshold))
    if rounded["f1"] + 1e-6 < best.f1:
        threshold = threshold_of_key(decision.signal, best.key)
    return threshold, best


def score_decision(
    dataset: SquadDataset, records: dict[str, dict[str, Any]], decision: NoAnswerThreshold
) -> dict[str, float]:
    """EM and F1 (percent, overall / HasAns / NoAns) of the pipeline's decisions on the stored questions."""
    from extractive_qa.evaluation.squad_metric import evaluate

    subset = dataset.subset([q.id for q in dataset.questions if q.id in records])
    predictions, _, _ = pipeline_predictions(subset, records, decision, decision.threshold)
    return evaluate(subset, {q.id: p for q, p in zip(subset.questions, predictions, strict=True)})


def halves(dataset: SquadDataset) -> tuple[SquadDataset, SquadDataset]:
    """The articles at even / odd positions of the sorted titles (the SCORES.md split)."""
    return dataset.half("even"), dataset.half("odd")


def cross_split(
    dataset: SquadDataset,
    records: dict[str, dict[str, Any]],
    signal: str,
    features: tuple[str, ...] | list[str] = DEFAULT_FEATURES,
    l2: float = 1.0,
    base: NoAnswerThreshold | None = None,
) -> dict[str, Any]:
    """
    Tunes on one half of the articles and scores on the other, both ways round (`base`: see `tune`).

    :returns: Per direction the tuned rule and its scores on the other half, their average F1 / EM, and the
        pooled scores (every question scored by the rule tuned on the half it is not in).
    """
    from extractive_qa.evaluation.squad_metric import evaluate

    half_a, half_b = halves(dataset)
    runs = []
    pooled: dict[str, str] = {}
    for name, train, test in (("A->B", half_a, half_b), ("B->A", half_b, half_a)):
        tuned = tune(train, records, signal, features, l2, base=base)
        test = test.subset([q.id for q in test.questions if q.id in records])
        decision = tuned.decision()
        predictions, _, _ = pipeline_predictions(test, records, decision, decision.threshold)
        answers = {q.id: p for q, p in zip(test.questions, predictions, strict=True)}
        pooled.update(answers)
        runs.append({"direction": name, "tuned": tuned.to_dict(), "scored": evaluate(test, answers)})
    return {
        "signal": signal,
        "runs": runs,
        "average_f1": sum(r["scored"]["f1"] for r in runs) / len(runs),
        "average_exact": sum(r["scored"]["exact"] for r in runs) / len(runs),
        "pooled": evaluate(dataset.subset(list(pooled)), pooled),
    }


# ---- writing the tuned rule into the pipeline YAML ----------------------------------------------------------------

_COMPONENT_TYPE = "extractive_qa.components.no_answer_threshold.NoAnswerThreshold"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _block_end(lines: list[str], start: int, indent: int) -> int:
    """The index after the last line that belongs to the block opened at `start` (deeper-indented or blank)."""
    end = start + 1
    while end < len(lines):
        stripped = lines[end].strip()
        if stripped and not stripped.startswith("#") and _indent(lines[end]) <= indent:
            break
        end += 1
    while end > start + 1 and not lines[end - 1].strip():  # trailing blank lines belong to what follows
        end -= 1
    return end


#: The comment on a written threshold line, followed by the confidence an answer needs.
CONFIDENCE_COMMENT = "an answer needs a confidence of at least"


def _format_number(value: float) -> str:
    return repr(float(value))


def set_threshold_in_yaml(text: str, name: str, parameters: dict[str, Any]) -> str:
    """
    Returns the YAML text with the `NoAnswerThreshold` component `name`'s parameters replaced, comments kept.

    Only the lines of `threshold:`, `signal:` and `calibration:` (with its nested block) under that component's
    `init_parameters:` change; missing keys are added, and `calibration` is removed when `parameters` has none.
    """
    lines = text.splitlines(keepends=True)
    head = next(
        (i for i, line in enumerate(lines) if re.match(rf"^(\s+){re.escape(name)}:\s*(#.*)?$", line.rstrip("\n"))),
        None,
    )
    if head is None:
        raise TuningError(f"the pipeline YAML has no component '{name}'")
    component_end = _block_end(lines, head, _indent(lines[head]))
    init = next(
        (i for i in range(head + 1, component_end) if re.match(r"^\s+init_parameters:\s*(#.*)?$", lines[i].rstrip())),
        None,
    )
    if init is None:
        raise TuningError(
            f"cannot edit component '{name}': its init_parameters are not a block mapping (write them one per line)"
        )
    init_indent = _indent(lines[init])
    init_end = _block_end(lines, init, init_indent)
    body = [i for i in range(init + 1, init_end) if lines[i].strip() and not lines[i].lstrip().startswith("#")]
    key_indent = _indent(lines[body[0]]) if body else init_indent + 2
    pad = " " * key_indent
    newline = "\n"

    def find(key: str) -> int | None:
        for i in range(init + 1, init_end):
            if _indent(lines[i]) == key_indent and re.match(rf"^\s*{key}:", lines[i]):
                return i
        return None

    def scalar_line(old: str | None, key: str, value: str) -> str:
        comment = ""
        if old is not None and " #" in old:
            comment = "  #" + old.split(" #", 1)[1].rstrip("\n")
        if key == "threshold" and (not comment or CONFIDENCE_COMMENT in comment):
            # the threshold in the unit people see (ask, the page, eval); a comment of the user's own stays
            needed = percent(min_confidence(str(parameters["signal"]), float(parameters["threshold"])))
            comment = f"  # {CONFIDENCE_COMMENT} {needed}"
        return f"{pad}{key}: {value}{comment}{newline}"

    replacements: dict[int, list[str]] = {}
    removals: set[int] = set()
    additions: list[str] = []
    for key, value in (("signal", str(parameters["signal"])), ("threshold", _format_number(parameters["threshold"]))):
        at = find(key)
        if at is None:
            additions.append(scalar_line(None, key, value))
        else:
            replacements[at] = [scalar_line(lines[at], key, value)]
    calibration = parameters.get("calibration")
    at = find("calibration")
    block: list[str] = []
    if calibration is not None:
        block.append(f"{pad}calibration:{newline}")
        block.append(f"{pad}  intercept: {_format_number(calibration['intercept'])}{newline}")
        block.append(f"{pad}  weights:{newline}")
        for feature, weight in calibration["weights"].items():
            block.append(f"{pad}    {feature}: {_format_number(weight)}{newline}")
    if at is not None:
        end = _block_end(lines, at, key_indent)
        replacements[at] = block
        removals.update(range(at + 1, end))
    elif block:
        additions.extend(block)
    output: list[str] = []
    for i, line in enumerate(lines):
        if i in removals:
            continue
        if i in replacements:
            output.extend(replacements[i])
        else:
            output.append(line)
        if i == init_end - 1 or (init_end == init + 1 and i == init):
            if not line.endswith("\n"):
                output[-1] = output[-1] + newline
            output.extend(additions)
    return "".join(output)


def write_tuned_yaml(source: Path, destination: Path, result: TuningResult, name: str = "threshold") -> None:
    """
    Writes `source` with the tuned rule into `destination` (may be the same file), atomically, after checking that
    the new YAML loads as a pipeline and holds exactly the tuned parameters.
    """
    from extractive_qa.app.pipeline_loader import build_pipeline

    try:
        text = source.read_text(encoding="utf-8")
    except OSError as error:
        raise TuningError(f"cannot read the pipeline YAML {source}: {error.strerror or error}") from error
    component = (yaml.safe_load(text) or {}).get("components", {}).get(name)
    if not isinstance(component, dict) or component.get("type") != _COMPONENT_TYPE:
        raise TuningError(f"{source} has no NoAnswerThreshold component '{name}'")
    parameters = result.decision().to_dict()["init_parameters"]
    updated = set_threshold_in_yaml(text, name, parameters)
    data = yaml.safe_load(updated)
    written = data["components"][name].get("init_parameters") or {}
    # the YAML's other settings of the decision (its check of the question's terms) stay as they were
    try:
        current = NoAnswerThreshold.from_dict(
            {"type": _COMPONENT_TYPE, "init_parameters": component.get("init_parameters") or {}}
        )
    except ValueError:
        current = NoAnswerThreshold()
    expected = current.with_rule(result.threshold, result.signal, result.calibration)
    if NoAnswerThreshold.from_dict({"type": _COMPONENT_TYPE, "init_parameters": written}).to_dict() != (
        expected.to_dict()
    ):
        raise TuningError(f"editing {source} did not give the tuned parameters; edit it by hand: {parameters}")
    try:
        build_pipeline(data)
    except Exception as error:
        raise TuningError(f"the edited pipeline YAML does not load: {error}") from error
    write_text_atomically(destination, updated)


def describe(result: TuningResult) -> str:
    """One line for people."""
    rule = f"answer when the {rule_text(result.signal, result.threshold)}"
    coverage = result.decision().min_term_coverage
    if coverage:
        rule += f", and the passage mentions >= {coverage:g} of the question's terms (kept)"
    return f"{rule}: F1 {result.f1:.2f}, EM {result.exact:.2f} on {result.questions} questions"


__all__ = [
    "DEFAULT_FEATURES",
    "RETRIEVAL_FEATURES",
    "Outcome",
    "SweepResult",
    "TuningResult",
    "best_threshold",
    "cross_split",
    "describe",
    "fit_calibration",
    "fit_logistic",
    "halves",
    "outcomes",
    "score_decision",
    "set_threshold_in_yaml",
    "sweep",
    "tune",
    "write_tuned_yaml",
]
