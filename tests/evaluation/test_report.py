"""The evaluation's figures: the pipeline's decisions and Haystack's stock reader scored with the official metric."""

from __future__ import annotations

from pathlib import Path

import pytest
from haystack import ExtractedAnswer

from extractive_qa.components.no_answer_decision import min_confidence
from extractive_qa.components.no_answer_threshold import NoAnswerThreshold
from extractive_qa.evaluation.decisions import pipeline_predictions, score_decision
from extractive_qa.evaluation.records import RecordFile, stock_record
from extractive_qa.evaluation.report import decide, evaluation_report, pipeline_scores, stock_report
from extractive_qa.evaluation.tuning import best_threshold
from tests.evaluation.stored_records import open_mode_records, synthetic_records


def test_the_scores_are_the_decisions_and_the_best_threshold_is_tune_thresholds() -> None:
    dataset, records = synthetic_records(200)
    decision = NoAnswerThreshold()
    scores = pipeline_scores(dataset, records, decision, threshold=-1.0)
    at = decision.with_rule(-1.0)
    assert scores["f1"] == pytest.approx(score_decision(dataset, records, at)["f1"])
    predictions, _, _ = pipeline_predictions(dataset, records, at, -1.0)
    assert scores["abstained"] == predictions.count("") > 0
    tuned, swept = best_threshold(dataset, records, decision)
    assert (scores["best_threshold"], scores["best_threshold_f1"]) == (tuned, swept.f1)
    assert scores["best_min_confidence"] == min_confidence("null_score_diff", tuned)
    assert scores["best_f1"] >= scores["f1"]  # the official metric's best threshold over the no-answer probabilities
    assert (scores["signal"], scores["threshold"], scores["term_check"]) == ("null_score_diff", -1.0, False)
    assert scores == pipeline_scores(
        dataset, records, decision, threshold=-1.0, decided=decide(dataset, records, decision, -1.0)
    )
    assert pipeline_scores(dataset, records, decision)["threshold"] == decision.threshold


def test_the_term_check_is_reported_in_open_mode_only() -> None:
    dataset, records = open_mode_records(40)
    decision = NoAnswerThreshold(min_term_coverage=0.6)
    fingerprint = {
        "mode": "open",
        "reader": {"init_parameters": {"model": "some/model", "max_seq_length": 384, "stride": 128}},
        "retriever": {"init_parameters": {"top_k": 7}},
    }
    report = evaluation_report(dataset, records, decision, fingerprint)
    assert (report["mode"], report["model"], report["questions"]) == ("open", "some/model", 40)
    assert report["settings"] == {
        "max_seq_length": 384,
        "stride": 128,
        "max_query_length": None,
        "max_answer_length": None,
        "retriever_top_k": 7,
    }
    assert report["ours"]["term_check"] is True
    assert report["ours"]["f1"] == pytest.approx(score_decision(dataset, records, decision)["f1"])
    assert report["retrieval"]["retrieved_per_question"] == 1 and list(report["retrieval"]["answer_recall"]) == ["1"]
    reader_mode = evaluation_report(dataset, records, decision, {**fingerprint, "mode": "reader"})
    assert reader_mode["ours"]["term_check"] is False
    assert "retrieval" not in reader_mode and "retriever_top_k" not in reader_mode["settings"]


def test_the_stock_report_scores_its_own_decision_and_its_best_threshold(tmp_path: Path) -> None:
    dataset, _ = synthetic_records(4)
    records = RecordFile(tmp_path / "stock-records.jsonl", {"format": 1})
    made = []
    for number, question in enumerate(dataset.questions):
        real = ExtractedAnswer(query=question.question, score=0.2 + 0.2 * number, data="Paris")
        empty = ExtractedAnswer(query=question.question, score=0.5, data=None)
        answers = [real, empty] if real.score >= 0.5 else [empty, real]  # the stock reader's order: by score
        made.append(stock_record(question, answers, seconds=0.01))
    records.extend(made)
    report = stock_report(dataset, records)
    answerable = [q.has_answer for q in dataset.questions]
    answered = [r["prediction"] == "Paris" for r in made]
    assert answered == [False, False, True, True]
    assert report["total"] == 4
    assert report["exact"] == pytest.approx(100.0 * sum(a == b for a, b in zip(answerable, answered, strict=True)) / 4)
    assert report["abstained"] == 2
    assert report["best_threshold"] == pytest.approx(1.0 - report["best_f1_thresh"])
    assert report["best_f1"] >= report["f1"]
