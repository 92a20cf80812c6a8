"""The application's view of a pipeline result: answers people and JSON clients can read."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from haystack import ExtractedAnswer


@dataclass
class Answer:
    """One answer span, or the no-answer entry (`text is None`)."""

    text: str | None
    score: float
    document_id: str | None = None
    source: str | None = None
    file_path: str | None = None
    start: int | None = None
    end: int | None = None
    context: str | None = None
    context_start: int | None = None
    context_end: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    document_meta: dict[str, Any] = field(default_factory=dict)

    @property
    def is_no_answer(self) -> bool:
        return self.text is None

    @classmethod
    def from_extracted(cls, answer: ExtractedAnswer) -> Answer:
        doc = answer.document
        doc_meta = doc.meta if doc is not None else {}
        file_path = doc_meta.get("file_path")
        source = doc_meta.get("file_name") or (Path(str(file_path)).name if file_path else None)
        meta = {k: v for k, v in (answer.meta or {}).items() if not k.startswith("_")}
        return cls(
            text=answer.data,
            score=float(answer.score),
            document_id=doc.id if doc is not None else None,
            source=source,
            file_path=str(file_path) if file_path else None,
            start=answer.document_offset.start if answer.document_offset else None,
            end=answer.document_offset.end if answer.document_offset else None,
            context=answer.context,
            context_start=answer.context_offset.start if answer.context_offset else None,
            context_end=answer.context_offset.end if answer.context_offset else None,
            meta=meta,
            document_meta={k: v for k, v in doc_meta.items() if not k.startswith("_")},
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

    @classmethod
    def from_extracted(cls, question: str, answers: list[ExtractedAnswer]) -> QAResult:
        return cls(question=question, answers=[Answer.from_extracted(a) for a in answers])

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "no_answer": self.no_answer,
            "answers": [a.to_dict() for a in self.answers],
        }

    def format(self) -> str:
        """A human-readable rendering: the answers until the no-answer entry, or "no answer"."""
        lines = []
        for rank, answer in enumerate(self.answers, start=1):
            if answer.is_no_answer:
                if rank == 1:
                    lines.append(f"no answer (no-answer score {answer.score:.3f})")
                break
            lines.append(f"{rank}. {answer.text}  (score {answer.score:.3f}, source: {answer.source or '-'})")
            if answer.context:
                lines.append(f"   ...{' '.join(answer.context.split())}...")
        return "\n".join(lines) if lines else "no answer"
