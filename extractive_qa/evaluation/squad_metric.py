"""
The official SQuAD 2.0 metric: exact match and token F1, overall, answerable and unanswerable, best threshold.

Written from the definitions of the official `evaluate-v2.0.py`:

- answers are compared after *normalization*: lower case, punctuation removed, the articles a/an/the removed,
  white space collapsed;
- a question's gold answers are its answer texts that stay non-empty after normalization; a question without
  any (an unanswerable SQuAD 2.0 question) has the single gold answer `""`, so only an empty prediction scores;
- exact match is 1 when the normalized prediction equals a normalized gold answer; F1 is the harmonic mean of
  token precision and recall (bag of tokens) against a gold answer; both take the best gold answer;
- with no-answer probabilities, the best threshold is found by starting from "every question predicted empty"
  and, in ascending order of no-answer probability, switching each question to its predicted text, keeping the
  best total seen (the official `find_best_thresh`).

Usage example:
```python
from extractive_qa.evaluation.squad_metric import load_squad, evaluate

dataset = load_squad("dev-v2.0.json")
predictions = {q.id: "" for q in dataset.questions}
print(evaluate(dataset, predictions)["exact"])  # 50.07... (the share of unanswerable questions)
```
"""

from __future__ import annotations

import collections
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extractive_qa.components.utils import normalize_answer
from extractive_qa.errors import InvalidDataset


def answer_tokens(text: str) -> list[str]:
    """The normalized answer split on white space (an empty answer has no tokens)."""
    return normalize_answer(text).split() if text else []


def exact_match(gold: str, prediction: str) -> int:
    """1 when both answers are equal after normalization, else 0."""
    return int(normalize_answer(gold) == normalize_answer(prediction))


def f1(gold: str, prediction: str) -> float:
    """
    Token F1 between one gold answer and a prediction.

    When either side is empty after normalization the score is 1 if both are empty, else 0.
    """
    gold_tokens = answer_tokens(gold)
    predicted_tokens = answer_tokens(prediction)
    if not gold_tokens or not predicted_tokens:
        return float(gold_tokens == predicted_tokens)
    common = collections.Counter(gold_tokens) & collections.Counter(predicted_tokens)
    overlap = sum(common.values())
    if overlap == 0:
        return 0.0
    precision = overlap / len(predicted_tokens)
    recall = overlap / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


@dataclass(frozen=True)
class SquadQuestion:
    """One question of a SQuAD file with its paragraph and gold answers."""

    id: str
    question: str
    context: str
    title: str
    answers: tuple[str, ...]
    article_index: int
    paragraph_index: int

    @property
    def gold(self) -> list[str]:
        """The gold answers used for scoring: the non-empty ones after normalization, or `[""]` when none is."""
        kept = [a for a in self.answers if normalize_answer(a)]
        return kept or [""]

    @property
    def paragraph_key(self) -> str:
        """The paragraph's place in its file, `"article:paragraph"` (indices from 0)."""
        return f"{self.article_index}:{self.paragraph_index}"

    @property
    def has_answer(self) -> bool:
        """Whether the question is answerable (some gold answer is non-empty after normalization)."""
        return any(normalize_answer(a) for a in self.answers)


@dataclass
class SquadDataset:
    """The questions of a SQuAD v1.1 or v2.0 file, in file order."""

    questions: list[SquadQuestion]
    version: str = ""
    path: str = ""
    titles: list[str] = field(default_factory=list)
    paragraphs: dict[str, str] = field(default_factory=dict)
    """Every paragraph of the file by `paragraph_key` (kept whole by `subset`, `by_titles` and `head`)."""
    paragraph_titles: dict[str, str] = field(default_factory=dict)
    """The title of the article of every paragraph, by `paragraph_key` (kept whole like `paragraphs`)."""

    def __len__(self) -> int:
        return len(self.questions)

    def _with(self, questions: list[SquadQuestion], titles: list[str] | None = None) -> SquadDataset:
        return SquadDataset(
            questions=questions,
            version=self.version,
            path=self.path,
            titles=list(self.titles) if titles is None else titles,
            paragraphs=self.paragraphs,
            paragraph_titles=self.paragraph_titles,
        )

    def subset(self, ids: set[str] | list[str]) -> SquadDataset:
        """The questions whose id is in `ids`, in file order."""
        wanted = set(ids)
        return self._with([q for q in self.questions if q.id in wanted])

    def head(self, limit: int) -> SquadDataset:
        """The first `limit` questions."""
        return self._with(self.questions[:limit])

    def half(self, which: str) -> SquadDataset:
        """
        The articles at `"even"` or `"odd"` positions of the sorted titles (0, 2, 4, ... or 1, 3, 5, ...).

        :raises InvalidDataset: For another value of `which`.
        """
        if which not in ("even", "odd"):
            raise InvalidDataset(f"articles must be 'even' or 'odd', got {which!r}")
        titles = sorted(set(self.titles) or {q.title for q in self.questions})
        return self.by_titles(set(titles[0 if which == "even" else 1 :: 2]))

    def by_titles(self, titles: set[str]) -> SquadDataset:
        """The questions of the articles with these titles."""
        return self._with([q for q in self.questions if q.title in titles], [t for t in self.titles if t in titles])


