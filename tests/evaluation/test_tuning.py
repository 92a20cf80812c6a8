"""Threshold tuning: the exact sweep, the logistic fit, and editing the pipeline YAML in place."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from extractive_qa.app.pipeline_loader import build_pipeline
from extractive_qa.components.no_answer_threshold import NoAnswerThreshold
from extractive_qa.evaluation.squad_metric import SquadDataset, SquadQuestion
from extractive_qa.evaluation.tuning import (
    Outcome,
    TuningError,
    TuningResult,
    cross_split,
    fit_logistic,
    halves,
    score_decision,
    set_threshold_in_yaml,
    sweep,
    tune,
    write_tuned_yaml,
)
from tests.conftest import PIPELINES_DIR

# ---- the sweep ----------------------------------------------------------------------------------------------------


def _total_at(found: list[Outcome], key: float) -> float:
    total = 0.0
    for outcome in found:
        pick = next((i for i, k in enumerate(outcome.keys) if k <= key), None)
        total += outcome.empty_f1 if pick is None else outcome.f1[pick]
    return 100.0 * total / len(found)


def test_sweep_finds_the_best_threshold_of_the_first_passing_rule() -> None:
    rng = random.Random(11)
    for _ in range(40):
        found = []
        for _ in range(rng.randint(1, 30)):
            n = rng.randint(0, 4)
            answerable = rng.random() < 0.5
            found.append(
                Outcome(
                    keys=[round(rng.uniform(-5, 5), 1) for _ in range(n)],  # rounded: ties happen
                    f1=[rng.choice([0.0, 0.5, 1.0]) if answerable else 0.0 for _ in range(n)],
                    exact=[0.0] * n,
                    empty_f1=float(not answerable),
                    empty_exact=float(not answerable),
                )
            )
        result = sweep(found)
        candidates = sorted({k for o in found for k in o.keys} | {-99.0})
        brute = max(_total_at(found, k) for k in candidates)
        assert result.f1 == pytest.approx(brute)
        # the chosen threshold reproduces the figure (it lies strictly inside a step)
        assert _total_at(found, result.key) == pytest.approx(result.f1)


def test_sweep_needs_questions() -> None:
    with pytest.raises(TuningError, match="no labelled questions"):
        sweep([])


# ---- the logistic fit ---------------------------------------------------------------------------------------------


def test_fit_logistic_recovers_known_coefficients() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20000, 2)) * [1.0, 0.5] + [1.0, -3.0]
    z = 0.5 + 1.0 * x[:, 0] - 1.0 * x[:, 1]
    y = (rng.random(20000) < 1 / (1 + np.exp(-z))).astype(float)
    intercept, coefficients = fit_logistic(x, y, np.ones(len(y)), l2=0.0)
    # the maximum-likelihood solution: the gradient of the log loss vanishes
    p = 1 / (1 + np.exp(-(intercept + x @ coefficients)))
    assert np.abs(x.T @ (p - y)).max() < 1e-6 and abs(np.sum(p - y)) < 1e-6
    assert intercept == pytest.approx(0.5, abs=0.3)
    assert coefficients == pytest.approx([1.0, -1.0], abs=0.1)


def test_fit_logistic_weights_count_like_repetitions() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 1))
    y = (x[:, 0] + rng.normal(size=300) > 0).astype(float)
    weights = rng.integers(1, 4, size=300).astype(float)
    weighted = fit_logistic(x, y, weights, l2=0.0)
    repeated = fit_logistic(
        np.repeat(x, weights.astype(int), axis=0),
        np.repeat(y, weights.astype(int)),
        None or np.ones(int(weights.sum())),
        l2=0.0,
    )
    assert weighted[0] == pytest.approx(repeated[0], abs=1e-6)
    assert weighted[1] == pytest.approx(repeated[1], abs=1e-6)


# ---- tuning on stored records -------------------------------------------------------------------------------------


def _synthetic(n: int = 400, seed: int = 5) -> tuple[SquadDataset, dict[str, dict]]:
    """Questions whose answerability the null logit predicts well and the span logit poorly."""
    rng = random.Random(seed)
    questions, records = [], {}
    for i in range(n):
        answerable = rng.random() < 0.5
        title = f"article {i % 6}"
        qid = f"q{i}"
        gold = ("Paris",) if answerable else ()
        questions.append(SquadQuestion(qid, "Where is it?", "c", title, gold, article_index=i % 6, paragraph_index=0))
        null = rng.gauss(-2.0 if answerable else 2.0, 1.5)
        span = rng.gauss(5.0, 2.0)
        text = "Paris" if (answerable and rng.random() < 0.8) else "Lyon"
        records[qid] = {
            "id": qid,
            "answers": [
                {
                    "text": text,
                    "score": 1 / (1 + np.exp(-0.1 * span)),
                    "meta": {"span_logit": span, "null_logit": null, "null_score_diff": null - span},
                }
            ],
            "no_answer": {"text": None, "score": 0.5, "meta": {"null_score_diff": null - span}},
        }
    titles = sorted({q.title for q in questions})
    return SquadDataset(questions, titles=titles), records


@pytest.mark.parametrize("signal", ["null_score_diff", "score", "calibrated"])
def test_tuned_rule_reproduces_its_figure_through_the_component(signal: str) -> None:
    dataset, records = _synthetic()
    features = ("span_logit", "null_logit") if signal == "calibrated" else ()
    result = tune(dataset, records, signal=signal, features=features or ("span_logit",))
    scored = score_decision(dataset, records, result.decision())
    assert scored["f1"] == pytest.approx(result.f1)
    assert scored["exact"] == pytest.approx(result.exact)
    untuned = score_decision(dataset, records, NoAnswerThreshold())
    assert result.f1 >= untuned["f1"] - 1e-9 or signal == "score"


def test_calibrated_beats_the_weak_signal_on_data_made_for_it() -> None:
    dataset, records = _synthetic(800)
    by_score = cross_split(dataset, records, "score")
    calibrated = cross_split(dataset, records, "calibrated", ("span_logit", "null_logit"))
    assert calibrated["pooled"]["f1"] > by_score["pooled"]["f1"] + 5
    weights = calibrated["runs"][0]["tuned"]["calibration"]["weights"]
    assert weights["null_logit"] < 0  # a high null logit means "no answer"


def test_halves_alternate_sorted_titles() -> None:
    dataset, _ = _synthetic(60)
    first, second = halves(dataset)
    assert {q.title for q in first.questions} == {"article 0", "article 2", "article 4"}
    assert {q.title for q in second.questions} == {"article 1", "article 3", "article 5"}


# ---- YAML editing -------------------------------------------------------------------------------------------------


# the shipped decision's check of the question's terms, which tuning leaves as it is
TERM_CHECK = {
    key: value
    for key, value in yaml.safe_load((PIPELINES_DIR / "query.yml").read_text(encoding="utf-8"))["components"][
        "threshold"
    ]["init_parameters"].items()
    if key in ("min_term_coverage", "name_weight")
}


def test_set_threshold_keeps_comments_and_everything_else() -> None:
    text = (PIPELINES_DIR / "query.yml").read_text(encoding="utf-8")
    updated = set_threshold_in_yaml(text, "threshold", {"signal": "score", "threshold": 0.7225})
    old_lines, new_lines = text.splitlines(), updated.splitlines()
    assert len(old_lines) == len(new_lines)
    changed = [(a, b) for a, b in zip(old_lines, new_lines, strict=True) if a != b]
    assert changed == [
        ("      signal: null_score_diff", "      signal: score"),
        (
            "      threshold: 0.0  # an answer needs a confidence of at least 50%",
            "      threshold: 0.7225  # an answer needs a confidence of at least 72%",
        ),
    ]
    assert yaml.safe_load(updated)["components"]["threshold"]["init_parameters"] == {
        "signal": "score",
        "threshold": 0.7225,
        **TERM_CHECK,
    }


def test_calibration_block_is_added_then_replaced_then_removed() -> None:
    text = (PIPELINES_DIR / "query.yml").read_text(encoding="utf-8")
    first = {"signal": "calibrated", "threshold": 0.5, "calibration": {"intercept": 1.0, "weights": {"score": 2.0}}}
    second = {
        "signal": "calibrated",
        "threshold": 0.25,
        "calibration": {"intercept": -1.0, "weights": {"span_logit": 0.5, "missing_names": -1.5}},
    }
    once = set_threshold_in_yaml(text, "threshold", first)
    twice = set_threshold_in_yaml(once, "threshold", second)
    assert yaml.safe_load(once)["components"]["threshold"]["init_parameters"] == {**first, **TERM_CHECK}
    assert yaml.safe_load(twice)["components"]["threshold"]["init_parameters"] == {**second, **TERM_CHECK}
    back = set_threshold_in_yaml(twice, "threshold", {"signal": "null_score_diff", "threshold": 0.0})
    assert back == text  # byte for byte: the calibration block is gone, comments are where they were
    build_pipeline(yaml.safe_load(twice))  # loads


def test_comments_inside_the_component_survive() -> None:
    text = """components:
  threshold:  # the decision
    type: extractive_qa.components.no_answer_threshold.NoAnswerThreshold
    init_parameters:
      # tuned by hand
      threshold: 1.5  # was 0
      signal: null_score_diff
