"""NoAnswerThreshold's calibrated signal and its answerability features."""

from __future__ import annotations

import math

import pytest
import yaml
from haystack import Document, ExtractedAnswer, Pipeline

from extractive_qa.components.answerability_features import FEATURES, compute_features
from extractive_qa.components.no_answer_threshold import NoAnswerThreshold
from extractive_qa.testing.extracted_answers import no_answer_entry, span_answer
from extractive_qa.testing.haystack_major import TRUST_COMPONENTS

DOC = Document(content="The Normans gave their name to Normandy, a region in France. Rollo was their leader.")


def _answer(text: str, score: float, span: float, null: float, query: str = "In what country is Normandy?"):
    meta = {"span_logit": span, "null_logit": null, "null_score_diff": null - span}
    return span_answer(DOC, text, query=query, score=score, meta=meta)


def _no_answer(diff: float, query: str = "In what country is Normandy?") -> ExtractedAnswer:
    return no_answer_entry(query=query, meta={"null_score_diff": diff})


CALIBRATION = {"intercept": -1.0, "weights": {"span_logit": 0.5, "missing_names": -3.0}}


def test_features_of_an_answer() -> None:
    best = _answer("France", 0.9, 9.0, 1.0)
    other = _answer("Normandy", 0.6, 5.0, 1.0)
    answers = [best, other, _no_answer(-8.0)]
    values = compute_features(best, answers, list(FEATURES))
    assert values["null_score_diff"] == -8.0
    assert values["span_logit"] == 9.0
    assert values["null_logit"] == 1.0
    assert values["score"] == 0.9
    assert values["query_null_score_diff"] == -8.0
    assert values["runner_up_gap"] == 4.0
    assert values["answer_words"] == 1.0
    # question words without function words: country, normandy (in, what, is dropped)
    assert values["question_words"] == 2.0
    assert values["document_coverage"] == 0.5  # "normandy" is there, "country" is not
    assert values["document_missing"] == 1.0
    assert values["missing_names"] == 0.0  # Normandy is in the text
    assert values["negation"] == 0.0
    assert compute_features(other, answers, ["runner_up_gap"]) == {"runner_up_gap": -4.0}


def test_question_words_missing_from_the_text() -> None:
    query = "Which king did not rule Normandy in 1066?"
    answer = _answer("Rollo", 0.8, 7.0, 2.0, query=query)
    values = compute_features(answer, [answer], ["missing_names", "negation", "document_missing"])
    # missing names: 1066; missing words: king, not, rule, 1066
    assert values == {"missing_names": 1.0, "negation": 1.0, "document_missing": 4.0}


def test_unknown_feature() -> None:
    with pytest.raises(ValueError, match="unknown feature"):
        compute_features(_answer("France", 0.9, 9.0, 1.0), [], ["shoe_size"])


def test_calibrated_decision_follows_the_probability() -> None:
    component = NoAnswerThreshold(threshold=0.5, signal="calibrated", calibration=CALIBRATION)
    answers = [_answer("France", 0.9, 9.0, 1.0), _answer("Normandy", 0.6, 1.0, 1.0), _no_answer(-8.0)]
    result = component.run(answers=answers)["answers"]
    # p(France) = sigmoid(-1 + 4.5) passes; p(Normandy) = sigmoid(-1 + 0.5) does not
    assert [a.data for a in result] == ["France", None, "Normandy"]
    assert result[0].meta["answerable_probability"] == pytest.approx(1 / (1 + math.exp(-3.5)))
    assert result[1].meta["answerable"] is True and result[1].meta["signal"] == "calibrated"
    # a run-time threshold above both probabilities gives "no answer"
    result = component.run(answers=answers, threshold=0.99)["answers"]
    assert result[0].data is None and result[0].meta["answerable"] is False


def test_missing_names_make_the_calibrated_rule_abstain() -> None:
    component = NoAnswerThreshold(threshold=0.5, signal="calibrated", calibration=CALIBRATION)
    plain = "In what country is Normandy?"
    swapped = "In what country was Normandy founded by Napoleon in 1066?"  # two names the text lacks
    for query, expected in ((plain, "France"), (swapped, None)):
        answers = [_answer("France", 0.9, 9.0, 1.0, query=query), _no_answer(-8.0, query=query)]
        # z = -1 + 0.5 * 9 - 3 * missing names: 3.5 passes, -2.5 does not
        assert component.run(answers=answers)["answers"][0].data == expected


def test_the_other_signals_are_unchanged() -> None:
    answers = [_answer("France", 0.9, 9.0, 1.0), _no_answer(-8.0)]
    assert NoAnswerThreshold(threshold=0.0).run(answers=answers)["answers"][0].data == "France"
    assert NoAnswerThreshold(threshold=-9.0).run(answers=answers)["answers"][0].data is None
    assert NoAnswerThreshold(threshold=0.95, signal="score").run(answers=answers)["answers"][0].data is None
    assert NoAnswerThreshold(threshold=0.85, signal="score").run(answers=answers)["answers"][0].data == "France"
    assert "answerable_probability" not in NoAnswerThreshold().run(answers=answers)["answers"][0].meta


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"signal": "calibrated"}, "needs calibration coefficients"),
        ({"signal": "magic"}, "signal must be one of"),
        ({"signal": "calibrated", "calibration": {"intercept": 0.0}}, "must be a mapping"),
        ({"signal": "calibrated", "calibration": {"weights": {"shoe_size": 1.0}}}, "unknown calibration feature"),
        ({"signal": "calibrated", "calibration": {"weights": {"score": "high"}}}, "must be numbers"),
        ({"signal": "calibrated", "calibration": {"weights": {"score": float("nan")}}}, "finite"),
    ],
)
def test_invalid_calibrations(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        NoAnswerThreshold(**kwargs)


def test_round_trip_through_a_yaml_pipeline() -> None:
    component = NoAnswerThreshold(threshold=0.42, signal="calibrated", calibration=CALIBRATION)
    data = component.to_dict()
    assert data["init_parameters"]["calibration"] == CALIBRATION
    assert NoAnswerThreshold.from_dict(data).to_dict() == data
    pipeline = Pipeline()
    pipeline.add_component("threshold", component)
    loaded = Pipeline.loads(pipeline.dumps(), **TRUST_COMPONENTS)
    restored = loaded.get_component("threshold")
    assert restored.signal == "calibrated" and restored.threshold == 0.42
    assert restored.calibration == CALIBRATION
    # the plain signals serialize as before (no calibration key)
    assert "calibration" not in NoAnswerThreshold().to_dict()["init_parameters"]
    assert (
        yaml.safe_load(Pipeline.dumps(loaded))["components"]["threshold"]["init_parameters"]["signal"] == "calibrated"
    )


def test_calibrated_needs_the_readers_evidence() -> None:
    component = NoAnswerThreshold(threshold=0.5, signal="calibrated", calibration=CALIBRATION)
    bare = ExtractedAnswer(query="q", score=0.9, data="x", meta={})
    with pytest.raises(ValueError, match="span_logit"):
        component.run(answers=[bare])