def _require(condition: bool, path: str, where: str, what: str) -> None:
    if not condition:
        raise InvalidDataset(f"{path} is not in SQuAD format: {where} {what}")


def parse_squad(data: Any, path: str = "<data>") -> SquadDataset:
    """
    Reads SQuAD-format data (`{"version": ..., "data": [{"title", "paragraphs": [{"context", "qas"}]}]}`).

    :raises InvalidDataset: With the location of the first problem, when the data is not in SQuAD format.
    """
    _require(isinstance(data, dict), path, "the top level", "is not a JSON object")
    articles = data.get("data")
    _require(isinstance(articles, list), path, "the top level", "has no 'data' list")
    questions: list[SquadQuestion] = []
    titles: list[str] = []
    contexts: dict[str, str] = {}
    context_titles: dict[str, str] = {}
    seen: set[str] = set()
    for a, article in enumerate(articles):
        where = f"data[{a}]"
        _require(isinstance(article, dict), path, where, "is not an object")
        paragraphs = article.get("paragraphs")
        _require(isinstance(paragraphs, list), path, where, "has no 'paragraphs' list")
        title = str(article.get("title", f"article {a}"))
        titles.append(title)
        for p, paragraph in enumerate(paragraphs):
            where = f"data[{a}].paragraphs[{p}]"
            _require(isinstance(paragraph, dict), path, where, "is not an object")
            context = paragraph.get("context")
            _require(isinstance(context, str), path, where, "has no 'context' text")
            contexts[f"{a}:{p}"] = context
            context_titles[f"{a}:{p}"] = title
            qas = paragraph.get("qas")
            _require(isinstance(qas, list), path, where, "has no 'qas' list")
            for q, qa in enumerate(qas):
                where = f"data[{a}].paragraphs[{p}].qas[{q}]"
                _require(isinstance(qa, dict), path, where, "is not an object")
                qid = qa.get("id")
                _require(isinstance(qid, (str, int)) and str(qid) != "", path, where, "has no 'id'")
                question = qa.get("question")
                _require(isinstance(question, str), path, where, "has no 'question' text")
                answers = qa.get("answers", [])
                _require(isinstance(answers, list), path, where, "has an 'answers' value that is not a list")
                texts = []
                for answer in answers:
                    _require(
                        isinstance(answer, dict) and isinstance(answer.get("text"), str),
                        path,
                        where,
                        "has an answer without 'text'",
                    )
                    texts.append(answer["text"])
                _require(str(qid) not in seen, path, where, f"repeats the question id {qid!r}")
                seen.add(str(qid))
                questions.append(
                    SquadQuestion(
                        id=str(qid),
                        question=question,
                        context=context,
                        title=title,
                        answers=tuple(texts),
                        article_index=a,
                        paragraph_index=p,
                    )
                )
    _require(bool(questions), path, "the file", "holds no questions")
    return SquadDataset(
        questions=questions,
        version=str(data.get("version", "")),
        path=path,
        titles=titles,
        paragraphs=contexts,
        paragraph_titles=context_titles,
    )


