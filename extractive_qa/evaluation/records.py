"""
The evaluation's stored outputs: one JSON line per question with its answers before the no-answer decision, in a
file headed by the fingerprint of the setup that made them, so an interrupted run resumes and a changed setup is
refused. What a record holds: `pipeline_record` (the pipeline's reader, before the no-answer decision) and
`stock_record` (Haystack's stock reader, after its own decision).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from haystack import Document, ExtractedAnswer

from extractive_qa.errors import EvaluationError
from extractive_qa.evaluation.squad_metric import SquadQuestion
from extractive_qa.utils import write_text_atomically

RECORDS_FORMAT = 3  # 3: open-mode records keep the retrieval scores (`retrieved_scores`)
STOCK_RECORDS_FORMAT = 1


def write_json(path: Path, data: Any) -> None:
    """Writes `data` as indented JSON, atomically."""
    write_text_atomically(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _plain(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) or value is None


def answer_record(answer: ExtractedAnswer) -> dict[str, Any]:
    """
    The part of an answer the no-answer decision needs: text, score, the scalar entries of its meta, and where it
    sits: its document (a paragraph key), its offsets and the span of its context in the document.
    """
    meta = {k: v for k, v in (answer.meta or {}).items() if _plain(v)}
    record: dict[str, Any] = {"text": answer.data, "score": float(answer.score), "meta": meta}
    if answer.document is not None:
        record["document"] = answer.document.meta.get("paragraph", answer.document.id)
    if answer.document_offset is not None:
        record["offsets"] = [answer.document_offset.start, answer.document_offset.end]
        if answer.context is not None and answer.context_offset is not None:
            context_start = answer.document_offset.start - answer.context_offset.start
            record["context"] = [context_start, context_start + len(answer.context)]
    return record


def _document(key: str, text: str, titles: dict[str, str] | None, score: float | None = None) -> Document:
    """A stored passage as a document: its text, its paragraph key and its article's title (when known)."""
    meta: dict[str, Any] = {"paragraph": key}
    title = (titles or {}).get(key)
    if title:
        meta["title"] = title
    return Document(content=text, meta=meta, score=score)


def record_answers(
    record: dict[str, Any],
    query: str = "",
    paragraphs: dict[str, str] | None = None,
    titles: dict[str, str] | None = None,
) -> list[ExtractedAnswer]:
    """
    Rebuilds the answers of a record (real answers, then the no-answer entry) as the pipeline's
    `NoAnswerThreshold` saw them: with the question, and with their document and context when `paragraphs`
    (paragraph key -> text, `SquadDataset.paragraphs`) holds their document (titled from `titles`).
    """
    paragraphs = paragraphs or {}
    answers = []
    for stored in record["answers"]:
        text = paragraphs.get(stored.get("document", ""))
        document = context = document_offset = context_offset = None
        if text is not None:
            document = _document(stored["document"], text, titles)
            if "offsets" in stored:
                document_offset = ExtractedAnswer.Span(*stored["offsets"])
            if "context" in stored and "offsets" in stored:
                start, end = stored["context"]
                context = text[start:end]
                context_offset = ExtractedAnswer.Span(stored["offsets"][0] - start, stored["offsets"][1] - start)
        answers.append(
            ExtractedAnswer(
                query=query,
                score=stored["score"],
                data=stored["text"],
                document=document,
                context=context,
                document_offset=document_offset,
                context_offset=context_offset,
                meta=dict(stored["meta"]),
            )
        )
    no_answer = record.get("no_answer")
    if no_answer is not None:
        answers.append(ExtractedAnswer(query=query, score=no_answer["score"], data=None, meta=dict(no_answer["meta"])))
    return answers


def record_documents(
    record: dict[str, Any], paragraphs: dict[str, str] | None = None, titles: dict[str, str] | None = None
) -> list[Document] | None:
    """
    The passages an open-mode record's question read, in the retriever's order with their retrieval scores, as the
    no-answer decision saw them (`None` for a reader-mode record: there was no retrieval).
    """
    if "retrieved" not in record:
        return None
    paragraphs = paragraphs or {}
    scores = record.get("retrieved_scores") or [None] * len(record["retrieved"])
    return [
        _document(key, paragraphs.get(key, ""), titles, score)
        for key, score in zip(record["retrieved"], scores, strict=False)
    ]


