"""End to end with real weights: index the bundled data/, ask held-out SQuAD 2.0 questions, CLI wall time."""

from __future__ import annotations

import json
import re
import string
import time
from pathlib import Path

import pytest

from extractive_qa import QuestionAnswerer
from extractive_qa.testing.paths import DATA_DIR, HELDOUT
from extractive_qa.testing.processes import run_cli

pytestmark = [pytest.mark.model, pytest.mark.usefixtures("shared_model", "heldout")]

# The no-answer threshold (null-score difference) that maximizes F1 in open mode (retrieval over data/, top-10
# passages) on 400 questions of the *other* half of the held-out articles (titles at even positions, sorted), for
# the shared small model. The production model uses the YAML's 0.0; this weak model needs far more caution.
THRESHOLD_TUNED_ON_OTHER_HALF = -5.75

# Held-out articles at odd positions (half B), shuffled with random.Random(7). Answerable: the first 30 that the
# model, reading the gold paragraph alone, answers exactly and confidently (null-score difference <= threshold),
# so this test measures what the pipeline around the reader keeps or loses: retrieval, passage splitting,
# de-duplication and the no-answer decision. Checked by hand against the gold answers: 26 of 30 come back right.
# Unanswerable: the first 30 of the same shuffled order, no selection; 24 of 30 come back as "no answer".
ANSWERABLE = [
    "57280e1aff5b5019007d9bf0",
    "572fc41f947a6a140053cc82",
    "5725f2c838643c19005aceed",
    "5729fe5c3f37b3190047862f",
    "5726d9935951b619008f7fed",
    "5726d8bd708984140094d35d",
    "572fbfa504bcaa1900d76c74",
    "5729f9953f37b31900478621",
    "572a07a86aef0514001551d2",
    "5726eb4b5951b619008f826b",
    "572853e8ff5b5019007da189",
    "5726e5c95951b619008f81ce",
    "57286010ff5b5019007da1cd",
    "572864542ca10214002da2de",
    "572fbb04a23a5019007fc8fa",
    "57285841ff5b5019007da19c",
    "572849b4ff5b5019007da0f5",
    "5727213c708984140094da35",
    "572fc49d04bcaa1900d76ccb",
    "5729e1e36aef0514001550bc",
    "572900f73f37b31900477f69",
    "572a20816aef0514001552e4",
    "5729f4273f37b319004785fd",
    "5729de24af94a219006aa68b",
    "572856beff5b5019007da193",
    "5725d183271a42140099d241",
    "5725f46289a1e219009ac0fd",
    "5729f799af94a219006aa707",
    "5725fabc89a1e219009ac129",
    "572864542ca10214002da2e1",
]
UNANSWERABLE = [
    "5ad242e5d7d075001a4289a7",
    "5acf9bcf77cf76001a68547a",
    "5acf941b77cf76001a685332",
    "5ad02bef77cf76001a686ca2",
    "5ad4d2d65b96ef001a10a1f9",
    "5acf7dcf77cf76001a684f7d",
    "5ad4cd245b96ef001a10a110",
    "5ad4ca235b96ef001a10a0b8",
    "5ad49d30ba00c4001a268dd8",
    "5ad2442bd7d075001a428a3c",
    "5ad264e2d7d075001a429180",
    "5ad247b0d7d075001a428b46",
    "5a7b3dd921c2de001afe9df8",
    "5acfa8a277cf76001a68576c",
    "5ad0291f77cf76001a686c2b",
    "5a6ced7d4eec6b001a80a6e2",
    "5ad02fdf77cf76001a686d99",
    "5ad247b0d7d075001a428b43",
    "5acfa23577cf76001a68562e",
    "5a6ce2ec4eec6b001a80a677",
    "5a6ce6b54eec6b001a80a6a4",
    "5acf9e9377cf76001a685584",
    "5a1c836ab4fb5d0018714636",
    "5ad49c34ba00c4001a268d9a",
    "5acf7dcf77cf76001a684f7a",
    "5acfa93777cf76001a685781",
    "5ad25f42d7d075001a428f75",
    "5a6cba504eec6b001a80a64b",
    "5a7b12a421c2de001afe9d52",
    "5ad0213377cf76001a686b0e",
]


def _normalize(text: str) -> str:
    text = "".join(ch for ch in text.lower() if ch not in set(string.punctuation))
    return " ".join(re.sub(r"\b(a|an|the)\b", " ", text).split())


@pytest.fixture(scope="module")
def questions() -> dict[str, dict]:
    data = json.loads(HELDOUT.read_text(encoding="utf-8"))
    return {q["id"]: q for article in data["data"] for p in article["paragraphs"] for q in p["qas"]}


def test_held_out_answerable_questions_get_a_gold_answer(shared_qa: QuestionAnswerer, questions: dict) -> None:
    correct = []
    for question_id in ANSWERABLE:
        question = questions[question_id]
        result = shared_qa.ask(question["question"], threshold=THRESHOLD_TUNED_ON_OTHER_HALF)
        golds = {_normalize(a["text"]) for a in question["answers"]}
        if result.best is not None and _normalize(result.best.text) in golds:
            correct.append(question_id)
            best = result.best
            passage = next(d for d in shared_qa.document_store.filter_documents() if d.id == best.document_id)
            assert passage.content[best.start : best.end] == best.text  # exact span of the source passage
            assert best.source and (DATA_DIR / best.source).exists()
            assert best.context[best.context_start : best.context_end] == best.text
    assert len(correct) >= 22, f"{len(correct)} of {len(ANSWERABLE)} correct (26 when checked)"


def test_held_out_unanswerable_questions_get_no_answer(shared_qa: QuestionAnswerer, questions: dict) -> None:
    abstained = 0
    for question_id in UNANSWERABLE:
        assert not questions[question_id]["answers"]
        result = shared_qa.ask(questions[question_id]["question"], threshold=THRESHOLD_TUNED_ON_OTHER_HALF)
        abstained += result.no_answer
        if result.no_answer:
            assert result.answers[0].text is None and result.best is None
    assert abstained >= 20, f"{abstained} of {len(UNANSWERABLE)} said no answer (24 when checked)"


def test_answer_over_given_text(shared_qa: QuestionAnswerer) -> None:
    text = "My name is Wolfgang and I live in Berlin. I work as a carpenter."
    result = shared_qa.answer("Where do I live?", text, threshold=0.0)
    assert result.best is not None and result.best.text == "Berlin"
    assert result.best.start == text.index("Berlin")


def test_cli_index_then_ask_with_json(shared_model: Path, tmp_path: Path) -> None:
    """The real command line, as in the README: index the bundled data, ask, read the JSON; record the wall time."""
    env = {"EQA_STORE_PATH": str(tmp_path / "cli-store.json"), "EQA_MODEL": str(shared_model)}
    indexed = run_cli("index", str(DATA_DIR), "--no-progress", env=env)
    assert indexed.returncode == 0, indexed.stderr
    assert re.match(r"indexed 35 file\(s\) into \d+ passage\(s\)", indexed.stdout)
    started = time.perf_counter()
    asked = run_cli("ask", "What is the atomic number of oxygen?", "--json", "--threshold", "0", env=env)
    wall = time.perf_counter() - started
    assert asked.returncode == 0, asked.stderr
    payload = json.loads(asked.stdout)
    assert payload["no_answer"] is False
    best = payload["answers"][0]
    assert best["text"] == "8" and best["source"] == "Oxygen.txt"
    assert {"score", "document_id", "start", "end", "context", "meta"} <= set(best)
    print(f"extractive-qa ask wall time: {wall:.2f} s (model answer in {payload['seconds']:.2f} s)")