def load_squad(path: str | Path) -> SquadDataset:
    """
    Loads a SQuAD v1.1 or v2.0 file.

    :raises InvalidDataset: When the file is missing, unreadable, not JSON or not in SQuAD format (one clear line).
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise InvalidDataset(f"evaluation file not found: {path}")
    if not path.is_file():
        raise InvalidDataset(f"not a file: {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise InvalidDataset(f"{path} is not UTF-8 text (invalid byte at offset {error.start})") from error
    except json.JSONDecodeError as error:
        raise InvalidDataset(f"{path} is not JSON: {error.msg} (line {error.lineno}, column {error.colno})") from error
    except OSError as error:
        raise InvalidDataset(f"cannot read {path}: {error.strerror or error}") from error
    return parse_squad(data, str(path))


def raw_scores(dataset: SquadDataset, predictions: Mapping[str, str]) -> tuple[dict[str, int], dict[str, float]]:
    """Exact match and F1 of every question that has a prediction, against its best gold answer."""
    exact: dict[str, int] = {}
    token_f1: dict[str, float] = {}
    for question in dataset.questions:
        if question.id not in predictions:
            continue
        predicted = predictions[question.id] or ""
        gold = question.gold
        exact[question.id] = max(exact_match(g, predicted) for g in gold)
        token_f1[question.id] = max(f1(g, predicted) for g in gold)
    return exact, token_f1


def find_best_threshold(
    dataset: SquadDataset,
    predictions: Mapping[str, str],
    scores: Mapping[str, float],
    na_probs: Mapping[str, float],
) -> tuple[float, float]:
    """
    The best score reachable by predicting "no answer" above a threshold, and that threshold (official rule).

    Starts with every question predicted empty (unanswerable questions score 1) and, going through the questions
    in ascending no-answer probability, switches each to its predicted text; the best running total is kept with
    the no-answer probability of the question switched last.

    :returns: `(score in percent, threshold)`; predict "no answer" when a question's no-answer probability exceeds
        the threshold.
    """
    has_answer = {q.id: q.has_answer for q in dataset.questions if q.id in scores}
    if not has_answer:
        return 0.0, 0.0
    current = float(sum(1 for answerable in has_answer.values() if not answerable))
    best, best_threshold = current, 0.0
    for qid in sorted(has_answer, key=lambda k: na_probs[k]):
        if has_answer[qid]:
            current += scores[qid]
        elif predictions.get(qid):
            current -= 1
        if current > best:
            best, best_threshold = current, na_probs[qid]
    return 100.0 * best / len(has_answer), float(best_threshold)


def _summary(exact: Mapping[str, float], token_f1: Mapping[str, float], ids: list[str]) -> dict[str, float]:
    total = len(ids)
    if total == 0:
        return {"exact": 0.0, "f1": 0.0, "total": 0}
    return {
        "exact": 100.0 * sum(exact[i] for i in ids) / total,
        "f1": 100.0 * sum(token_f1[i] for i in ids) / total,
        "total": total,
    }


def evaluate(
    dataset: SquadDataset,
    predictions: Mapping[str, str],
    na_probs: Mapping[str, float] | None = None,
    na_prob_threshold: float = 1.0,
) -> dict[str, Any]:
    """
    Scores predictions with the official SQuAD 2.0 metric.

    Only the questions with a prediction are scored (evaluate a subset with `dataset.subset(ids)` to make that
    explicit); an empty string predicts "no answer".

    :param dataset: The questions with their gold answers.
    :param predictions: Question id -> predicted answer text (`""` for no answer).
    :param na_probs: Question id -> no-answer probability (any number that orders questions by how likely they
        have no answer). With it, questions above `na_prob_threshold` count as predicted empty, and the best
        thresholds for exact match and F1 are reported.
    :param na_prob_threshold: See `na_probs` (the official default 1.0 leaves probabilities in [0, 1] alone).
    :returns: The official report: `exact`, `f1`, `total`, `HasAns_exact`, `HasAns_f1`, `HasAns_total`,
        `NoAns_exact`, `NoAns_f1`, `NoAns_total` (the answerable / unanswerable parts, when present), and with
        `na_probs` also `best_exact`, `best_exact_thresh`, `best_f1`, `best_f1_thresh`.
    """
    exact, token_f1 = raw_scores(dataset, predictions)
    has_answer = {q.id: q.has_answer for q in dataset.questions if q.id in exact}
    if na_probs is not None:
        missing = [qid for qid in exact if qid not in na_probs]
        if missing:
            raise ValueError(f"no no-answer probability for {len(missing)} question(s), e.g. {missing[0]!r}")
        exact_t: dict[str, float] = {}
        f1_t: dict[str, float] = {}
        for qid in exact:
            if na_probs[qid] > na_prob_threshold:
                exact_t[qid] = f1_t[qid] = float(not has_answer[qid])
            else:
                exact_t[qid], f1_t[qid] = exact[qid], token_f1[qid]
    else:
        exact_t, f1_t = dict(exact), dict(token_f1)  # type: ignore[arg-type]
    ids = list(exact)
    report: dict[str, Any] = _summary(exact_t, f1_t, ids)
    answerable = [i for i in ids if has_answer[i]]
    unanswerable = [i for i in ids if not has_answer[i]]
    if answerable:
        report.update({f"HasAns_{k}": v for k, v in _summary(exact_t, f1_t, answerable).items()})
    if unanswerable:
        report.update({f"NoAns_{k}": v for k, v in _summary(exact_t, f1_t, unanswerable).items()})
    if na_probs is not None and ids:
        best_exact, best_exact_thresh = find_best_threshold(dataset, predictions, exact, na_probs)
        best_f1, best_f1_thresh = find_best_threshold(dataset, predictions, token_f1, na_probs)
        report.update(
            {
                "best_exact": best_exact,
                "best_exact_thresh": best_exact_thresh,
                "best_f1": best_f1,
                "best_f1_thresh": best_f1_thresh,
            }
        )
    return report
