"""Merges answers that are the same span found more than once."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Literal

from haystack import ExtractedAnswer, component, default_from_dict, default_to_dict

from extractive_qa.components.utils import normalize_answer

ScoreCombination = Literal["max", "noisy_or"]


def source_span(answer: ExtractedAnswer) -> tuple[str, int, int] | None:
    """
    Places an answer in the coordinates of the file its passage was split from.

    Uses the `split_idx_start` and the source file's id that Haystack's splitters record on every passage
    (`source_id` from DocumentSplitter, `parent_id` from RecursiveDocumentSplitter), so the same words seen in the
    overlapping region of two neighbouring passages land on the same span.
    Returns `None` for answers whose document carries no such information.
    """
    doc = answer.document
    if doc is None or answer.document_offset is None:
        return None
    source = doc.meta.get("source_id", doc.meta.get("parent_id"))
    offset = doc.meta.get("split_idx_start")
    if source is None or not isinstance(offset, int):
        return (doc.id, answer.document_offset.start, answer.document_offset.end)
    return (str(source), offset + answer.document_offset.start, offset + answer.document_offset.end)


def _overlaps(a: tuple[str, int, int], b: tuple[str, int, int], min_overlap: float) -> bool:
    if a[0] != b[0]:
        return False
    overlap = min(a[2], b[2]) - max(a[1], b[1])
    if overlap <= 0:
        return False
    shorter = min(a[2] - a[1], b[2] - b[1])
    return overlap / shorter >= min_overlap


@component
class AnswerDeduplicator:
    """
    Merges answers that are the same answer seen more than once, keeping the best-scored one.

    Three kinds of duplicates are merged:

    1. spans of one passage that overlap (the reader reads long passages in overlapping windows, and nested
       spans such as "the river in Maine" / "river in Maine" are one answer),
    2. spans in the overlapping region of two neighbouring passages split from one file (located through the
       `source_id` or `parent_id` and the `split_idx_start` that the splitters record),
    3. the same normalized answer text (SQuAD normalization) found in several documents.

    The kept answer lists every supporting document in `meta["supporting_documents"]` (id, offsets, score) and
    their count in `meta["support"]`. Its score is combined from the merged answers' scores by
    `score_combination`: `"max"` (default) keeps the best score, so score thresholds mean the same as on the
    reader's output; `"noisy_or"` gives `1 - prod(1 - score_i)`, the probability that at least one
    occurrence is right if they were independent, which rewards answers found in several documents.
    The no-answer entry (`data=None`) passes through unchanged.

    Usage example:
    ```python
    from haystack import Document, ExtractedAnswer
    from extractive_qa.components.answer_deduplicator import AnswerDeduplicator

    doc_a, doc_b = Document(content="Paris is the capital."), Document(content="The capital is Paris.")
    answers = [
        ExtractedAnswer(query="q", score=0.9, data="Paris", document=doc_a,
                        document_offset=ExtractedAnswer.Span(0, 5)),
        ExtractedAnswer(query="q", score=0.7, data="Paris", document=doc_b,
                        document_offset=ExtractedAnswer.Span(15, 20)),
    ]
    result = AnswerDeduplicator().run(answers=answers)
    assert len(result["answers"]) == 1 and result["answers"][0].meta["support"] == 2
    ```
    """

    def __init__(
        self,
        min_overlap: float = 0.5,
        merge_same_text: bool = True,
        score_combination: ScoreCombination = "max",
        top_k: int | None = None,
    ) -> None:
        """
        Creates an AnswerDeduplicator.

        :param min_overlap: Two spans of one text are the same answer when they share at least this fraction of
            the shorter span's characters (0 < min_overlap <= 1).
        :param merge_same_text: Whether answers with the same normalized text from different documents merge.
        :param score_combination: How the merged answers' scores combine: `"max"` or `"noisy_or"`.
        :param top_k: The number of answers kept after merging (the no-answer entry is not counted);
            `None` keeps all.
        """
        if not 0 < min_overlap <= 1:
            raise ValueError(f"min_overlap must be in (0, 1], got {min_overlap}")
        if score_combination not in ("max", "noisy_or"):
            raise ValueError(f"score_combination must be 'max' or 'noisy_or', got {score_combination!r}")
        if top_k is not None and top_k < 0:
            raise ValueError(f"top_k must be >= 0, got {top_k}")
        self.min_overlap = min_overlap
        self.merge_same_text = merge_same_text
        self.score_combination = score_combination
        self.top_k = top_k

    def to_dict(self) -> dict[str, Any]:
        """
        Serializes the component to a dictionary.

        :returns: Dictionary with serialized data.
        """
        return default_to_dict(
            self,
            min_overlap=self.min_overlap,
            merge_same_text=self.merge_same_text,
            score_combination=self.score_combination,
            top_k=self.top_k,
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AnswerDeduplicator:
        """
        Deserializes the component from a dictionary.

        :param data: Dictionary to deserialize from.
        :returns: Deserialized component.
        """
        return default_from_dict(cls, data)

    def _combine(self, scores: list[float]) -> float:
        if self.score_combination == "max":
            return max(scores)
        remaining = 1.0
        for score in scores:
            remaining *= 1.0 - min(max(score, 0.0), 1.0)
        return 1.0 - remaining

    @component.output_types(answers=list[ExtractedAnswer])
    def run(self, answers: list[ExtractedAnswer], top_k: int | None = None) -> dict[str, list[ExtractedAnswer]]:
        """
        Merges duplicate answers.

        :param answers: Answers from a reader, in any order.
        :param top_k: Overrides the number of answers kept for this run (0 keeps none; `None` keeps the
            initialization value).
        :returns: A dictionary with `answers`: one answer per distinct answer, in descending score order, with the
            no-answer entries after them in their original order.
        """
        top_k = self.top_k if top_k is None else top_k
        if top_k is not None and top_k < 0:
            raise ValueError(f"top_k must be >= 0, got {top_k}")
        real = sorted((a for a in answers if a.data is not None), key=lambda a: a.score, reverse=True)
        no_answers = [a for a in answers if a.data is None]

        groups: list[list[ExtractedAnswer]] = []
        spans: list[list[tuple[str, int, int]]] = []
        texts: list[str] = []
        for answer in real:
            span = source_span(answer)
            text = normalize_answer(answer.data or "")
            for index, group in enumerate(groups):
                same_span = span is not None and any(_overlaps(span, s, self.min_overlap) for s in spans[index])
                same_text = self.merge_same_text and text != "" and text == texts[index]
                if same_span or same_text:
                    group.append(answer)
                    if span is not None:
                        spans[index].append(span)
                    break
            else:
                groups.append([answer])
                spans.append([span] if span is not None else [])
                texts.append(text)

        merged = [self._merge(group) for group in groups]
        merged.sort(key=lambda a: a.score, reverse=True)
        if top_k is not None:
            merged = merged[:top_k]
        return {"answers": merged + no_answers}

    def _merge(self, group: list[ExtractedAnswer]) -> ExtractedAnswer:
        best = group[0]  # groups are filled in descending score order
        supporting: list[dict[str, Any]] = []
        seen: set[tuple[str, int, int]] = set()
        for answer in group:
            doc_id = answer.document.id if answer.document else ""
            offset = answer.document_offset
            key = (doc_id, offset.start if offset else -1, offset.end if offset else -1)
            if key in seen:
                continue
            seen.add(key)
            supporting.append(
                {
                    "document_id": doc_id,
                    "start": offset.start if offset else None,
                    "end": offset.end if offset else None,
                    "data": answer.data,
                    "score": answer.score,
                }
            )
        meta = dict(best.meta)
        meta["supporting_documents"] = supporting
        meta["support"] = len({s["document_id"] for s in supporting})
        return replace(best, score=self._combine([a.score for a in group]), meta=meta)
