"""
The features a calibrated no-answer decision (`NoAnswerThreshold(signal="calibrated")`) may weigh.

Each feature is a number computed from one extracted answer, the other answers to its question and the passages
read (the retriever's output, when there is one): the reader's evidence (logits, score, the no-answer entry's null
score), how well the question's words are covered by the text the answer comes from, and the retrieval evidence
(the question's terms no passage read mentions, the answer passage's rank and BM25 score against the best one's,
how many passages give the same answer). The coverage features capture what unanswerable questions often look
like: a name, number or other word of the question that the passage does not contain, or a negation; the retrieval
features what a question about something the collection does not hold looks like.

Usage example:
```python
from haystack import Document, ExtractedAnswer
from extractive_qa.components.answerability_features import compute_features

doc = Document(content="The Normans gave their name to Normandy, a region in France.")
answer = ExtractedAnswer(query="In what country is Normandy?", score=0.9, data="France", document=doc,
                         meta={"span_logit": 9.0, "null_logit": 1.0, "null_score_diff": -8.0})
print(compute_features(answer, [answer], ["span_logit", "missing_names"]))  # {'span_logit': 9.0, 'missing_names': 0.0}
```
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from haystack import Document, ExtractedAnswer

from extractive_qa.components.question_terms import Coverage, coverage, document_text

# Function words left out when measuring how much of a question a text covers.
_STOPWORD_TEXT = """
a an the of in on at to for by with from and or but is are was were be been being am do does did done what
which who whom whose when where why how that this these those it its as into onto than then there their they
them he she his her him we our you your i me my has have had can could would should will shall may might must
if so such about after before during over under between through up down out off also
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_WORD = re.compile(r"\w+", re.UNICODE)
_NEGATION = re.compile(r"\b(?:not|never|no|none|nothing|without|neither|nor)\b|n't\b", re.IGNORECASE)


@lru_cache(maxsize=4096)
def _words(text: str) -> frozenset[str]:
    return frozenset(w.lower() for w in _WORD.findall(text))


@lru_cache(maxsize=1024)
def _question_words(question: str) -> tuple[str, ...]:
    return tuple(w for w in (w.lower() for w in _WORD.findall(question)) if w not in STOPWORDS)


@lru_cache(maxsize=1024)
def _question_names(question: str) -> frozenset[str]:
    """Words after the first that start with a capital letter or a digit: names, numbers, dates."""
    return frozenset(w.lower() for w in _WORD.findall(question)[1:] if w[0].isupper() or w[0].isdigit())


def _meta_number(answer: ExtractedAnswer | None, key: str) -> float:
    value = None if answer is None else (answer.meta or {}).get(key)
    if value is None:
        raise ValueError(
            f"this feature needs meta[{key!r}] on the reader's answers (use ExtractiveQAReader), or another signal"
        )
    return float(value)


class AnswerContext:
    """The answers to one question, which some features compare an answer with."""

    def __init__(self, answers: list[ExtractedAnswer], documents: list[Document] | None = None) -> None:
        self.real = [a for a in answers if a.data is not None]
        self.no_answer = next((a for a in answers if a.data is None), None)
        self.documents = documents
        self._read: list[str] | None = None

    @property
    def texts_read(self) -> list[str]:
        """The texts of the passages read: the documents given, else the answers' own passages."""
        if self._read is None:
            if self.documents is not None:
                self._read = [document_text(d) for d in self.documents]
            else:
                self._read = list(dict.fromkeys(_passage_text(a) for a in self.real))
        return self._read


def _document_text(answer: ExtractedAnswer) -> str:
    return (answer.document.content or "") if answer.document is not None else (answer.context or "")


def _coverage(question: str, text: str) -> float:
    words = _question_words(question)
    if not words:
        return 1.0
    present = _words(text)
    return sum(w in present for w in words) / len(words)


def _runner_up_gap(answer: ExtractedAnswer, context: AnswerContext) -> float:
    others = [_meta_number(a, "span_logit") for a in context.real if a is not answer]
    return _meta_number(answer, "span_logit") - max(others) if others else 10.0


def _missing(answer: ExtractedAnswer, words: frozenset[str] | tuple[str, ...]) -> float:
    present = _words(_document_text(answer))
    return float(sum(w not in present for w in set(words)))


def _passage_text(answer: ExtractedAnswer) -> str:
    """The answer's passage with its source's title (`question_terms.document_text`)."""
    return document_text(answer.document) if answer.document is not None else (answer.context or "")


def _term_coverage(answer: ExtractedAnswer, context: AnswerContext) -> Coverage:
    return coverage(answer.query or "", _passage_text(answer), context.texts_read)


