"""The official SQuAD 2.0 metric: normalization, EM, F1, the best threshold, and reading SQuAD files."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import pytest

from extractive_qa.evaluation.squad_metric import (
    InvalidDataset,
    SquadDataset,
    SquadQuestion,
    evaluate,
    exact_match,
    f1,
    find_best_threshold,
    load_squad,
    normalize_answer,
    parse_squad,
    raw_scores,
)
from extractive_qa.testing.paths import SHARED, SQUAD2_DEV

SQUAD1_DEV = SHARED / "data" / "squad1" / "dev-v1.1.json"


def _question(qid: str, answers: tuple[str, ...], title: str = "T") -> SquadQuestion:
    return SquadQuestion(
        id=qid, question=f"q {qid}", context="c", title=title, answers=answers, article_index=0, paragraph_index=0
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The Eiffel Tower", "eiffel tower"),
        ("  a   cat, an owl and THE dog! ", "cat owl and dog"),
        ("Theater", "theater"),  # articles only as whole words
        ("U.S.A.", "usa"),
        ("rock-'n'-roll", "rocknroll"),
        ("an", ""),
        ("", ""),
        ("Ångström's\tlaw", "ångströms law"),
    ],
)
def test_normalization(text: str, expected: str) -> None:
    assert normalize_answer(text) == expected


def test_exact_match_ignores_case_punctuation_and_articles() -> None:
    assert exact_match("the Normans", "Normans.") == 1
    assert exact_match("Normans", "Norman") == 0


def test_f1_partial_overlap() -> None:
    # pred tokens: [denver, broncos, won] ; gold: [broncos]  -> precision 1/3, recall 1
    assert f1("Broncos", "Denver Broncos won") == pytest.approx(0.5)
    # repeated tokens count as often as both sides have them
    assert f1("a b b c", "b b b") == pytest.approx(2 * (2 / 3) * (2 / 3) / (4 / 3))
    assert f1("Denver", "Carolina") == 0.0


def test_f1_with_empty_sides() -> None:
    assert f1("", "") == 1.0
    assert f1("", "Denver") == 0.0
    assert f1("Denver", "") == 0.0
    assert f1("", "the") == 1.0  # "the" normalizes to empty, as in the official script


def test_best_gold_answer_counts_and_empty_golds_are_dropped() -> None:
    question = _question("1", ("", "the", "Denver Broncos", "Broncos"))
    assert question.gold == ["Denver Broncos", "Broncos"]
    assert question.has_answer
    dataset = SquadDataset([question])
    exact, token_f1 = raw_scores(dataset, {"1": "broncos"})
    assert exact == {"1": 1}
    assert token_f1 == {"1": 1.0}
    assert not _question("2", ()).has_answer
    assert _question("2", ()).gold == [""]


def test_evaluate_reports_the_answerable_and_unanswerable_parts() -> None:
    dataset = SquadDataset([_question("a", ("Paris",)), _question("b", ("blue whale",)), _question("c", ())])
    report = evaluate(dataset, {"a": "Paris", "b": "whale", "c": ""})
    assert report["total"] == 3
    assert report["HasAns_total"] == 2 and report["NoAns_total"] == 1
    assert report["HasAns_exact"] == pytest.approx(50.0)
    assert report["HasAns_f1"] == pytest.approx(100 * (1 + 2 / 3) / 2)
    assert report["NoAns_exact"] == 100.0
    assert report["f1"] == pytest.approx(100 * (1 + 2 / 3 + 1) / 3)


def test_na_prob_threshold_turns_predictions_into_no_answer() -> None:
    dataset = SquadDataset([_question("a", ("Paris",)), _question("c", ())])
    predictions = {"a": "Paris", "c": "Lyon"}
    assert evaluate(dataset, predictions)["exact"] == 50.0
    report = evaluate(dataset, predictions, {"a": 0.2, "c": 0.9}, na_prob_threshold=0.5)
    assert report["exact"] == 100.0
    assert report["best_f1"] == 100.0
    assert 0.2 <= report["best_f1_thresh"] < 0.9


def _brute_force_best(dataset: SquadDataset, predictions: dict, scores: dict, na_probs: dict) -> float:
    best = 0.0
    for threshold in [-1.0, *sorted(na_probs.values())]:
        total = 0.0
        for question in dataset.questions:
            if na_probs[question.id] > threshold:
                total += float(not question.has_answer)
            else:
                total += scores[question.id] if question.has_answer else float(not predictions[question.id])
        best = max(best, 100.0 * total / len(dataset))
    return best


def test_best_threshold_matches_a_brute_force_search() -> None:
    rng = random.Random(7)
    for _ in range(30):
        questions = [_question(str(i), ("x y z",) if rng.random() < 0.5 else ()) for i in range(25)]
        dataset = SquadDataset(questions)
        predictions = {q.id: rng.choice(["x y z", "x", "q", ""]) for q in questions}
        na_probs = {q.id: rng.random() for q in questions}  # distinct values
        _, token_f1 = raw_scores(dataset, predictions)
        best, threshold = find_best_threshold(dataset, predictions, token_f1, na_probs)
        assert best == pytest.approx(_brute_force_best(dataset, predictions, token_f1, na_probs))
        # the threshold reproduces the best score
        assert evaluate(dataset, predictions, na_probs, na_prob_threshold=threshold)["f1"] == pytest.approx(best)


def test_parse_squad_reads_questions_and_paragraphs() -> None:
    data = {
        "version": "v2.0",
        "data": [
            {
                "title": "T",
                "paragraphs": [
                    {
                        "context": "Paris is in France.",
                        "qas": [
                            {"id": "1", "question": "Where?", "answers": [{"text": "France", "answer_start": 12}]},
                            {"id": "2", "question": "Who?", "answers": [], "is_impossible": True},
                        ],
                    }
                ],
            }
        ],
    }
    dataset = parse_squad(data)
    assert [q.id for q in dataset.questions] == ["1", "2"]
    assert dataset.paragraphs == {"0:0": "Paris is in France."}
    assert dataset.questions[0].paragraph_key == "0:0"
    assert dataset.head(1).paragraphs == dataset.paragraphs


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not JSON"),
        ("[1, 2]", "top level is not a JSON object"),
        ('{"version": "1.1"}', "has no 'data' list"),
        ('{"data": [{"title": "t"}]}', "data[0] has no 'paragraphs' list"),
        ('{"data": [{"paragraphs": [{"qas": []}]}]}', "has no 'context' text"),
        ('{"data": [{"paragraphs": [{"context": "c", "qas": [{"question": "q"}]}]}]}', "has no 'id'"),
        (
            '{"data": [{"paragraphs": [{"context": "c", "qas": [{"id": "1", "question": "q", "answers": [{}]}]}]}]}',
            "answer without 'text'",
        ),
        ('{"data": [{"paragraphs": [{"context": "c", "qas": []}]}]}', "holds no questions"),
        (
            '{"data": [{"paragraphs": [{"context": "c", "qas": '
            '[{"id": "1", "question": "q"}, {"id": "1", "question": "r"}]}]}]}',
            "repeats the question id",
        ),
    ],
)
def test_bad_files_give_one_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidDataset) as error:
        load_squad(path)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_missing_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidDataset, match="evaluation file not found"):
        load_squad(tmp_path / "nope.json")
    with pytest.raises(InvalidDataset, match="not a file"):
        load_squad(tmp_path)
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00junk")
    with pytest.raises(InvalidDataset, match="not UTF-8"):
        load_squad(binary)


@pytest.fixture(scope="module")
def squad2_dev() -> SquadDataset:
    if not SQUAD2_DEV.exists():
        pytest.skip(f"SQuAD 2.0 dev not at {SQUAD2_DEV}")
    return load_squad(SQUAD2_DEV)


def test_all_empty_predictions_on_squad2_dev(squad2_dev: SquadDataset) -> None:
    assert len(squad2_dev) == 11873
    report = evaluate(squad2_dev, {q.id: "" for q in squad2_dev.questions})
    assert report["exact"] == pytest.approx(100 * 5945 / 11873)
    assert report["exact"] == pytest.approx(50.0716, abs=5e-5)
    assert report["f1"] == report["exact"]
    assert report["NoAns_total"] == 5945 and report["HasAns_total"] == 5928
    assert report["HasAns_f1"] == 0.0 and report["NoAns_exact"] == 100.0


def test_gold_predictions_score_100(squad2_dev: SquadDataset) -> None:
    rng = random.Random(3)
    # any gold answer will do, even with an article and punctuation around it
    predictions = {q.id: "The " + rng.choice(q.gold) + "." for q in squad2_dev.questions}
    predictions.update({q.id: "" for q in squad2_dev.questions if not q.has_answer})
    report = evaluate(squad2_dev, predictions)
    assert report["exact"] == 100.0 and report["f1"] == 100.0
    assert report["HasAns_f1"] == 100.0 and report["NoAns_f1"] == 100.0


def test_squad1_file_reads_and_scores() -> None:
    if not SQUAD1_DEV.exists():
        pytest.skip(f"SQuAD 1.1 dev not at {SQUAD1_DEV}")
    dataset = load_squad(SQUAD1_DEV)
    assert len(dataset) == 10570
    assert all(q.has_answer for q in dataset.questions)
    report = evaluate(dataset, {q.id: q.gold[-1] for q in dataset.questions})
    assert report["f1"] == 100.0
    assert "NoAns_total" not in report
    wrong = evaluate(dataset, {q.id: "" for q in itertools.islice(dataset.questions, 100)})
    assert wrong["total"] == 100 and wrong["f1"] == 0.0


def test_json_round_trip_of_a_report(squad2_dev: SquadDataset) -> None:
    subset = squad2_dev.head(50)
    report = evaluate(subset, {q.id: "" for q in subset.questions}, {q.id: 0.5 for q in subset.questions})
    assert json.loads(json.dumps(report)) == report
