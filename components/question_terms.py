"""
The words of a question that name what it asks about, and which passages mention them.

A question's *terms* are its words less function words and the words every question uses ("what", "name", "year",
...), each reduced to its stem with the English stemmer the embedded store indexes with (tantivy's `en_stem`:
lower case, Snowball English), so "airports" in a question matches "airport" in a passage, as BM25 matched them.
A term is a *name* when the question writes it with a capital letter (not as its first word) or with a digit:
names, places, numbers, dates. A passage *mentions* a term when its own stems include it. Negative contractions
("don't", "couldn't") are function words; "won" (the verb) is a term.

This is the evidence the no-answer decision (`NoAnswerThreshold`) weighs beside the reader's scores: a question
about something no passage mentions cannot be answered from them, however confident the reader is about a span in
an unrelated passage. It depends only on the texts, never on a store's scores, so it is the same on every store.

Usage example:
```python
from extractive_qa.components.question_terms import mentioned, question_terms

terms = question_terms("Which airport serves Veltmark?")
print([t.text for t in terms])  # ['airport', 'serves', 'Veltmark']
print([t.text for t in terms if not mentioned(t, "Fresno Yosemite International Airport serves the city.")])
# ['Veltmark']
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import PurePath
from typing import Any

# Function words and the words questions use whatever they ask about: they say nothing about the topic.
_GENERIC_TEXT = """
a an the of in on at to for by with from and or but nor is are was were be been being am do does did done doing
what which who whom whose when where why how whatever whichever that this these those it its itself as into onto
than then there their theirs they them themselves he she his her hers him himself herself we our ours you your i
me my mine has have had having can could would should will shall may might must if so such about after before
during over under between through up down out off also not no any some each every other another all both either
neither only very just still yet too s t
name named names call called calls known term terms refer refers referred mean means meant type types kind kinds
sort example examples many much more most less least often usually generally typically one ones year years time
times something someone somebody thing things way ways happen happened happens take took taken give gave given get
got make made say said says according describe described use used using become became people person persons
percentage percent part parts located location find found long along process considered consider group groups main
against sometimes amount present far famous total result order place member members reason start started begin
began change changed else number numbers think able go goes went like roughly approximately about due different
addition regarding want often important us
"""
GENERIC_WORDS = frozenset(_GENERIC_TEXT.split())
_WORD = re.compile(r"\w+", re.UNICODE)
# "don't", "won't", "couldn't", "can't" (straight or curly apostrophe): function words, dropped whole
_NEGATIVE_CONTRACTION = re.compile(r"\b\w+n['\u2019]t\b", re.UNICODE | re.IGNORECASE)


@dataclass(frozen=True)
class Term:
    """One term of a question: its stem, the word as the question writes it, and whether it is a name."""

    stem: str
    text: str
    name: bool


@lru_cache(maxsize=1)
def _analyzer() -> Any:  # tantivy.TextAnalyzer
    import tantivy

    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The stem of one word (lower case), as the embedded store indexes it."""
    tokens = _analyzer().analyze(word)
    return tokens[0] if tokens else word.lower()


@lru_cache(maxsize=4096)
def question_terms(question: str) -> tuple[Term, ...]:
    """The question's terms, in order, each stem once (a name when any of its occurrences is written as one)."""
    words = _WORD.findall(_NEGATIVE_CONTRACTION.sub(" ", question or ""))
    found: dict[str, Term] = {}
    for position, word in enumerate(words):
        lower = word.lower()
        if lower in GENERIC_WORDS or (len(lower) == 1 and not lower.isdigit()):
            continue
        key = stem(lower)
        name = any(c.isdigit() for c in word) or (position > 0 and word[0].isupper())
        earlier = found.get(key)
        if earlier is None or (name and not earlier.name):
            found[key] = Term(stem=key, text=word, name=name or (earlier.name if earlier else False))
    return tuple(found.values())


@lru_cache(maxsize=8192)
def text_stems(text: str) -> frozenset[str]:
    """The stems of a text's words (its terms as the embedded store indexes them)."""
    return frozenset(_analyzer().analyze(text or ""))


def document_text(document: Any) -> str:
    """
    What a passage says for the question's terms: its source's title (`meta["title"]`, else the file name without
    its extension) and its text. A passage of "Warsaw.txt" is about Warsaw even where its text says "the city".
    """
    meta = getattr(document, "meta", None) or {}
    title = str(meta.get("title") or (PurePath(str(meta["file_name"])).stem if meta.get("file_name") else ""))
    content = getattr(document, "content", None) or ""
    return f"{title}\n{content}" if title else content


def mentioned(term: Term, text: str) -> bool:
    """Whether a text mentions the term (has a word with the same stem)."""
    return term.stem in text_stems(text)


@dataclass(frozen=True)
class Coverage:
    """
    How a passage covers a question's terms.

    `share`: the weighted share of the question's terms the passage mentions (names weigh `name_weight`, other
    terms 1; 1.0 for a question without terms); `missing`: the terms it does not mention, names first;
    `unmentioned`: those of them that no passage read mentions either; `weight`: the question's terms' total
    weight (how much it says about what it asks: 0 for "What is it?", 1 for "Who won?").
    """

    share: float
    missing: tuple[Term, ...]
    unmentioned: tuple[Term, ...]
    weight: float = 0.0


def coverage(
    question: str, passage: str, others: list[str] | tuple[str, ...] = (), name_weight: float = 2.0
) -> Coverage:
    """
    How `passage` covers the terms of `question`.

    :param others: The texts of the other passages read for the question (the retrieved ones): a missing term none
        of them mentions either is `unmentioned`.
    :param name_weight: The weight of a name term (capitalized or numeric) against 1 for the others.
    """
    terms = question_terms(question)
    if not terms:
        return Coverage(1.0, (), (), 0.0)
    present = text_stems(passage)
    weights = {t: name_weight if t.name else 1.0 for t in terms}
    total = sum(weights.values())
    missing = tuple(sorted((t for t in terms if t.stem not in present), key=lambda t: not t.name))
    share = 1.0 - sum(weights[t] for t in missing) / total if total > 0 else 1.0
    unmentioned = tuple(t for t in missing if not any(t.stem in text_stems(o) for o in others))
    return Coverage(share, missing, unmentioned, total)


__all__ = [
    "GENERIC_WORDS",
    "Coverage",
    "Term",
    "coverage",
    "document_text",
    "mentioned",
    "question_terms",
    "stem",
    "text_stems",
]