def question_key(question: SquadQuestion) -> str:
    """What a record was computed for: the question's text and its paragraph (a changed file is not resumed)."""
    digest = hashlib.sha1(f"{question.question}\x00{question.context}".encode()).hexdigest()
    return digest[:16]


def pipeline_record(
    question: SquadQuestion,
    answers: list[ExtractedAnswer],
    seconds: float,
    documents: list[Document] | None = None,
) -> dict[str, Any]:
    """
    A question's record of the pipeline's reader output: the real answers and the no-answer entry (before the
    no-answer decision), the seconds it took, and in open mode the passages read (`documents`) with their scores.
    """
    no_answer = next((a for a in answers if a.data is None), None)
    record: dict[str, Any] = {
        "id": question.id,
        "key": question_key(question),
        "answers": [answer_record(a) for a in answers if a.data is not None],
        "no_answer": answer_record(no_answer) if no_answer is not None else None,
        "seconds": round(seconds, 5),
    }
    if documents is not None:
        record["retrieved"] = [str(d.meta.get("paragraph", d.id)) for d in documents]
        record["retrieved_scores"] = [None if d.score is None else round(float(d.score), 6) for d in documents]
    return record


def stock_record(question: SquadQuestion, answers: list[ExtractedAnswer], seconds: float) -> dict[str, Any]:
    """
    A question's record of the stock reader's output: its own prediction (its first answer, `""` for no answer),
    its best real answer with that answer's score, and the seconds it took.
    """
    real = [a for a in answers if a.data is not None]
    top = max(real, key=lambda a: a.score) if real else None
    return {
        "id": question.id,
        "key": question_key(question),
        "prediction": (answers[0].data or "") if answers else "",
        "top_text": top.data if top else "",
        "top_score": float(top.score) if top else 0.0,
        "seconds": round(seconds, 5),
    }


class RecordFile:
    """
    An append-only JSON-lines file of per-question results, headed by the fingerprint of the setup that made them.

    Reopening it with the same fingerprint resumes it; a different fingerprint is an error (or a fresh start with
    `restart=True`). A last line cut short by an interrupted run is dropped.
    """

    def __init__(self, path: Path, fingerprint: dict[str, Any], restart: bool = False) -> None:
        self.path = path
        self.fingerprint = fingerprint
        self.records: dict[str, dict[str, Any]] = {}
        if restart and path.exists():
            path.unlink()
        if path.exists():
            self._read()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("w", encoding="utf-8") as handle:
                handle.write(json.dumps({"fingerprint": fingerprint}, sort_keys=True) + "\n")

    def _read(self) -> None:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise EvaluationError(f"cannot read {self.path}: {error}") from error
        try:
            head = json.loads(lines[0]) if lines else None
        except json.JSONDecodeError:
            head = None
        if not isinstance(head, dict) or "fingerprint" not in head:
            raise EvaluationError(f"{self.path} is not an evaluation record file; pass --restart or another --output")
        if head["fingerprint"] != self.fingerprint:
            changed = sorted(
                k
                for k in set(head["fingerprint"]) | set(self.fingerprint)
                if head["fingerprint"].get(k) != self.fingerprint.get(k)
            )
            raise EvaluationError(
                f"{self.path} holds results of a different setup (differs in: {', '.join(changed)}); "
                "pass --restart to discard them or choose another --output"
            )
        valid = 1
        for number, line in enumerate(lines[1:], start=2):
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                if number == len(lines):  # cut short by an interrupted run
                    break
                raise EvaluationError(f"{self.path} line {number} is not JSON; pass --restart") from None
            self.records[record["id"]] = record
            valid = number
        if valid < len(lines):  # drop the broken tail so later appends start on a clean line
            self.path.write_text("\n".join(lines[:valid]) + "\n", encoding="utf-8")

    def get(self, question: SquadQuestion) -> dict[str, Any] | None:
        """The stored record of a question, if it was computed for this very question text and paragraph."""
        record = self.records.get(question.id)
        if record is not None and record.get("key") == question_key(question):
            return record
        return None

    def extend(self, records: Sequence[dict[str, Any]]) -> None:
        with self.path.open("a", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                self.records[record["id"]] = record
            handle.flush()
            os.fsync(handle.fileno())


def load_records(path: str | Path) -> list[dict[str, Any]]:
    """Reads the per-question records of a `records.jsonl` file (without its header)."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines[1:] if line.strip()]
