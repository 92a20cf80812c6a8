"""Cross-split scoring: the articles halved by title position, each half's tuned rule scored on the other."""

from __future__ import annotations

from extractive_qa.evaluation.splits import cross_split, halves
from tests.evaluation.stored_records import synthetic_records


def test_calibrated_beats_the_weak_signal_on_data_made_for_it() -> None:
    dataset, records = synthetic_records(800)
    by_score = cross_split(dataset, records, "score")
    calibrated = cross_split(dataset, records, "calibrated", ("span_logit", "null_logit"))
    assert calibrated["pooled"]["f1"] > by_score["pooled"]["f1"] + 5
    weights = calibrated["runs"][0]["tuned"]["calibration"]["weights"]
    assert weights["null_logit"] < 0  # a high null logit means "no answer"


def test_halves_alternate_sorted_titles() -> None:
    dataset, _ = synthetic_records(60)
    first, second = halves(dataset)
    assert {q.title for q in first.questions} == {"article 0", "article 2", "article 4"}
    assert {q.title for q in second.questions} == {"article 1", "article 3", "article 5"}