connections: []
"""
    updated = set_threshold_in_yaml(text, "threshold", {"signal": "null_score_diff", "threshold": -2.25})
    assert "# tuned by hand" in updated and "threshold: -2.25  # was 0" in updated
    assert "threshold:  # the decision" in updated


def test_flow_style_parameters_are_refused() -> None:
    text = (
        "components:\n  threshold:\n    type: extractive_qa.components.no_answer_threshold.NoAnswerThreshold\n"
        "    init_parameters: {threshold: 0.0}\n"
    )
    with pytest.raises(TuningError, match="not a block mapping"):
        set_threshold_in_yaml(text, "threshold", {"signal": "score", "threshold": 0.5})


def test_write_tuned_yaml_to_a_copy_and_in_place(tmp_path: Path) -> None:
    source = tmp_path / "query.yml"
    shutil.copy(PIPELINES_DIR / "query.yml", source)
    before = source.read_text(encoding="utf-8")
    result = TuningResult(
        "calibrated", 0.375, 60.0, 55.0, 10, {"intercept": 0.25, "weights": {"span_logit": 0.5, "negation": -1.0}}
    )
    copy = tmp_path / "out" / "tuned.yml"
    write_tuned_yaml(source, copy, result)
    assert source.read_text(encoding="utf-8") == before
    loaded = build_pipeline(yaml.safe_load(copy.read_text(encoding="utf-8"))).get_component("threshold")
    shipped = build_pipeline(yaml.safe_load(before)).get_component("threshold")
    assert loaded.to_dict() == shipped.with_rule(0.375, "calibrated", result.calibration).to_dict()
    assert (loaded.min_term_coverage, loaded.name_weight) == (shipped.min_term_coverage, shipped.name_weight)
    write_tuned_yaml(source, source, result)
    assert source.read_text(encoding="utf-8") == copy.read_text(encoding="utf-8")


def test_write_tuned_yaml_refuses_a_pipeline_without_the_component(tmp_path: Path) -> None:
    source = tmp_path / "indexing.yml"
    shutil.copy(PIPELINES_DIR / "indexing.yml", source)
    with pytest.raises(TuningError, match="no NoAnswerThreshold component"):
        write_tuned_yaml(source, source, TuningResult("score", 0.5, 0, 0, 0))


def _open_mode_records(n: int = 300, seed: int = 9) -> tuple[SquadDataset, dict[str, dict]]:
    """Open-mode questions whose wrong answers come from a passage that does not mention what is asked about."""
    rng = random.Random(seed)
    paragraphs = {"own": "The Skerr river runs through Veltmark.", "other": "The Loire river runs through Orleans."}
    questions, records = [], {}
    for i in range(n):
        answerable = rng.random() < 0.5
        qid = f"q{i}"
        gold = ("Skerr",) if answerable else ()
        questions.append(
            SquadQuestion(qid, "Which river runs through Veltmark?", "", f"article {i % 4}", gold, i % 4, 0)
        )
        key, text = ("own", "Skerr") if answerable else ("other", "Loire")
        diff = rng.gauss(-2.0, 1.5)  # the reader is as sure of both
        start = paragraphs[key].index(text)
        records[qid] = {
            "id": qid,
            "answers": [
                {
                    "text": text,
                    "score": 0.7,
                    "meta": {"null_score_diff": diff},
                    "document": key,
                    "offsets": [start, start + len(text)],
                }
            ],
            "no_answer": {"text": None, "score": 0.3, "meta": {"null_score_diff": diff}},
            "retrieved": [key],
            "retrieved_scores": [7.5],
        }
    dataset = SquadDataset(questions, titles=sorted({q.title for q in questions}), paragraphs=paragraphs)
    return dataset, records


def test_tuning_keeps_the_decisions_check_of_the_question_terms() -> None:
    dataset, records = _open_mode_records()
    checked = NoAnswerThreshold(min_term_coverage=0.6)
    result = tune(dataset, records, signal="null_score_diff", base=checked)
    decision = result.decision()
    assert (decision.min_term_coverage, decision.name_weight) == (0.6, 2.0)
    assert score_decision(dataset, records, decision)["f1"] == pytest.approx(result.f1) == pytest.approx(100.0)
    unchecked = tune(dataset, records, signal="null_score_diff")
    assert unchecked.f1 < 60  # without the check the reader cannot tell the passages apart
    calibrated = tune(dataset, records, signal="calibrated", features=("null_score_diff", "term_coverage"))
    assert calibrated.calibration["weights"]["term_coverage"] > 0  # a feature of the passages read
    assert calibrated.f1 == pytest.approx(100.0)
