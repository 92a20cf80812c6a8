"""The calibrated signal's answerability model, fitted on stored records."""

from __future__ import annotations

import pytest

from extractive_qa.components.no_answer_threshold import ANSWERABILITY_FEATURES
from extractive_qa.errors import TuningError
from extractive_qa.evaluation.calibration import DEFAULT_FEATURES, RETRIEVAL_FEATURES, fit_calibration
from tests.evaluation.stored_records import synthetic_records


def test_the_fit_learns_what_the_evidence_says() -> None:
    dataset, records = synthetic_records(600)
    calibration = fit_calibration(dataset, records, ("span_logit", "null_logit"))
    assert set(calibration) == {"intercept", "weights"}
    assert list(calibration["weights"]) == ["span_logit", "null_logit"]
    assert calibration["weights"]["null_logit"] < -0.5  # a high null logit means "no answer"
    assert abs(calibration["weights"]["span_logit"]) < abs(calibration["weights"]["null_logit"])


def test_the_default_features_leave_out_those_of_the_passages_read() -> None:
    assert set(DEFAULT_FEATURES) | set(RETRIEVAL_FEATURES) == set(ANSWERABILITY_FEATURES)
    assert not set(DEFAULT_FEATURES) & set(RETRIEVAL_FEATURES)


def test_an_unknown_feature_is_refused() -> None:
    dataset, records = synthetic_records(20)
    with pytest.raises(TuningError, match="unknown feature\\(s\\) loudness; known: "):
        fit_calibration(dataset, records, ("span_logit", "loudness"))


def test_the_fit_needs_answerable_and_unanswerable_questions() -> None:
    dataset, records = synthetic_records(200)
    answerable = dataset.subset([q.id for q in dataset.questions if q.has_answer])
    with pytest.raises(TuningError, match="needs both answerable and unanswerable questions"):
        fit_calibration(answerable, records, ("span_logit",))
