"""Writing a tuned rule into a pipeline YAML: comments kept, only the decision's lines changed, the result loads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from extractive_qa.app.pipeline_loader import build_pipeline
from extractive_qa.errors import TuningError
from extractive_qa.evaluation.tuned_yaml import set_threshold_in_yaml, write_tuned_yaml
from extractive_qa.evaluation.tuning import TuningResult
from extractive_qa.testing.paths import PIPELINES_DIR

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
