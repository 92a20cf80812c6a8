"""
The application's view of a pipeline result: answers people and JSON clients can read.

`QAResult` and its `Answer`s are the one answer object every way in shows: `extractive-qa ask` (and `--json`), the
Python API, the HTTP JSON, the web page and the MCP tool. Besides the pipeline's span, score, passage and offsets,
each answer carries

- `answer_id`: a stable id of the answer to this question (the page's feedback names it);
- `page_number`: the page the answer span stands on, in PDF documents, also when its passage
  crosses a page break;
- `confidence` (0 to 1) and `confidence_basis`: the calibrated answerability probability where the pipeline's
  no-answer decision is calibrated (`"calibrated"`), else the model's own odds of this span against "no answer",
  `sigmoid(-null_score_diff)` (`"null_score"`), else (and under the decision's `score` signal) the reader's score
  (`"score"`). The no-answer threshold is shown in the same unit: `min_confidence` turns a decision's threshold
  into the confidence an answer needs, `threshold_for_confidence` back;
- `below_threshold`: the answer did not clear the no-answer threshold (it is listed after the no-answer entry);
- `reason`: on the no-answer entry, why the decision is "no answer", in one short phrase ("no passage mentions
  Veltmark", "the best candidate is below the threshold"); on an answer below the threshold, why it did not pass.

Answers are listed in one order everywhere: those that cleared the threshold by their confidence, highest first,
then the no-answer entry, then the candidates below the threshold, again by confidence.

Usage example:
```python
from haystack import Document, ExtractedAnswer

from extractive_qa.answers import QAResult

passage = Document(content="Page one.\\fThe engine weighs 40 tonnes.", meta={"file_name": "a.pdf", "page_number": 2})
span = ExtractedAnswer(query="q", score=0.7, data="40 tonnes", document=passage,
                       document_offset=ExtractedAnswer.Span(28, 37), meta={"null_score_diff": -3.0})
result = QAResult.from_extracted("How heavy is the engine?", [span])
print(result.best.page_number, round(result.best.confidence, 2))  # 2 0.95
```
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from haystack import ExtractedAnswer

from extractive_qa.components.no_answer_decision import confidence, min_confidence
from extractive_qa.document_types import is_paged
from extractive_qa.utils import json_safe, printable

ConfidenceBasis = Literal["calibrated", "null_score", "score"]


def answer_id(question: str, document_id: str | None, start: int | None, end: int | None) -> str:
    """The stable id of an answer span to a question: the same question and span always get the same id."""
    key = "\x1f".join((question, str(document_id), str(start), str(end)))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


def span_page(passage_content: str, passage_page: int, position: int) -> int:
    """
    The page a character of a passage stands on.

    Haystack's splitters give a passage the page its text ends on (`meta["page_number"]`, form feeds `\\f` separate
    pages); the page of `position` is that page less the page breaks after it.
    """
    trailing = len(passage_content) - len(passage_content.rstrip("\f"))
    breaks_after = passage_content[position:].count("\f") - trailing
    return max(1, passage_page - max(0, breaks_after))


def confidence_of(answer: ExtractedAnswer, signal: str | None = None) -> tuple[float | None, ConfidenceBasis | None]:
    """
    An extracted answer's confidence and its basis (see the module description); the no-answer entry's is `None`.

    :param signal: The no-answer decision's signal, when known: under `score` the confidence is the score, the
        value the threshold is compared with.
    """
    if answer.data is None:
        return None, None
    if signal == "score":
        return float(answer.score), "score"
    meta = answer.meta or {}
    probability = meta.get("answerable_probability")
    if isinstance(probability, (int, float)) and math.isfinite(probability):
        return float(probability), "calibrated"
    diff = meta.get("null_score_diff")
    if isinstance(diff, (int, float)) and math.isfinite(diff):
        return confidence("null_score_diff", float(diff)), "null_score"
    return float(answer.score), "score"


def rule_text(signal: str, threshold: float) -> str:
    """A decision's threshold for people, in the unit of the confidence shown, with the raw value for the YAML."""
    raw = {"null_score_diff": "null-score difference <=", "score": "score >=", "calibrated": "probability >="}
    return f"confidence >= {percent(min_confidence(signal, threshold))} ({raw.get(signal, signal)} {threshold:g})"