def _retrieval_position(answer: ExtractedAnswer, context: AnswerContext) -> int | None:
    if not context.documents or answer.document is None:
        return None
    ids = [d.id for d in context.documents]
    return ids.index(answer.document.id) if answer.document.id in ids else None


def _retrieval_rank(answer: ExtractedAnswer, context: AnswerContext) -> float:
    position = _retrieval_position(answer, context)
    return 0.0 if position is None else float(position)


def _retrieval_score_ratio(answer: ExtractedAnswer, context: AnswerContext) -> float:
    position = _retrieval_position(answer, context)
    scores = [d.score for d in context.documents or []]
    if position is None or any(s is None for s in scores) or not scores or max(scores) <= 0:
        return 1.0
    return float(scores[position]) / float(max(scores))


Feature = Callable[[ExtractedAnswer, AnswerContext], float]

# name -> (description, function of an answer and its question's answers)
FEATURES: dict[str, tuple[str, Feature]] = {
    "null_score_diff": (
        "the answer's window null logit minus its span logit",
        lambda a, c: _meta_number(a, "null_score_diff"),
    ),
    "span_logit": ("the answer's start + end logit", lambda a, c: _meta_number(a, "span_logit")),
    "null_logit": ("the CLS start + end logit of the answer's window", lambda a, c: _meta_number(a, "null_logit")),
    "score": ("the answer's score", lambda a, c: float(a.score)),
    "query_null_score_diff": (
        "the question's smallest null_score_diff over every window read (the no-answer entry's)",
        lambda a, c: _meta_number(c.no_answer, "null_score_diff"),
    ),
    "runner_up_gap": (
        "the answer's span logit minus the best other answer's (10 when it is the only one)",
        _runner_up_gap,
    ),
    "answer_words": ("the number of words in the answer", lambda a, c: float(len((a.data or "").split()))),
    "question_words": (
        "the number of question words that are not function words",
        lambda a, c: float(len(_question_words(a.query))),
    ),
    "context_coverage": (
        "the share of the question's words found in the text around the answer (its context)",
        lambda a, c: _coverage(a.query, a.context or _document_text(a)),
    ),
    "document_coverage": (
        "the share of the question's words found in the answer's document",
        lambda a, c: _coverage(a.query, _document_text(a)),
    ),
    "document_missing": (
        "the number of distinct question words absent from the answer's document",
        lambda a, c: _missing(a, _question_words(a.query)),
    ),
    "missing_names": (
        "the number of distinct capitalized or numeric question words absent from the answer's document",
        lambda a, c: _missing(a, _question_names(a.query)),
    ),
    "negation": (
        "1 when the question holds a negation (not, never, no, without, n't, ...), else 0",
        lambda a, c: float(bool(_NEGATION.search(a.query or ""))),
    ),
    "term_coverage": (
        "the weighted share of the question's stemmed terms its passage mentions (names weigh 2, others 1)",
        lambda a, c: _term_coverage(a, c).share,
    ),
    "missing_terms": (
        "the number of the question's stemmed terms its passage does not mention",
        lambda a, c: float(len(_term_coverage(a, c).missing)),
    ),
    "unmentioned_terms": (
        "the number of the question's stemmed terms no passage read mentions",
        lambda a, c: float(len(_term_coverage(a, c).unmentioned)),
    ),
    "unmentioned_names": (
        "the number of the question's name terms (capitalized, numeric) no passage read mentions",
        lambda a, c: float(sum(t.name for t in _term_coverage(a, c).unmentioned)),
    ),
    "retrieval_rank": (
        "the rank of the answer's passage among the passages read, from 0 (0 without retrieval)",
        _retrieval_rank,
    ),
    "retrieval_score_ratio": (
        "the BM25 score of the answer's passage over the best passage's (1 without retrieval scores)",
        _retrieval_score_ratio,
    ),
    "answer_support": (
        "the number of passages read that give the same answer (AnswerDeduplicator's meta['support'], else 1)",
        lambda a, c: float((a.meta or {}).get("support") or 1),
    ),
}


def compute_features(
    answer: ExtractedAnswer,
    answers: list[ExtractedAnswer],
    names: list[str],
    documents: list[Document] | None = None,
) -> dict[str, float]:
    """
    The named features of `answer` (`answers`: every answer to its question, the no-answer entry included;
    `documents`: the passages read, in the retriever's order, when there was retrieval).
    """
    unknown = [n for n in names if n not in FEATURES]
    if unknown:
        raise ValueError(f"unknown feature(s) {', '.join(unknown)}; known: {', '.join(FEATURES)}")
    context = AnswerContext(answers, documents)
    return {name: FEATURES[name][1](answer, context) for name in names}