def _described(description: str, examples: list[Any] | None = None) -> dict[str, Any]:
    """A dataclass field's metadata: its description for people and schemas, and example values where they help."""
    return {"description": description, **({"examples": examples} if examples else {})}


def shown_order(answers: list[Answer]) -> list[Answer]:
    """
    The answers in the order every interface shows them: those that cleared the threshold by confidence (highest
    first), the no-answer entry, then those below the threshold by confidence (ties keep the pipeline's order).
    """

    def key(answer: Answer) -> float:
        return -(answer.confidence if answer.confidence is not None else answer.score)

    passing = sorted((a for a in answers if not a.is_no_answer and not a.below_threshold), key=key)
    entries = [a for a in answers if a.is_no_answer]
    below = sorted((a for a in answers if not a.is_no_answer and a.below_threshold), key=key)
    return [*passing, *entries, *below]


@dataclass
class Answer:
    """
    One answer span, or the no-answer entry (`text is None`).

    Each field's `metadata["description"]` says what it holds: the one description of the field, which the HTTP
    schema (`extractive_qa.http.models.AnswerModel`, built from these fields), the MCP tool's output schema and the
    OpenAPI page show.
    """

    text: str | None = field(
        metadata=_described("The answer span, exactly as in the passage; null for the no-answer entry.")
    )
    score: float = field(
        metadata=_described(
            "The answer's score in [0, 1]; for the no-answer entry, the model's probability of no answer."
        )
    )
    document_id: str | None = field(default=None, metadata=_described("The id of the passage the answer was found in."))
    source: str | None = field(
        default=None, metadata=_described("The file name (or indexed text name) the passage comes from.")
    )
    file_path: str | None = field(
        default=None,
        metadata=_described(
            "The path the passage comes from on the server's disk: null unless the server is set to show it "
            "(EQA_SHOW_FILE_PATHS=1); `source` names the file."
        ),
    )
    start: int | None = field(
        default=None, metadata=_described("Character offset of the answer's start in the passage.")
    )
    end: int | None = field(
        default=None, metadata=_described("Character offset just after the answer's end in the passage.")
    )
    context: str | None = field(
        default=None, metadata=_described("The text around the answer (up to 150 characters on each side).")
    )
    context_start: int | None = field(
        default=None, metadata=_described("Character offset of the answer's start in `context`.")
    )
    context_end: int | None = field(
        default=None, metadata=_described("Character offset just after the answer's end in `context`.")
    )
    meta: dict[str, Any] = field(
        default_factory=dict,
        metadata=_described(
            "The reader's evidence: `null_score_diff`, `supporting_documents` and `support` (passages that gave the "
            "same answer); for the no-answer entry `answerable`, `signal` and `threshold`."
        ),
    )
    document_meta: dict[str, Any] = field(
        default_factory=dict,
        metadata=_described("The passage's metadata (file_name, split_id, split_idx_start, page_number, ...)."),
    )
    answer_id: str | None = field(
        default=None,
        metadata=_described(
            "The answer's id (the same question and span always get the same id): rate it with POST /feedback. "
            "Null for the no-answer entry."
        ),
    )
    page_number: int | None = field(
        default=None,
        metadata=_described(
            "The page the answer span stands on, in PDF documents (also when its passage crosses a page break); "
            "null elsewhere."
        ),
    )
    confidence: float | None = field(
        default=None,
        metadata=_described(
            "A confidence people can read, 0 to 1: the calibrated answerability probability where the no-answer "
            "decision is calibrated, else the model's odds of this span against no answer. For the no-answer entry: "
            "1 minus the best answer's."
        ),
    )
    confidence_basis: ConfidenceBasis | None = field(
        default=None,
        metadata=_described(
            "What `confidence` is: `calibrated` (fitted by tune-threshold), `null_score` (uncalibrated), `score` "
            "(the reader's score, where the reader gives no null score)."
        ),
    )
    below_threshold: bool = field(
        default=False,
        metadata=_described(
            "True for answers that did not clear the no-answer threshold (listed after the no-answer entry)."
        ),
    )
    reason: str | None = field(
        default=None,
        metadata=_described(
            'Why, in one short phrase: on the no-answer entry, why the decision is no answer (e.g. "no passage '
            'mentions Veltmark", "the best candidate is below the threshold"); on an answer below the threshold, '
            "why it did not pass. Null on answers given.",
            examples=["no passage mentions Veltmark"],
        ),
    )

    @property
    def is_no_answer(self) -> bool:
        return self.text is None

    @property
    def where(self) -> str:
        """The answer's source for people: the file name, and the page in paged documents (`report.pdf, page 3`)."""
        where = printable(self.source) if self.source else "-"
        return f"{where}, page {self.page_number}" if self.page_number is not None else where

    @classmethod
    def from_extracted(cls, answer: ExtractedAnswer, question: str | None = None, signal: str | None = None) -> Answer:
        """
        The answer as the application shows it.

        :param answer: An answer of the query pipeline (or the no-answer entry).
        :param question: The question, for the answer's id (default: the answer's own `query`).
        :param signal: The no-answer decision's signal, when known (see `confidence_of`).
        """
        doc = answer.document
        doc_meta = doc.meta if doc is not None else {}
        file_path = doc_meta.get("file_path")
        source = doc_meta.get("file_name") or (Path(str(file_path)).name if file_path else None)
        meta = {k: v for k, v in (answer.meta or {}).items() if not k.startswith("_")}
        start = answer.document_offset.start if answer.document_offset else None
        end = answer.document_offset.end if answer.document_offset else None
        page = None
        passage_page = doc_meta.get("page_number")
        if answer.data is not None and isinstance(passage_page, int) and source and is_paged(source):
            content = (doc.content or "") if doc is not None else ""
            page = span_page(content, passage_page, start) if start is not None else passage_page
        confidence, basis = confidence_of(answer, signal)
        document_id = doc.id if doc is not None else None
        return cls(
            text=answer.data,
            score=float(answer.score),
            document_id=document_id,
            source=source,
            file_path=str(file_path) if file_path else None,
            start=start,
            end=end,
            context=answer.context,
            context_start=answer.context_offset.start if answer.context_offset else None,
            context_end=answer.context_offset.end if answer.context_offset else None,
            meta=meta,
            document_meta={k: v for k, v in doc_meta.items() if not k.startswith("_")},
            answer_id=answer_id(question or answer.query, document_id, start, end) if answer.data is not None else None,
            page_number=page,
            confidence=confidence,
            confidence_basis=basis,
            reason=_reason(answer),
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class QAResult:
    """The answers to one question, best first; `no_answer` is the decision that the documents hold no answer."""

    question: str
    answers: list[Answer]

    @property
    def no_answer(self) -> bool:
        return not self.answers or self.answers[0].is_no_answer

    @property
    def best(self) -> Answer | None:
        """The top answer, or `None` when the decision is "no answer"."""
        return None if self.no_answer else self.answers[0]

    @property
    def best_candidate(self) -> Answer | None:
        """The best span found, whether or not it cleared the no-answer threshold (`None` when there is none)."""
        return next((a for a in self.answers if not a.is_no_answer), None)

    @property
    def min_confidence(self) -> float | None:
        """
        The confidence an answer needed under the decision applied to this question (its threshold in the unit of
        `confidence`), from the no-answer entry's signal and threshold; `None` when no decision was recorded.
        """
        entry = next((a for a in self.answers if a.is_no_answer), None)
        meta = entry.meta if entry is not None else {}
        signal, threshold = meta.get("signal"), meta.get("threshold")
        if not isinstance(signal, str) or isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
            return None
        return min_confidence(signal, float(threshold))

    @classmethod
    def from_extracted(cls, question: str, answers: list[ExtractedAnswer]) -> QAResult:
        """
        The result of the query pipeline's answers (ordered by `NoAnswerThreshold`: the answers that cleared the
        threshold, the no-answer entry, the others). The answers after the no-answer entry are `below_threshold`;
        the no-answer entry's confidence is 1 minus the best answer's, among those whose passage covers the question
        (a span in a passage about something else is no evidence that the documents answer it). The answers are
        listed in `shown_order`.
        """
        entry = next((a for a in answers if a.data is None), None)
        signal = (entry.meta or {}).get("signal") if entry is not None else None
        shown = [Answer.from_extracted(a, question, signal if isinstance(signal, str) else None) for a in answers]
        seen_no_answer = False
        for answer in shown:
            if answer.is_no_answer:
                seen_no_answer = True
            else:
                answer.below_threshold = seen_no_answer
        best = max(
            (a.confidence for a in shown if a.confidence is not None and a.meta.get("covers_question") is not False),
            default=None,
        )
        basis = next((a.confidence_basis for a in shown if a.confidence_basis is not None), None)
        for answer in shown:
            if answer.is_no_answer:
                answer.confidence = 1.0 - best if best is not None else 1.0
                answer.confidence_basis = basis if best is not None else None
        return cls(question=question, answers=shown_order(shown))

    def to_dict(self) -> dict[str, Any]:
        """The result as strict JSON holds it (what `--json`, HTTP and MCP show)."""
        return json_safe(
            {
                "question": self.question,
                "no_answer": self.no_answer,
                "min_confidence": self.min_confidence,
                "answers": [a.to_dict() for a in self.answers],
            }
        )

    def format(self) -> str:
        """
        A human-readable rendering: each answer on one line with its confidence and source, and its context; the
        candidates below the no-answer threshold after the answers, marked as such. When the decision is "no
        answer", that comes first, with its reason.
        """
        lines = []  # each answer on one line: a span over a PDF's line break is shown with a space (its text keeps it)
        if self.no_answer:
            entry = self.answers[0] if self.answers else None
            lines.append(
                f"no answer ({_one_line(entry.reason)})" if entry is not None and entry.reason else "no answer"
            )
        spans = [a for a in self.answers if not a.is_no_answer]
        for rank, answer in enumerate(spans, start=1):
            mark = ""
            if answer.below_threshold:
                why = answer.reason if answer.reason not in (None, "below the threshold") else None
                mark = f", below the threshold: {_one_line(why)}" if why else ", below the threshold"
            lines.append(
                f"{rank}. {_one_line(answer.text)}  ({_confidence_text(answer)}{mark}, source: {answer.where})"
            )
            if answer.context:
                lines.append(f"   ...{_one_line(answer.context)}...")
        return "\n".join(lines) if lines else "no answer"


def percent(share: float) -> str:
    """A share as people read it: 0.42 -> "42%", and ">99%" / "<1%" at the ends rather than 100% and 0%."""
    if share >= 0.995:
        return ">99%"
    if share < 0.005:
        return "<1%"
    return f"{share:.0%}"


def _reason(answer: ExtractedAnswer) -> str | None:
    """The decision's reason for the no-answer entry, or for an answer that did not pass (`meta["reason"]`)."""
    reason = (answer.meta or {}).get("reason")
    return reason if isinstance(reason, str) and reason else None


def _one_line(text: str | None) -> str:
    """A text on one line, its runs of white space (line breaks, form feeds) shown as one space, control characters
    as escapes."""
    return printable(" ".join((text or "").split()))


def _confidence_text(answer: Answer) -> str:
    if answer.confidence is None:
        return f"score {answer.score:.3f}"
    label = "calibrated confidence" if answer.confidence_basis == "calibrated" else "confidence"
    return f"{label} {percent(answer.confidence)}"
