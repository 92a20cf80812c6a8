"""`extractive-qa eval` and `extractive-qa tune-threshold`: bad input, and real runs with the shared small model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from extractive_qa.cli import main
from extractive_qa.evaluation.squad_metric import evaluate, load_squad
from extractive_qa.testing.haystack_major import HAYSTACK_MAJOR
from extractive_qa.testing.paths import HELDOUT, ROOT


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


SQUAD_V2 = {
    "version": "v2.0",
    "data": [
        {
            "title": "Paris",
            "paragraphs": [
                {
                    "context": "Paris is the capital of France.",
                    "qas": [
                        {"id": "a", "question": "What is the capital of France?", "answers": [{"text": "Paris"}]},
                        {"id": "b", "question": "What is the capital of Peru?", "answers": [], "is_impossible": True},
                    ],
                }
            ],
        }
    ],
}


@pytest.fixture
def small_file(tmp_path: Path) -> Path:
    path = tmp_path / "small.json"
    path.write_text(json.dumps(SQUAD_V2), encoding="utf-8")
    return path


# ---- bad input: one line and an exit code, never a traceback --------------------------------------------------------


@pytest.mark.parametrize("command", ["eval", "tune-threshold"])
def test_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str) -> None:
    code, out, err = _run(capsys, command, str(tmp_path / "nope.json"), "--output", str(tmp_path / "o"))
    assert code == 2
    assert err.strip() == f"error: evaluation file not found: {tmp_path / 'nope.json'}"
    assert out == ""


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json at all", "is not JSON"),
        (
            '{"data": [{"paragraphs": [{"context": "c"}]}]}',
            "is not in SQuAD format: data[0].paragraphs[0] has no 'qas'",
        ),
    ],
)
def test_not_squad(capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    code, _, err = _run(capsys, "eval", str(path), "--output", str(tmp_path / "o"))
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--limit", "0", "--limit must be at least 1, got 0"),
        ("--limit", "-1", "--limit must be at least 1, got -1"),
        ("--batch-size", "0", "--batch-size must be at least 1, got 0"),
        ("--retriever-top-k", "0", "--retriever-top-k must be at least 1, got 0"),
    ],
)
@pytest.mark.parametrize("command", ["eval", "tune-threshold"])
def test_bad_numbers(
    capsys: pytest.CaptureFixture[str], small_file: Path, command: str, option: str, value: str, message: str
) -> None:
    code, _, err = _run(capsys, command, str(small_file), option, value)
    assert code == 2
    assert err.strip() == f"error: {message}"


def test_not_a_number(capsys: pytest.CaptureFixture[str], small_file: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["eval", str(small_file), "--limit", "ten"])
    assert exit_info.value.code == 2
    assert "invalid int value: 'ten'" in capsys.readouterr().err


def test_output_that_is_a_file(capsys: pytest.CaptureFixture[str], small_file: Path) -> None:
    code, _, err = _run(capsys, "eval", str(small_file), "--output", str(small_file))
    assert code == 2
    assert "--output must be a folder" in err


def test_records_of_another_setup_are_not_mixed_in(
    capsys: pytest.CaptureFixture[str], small_file: Path, tmp_path: Path
) -> None:
    output = tmp_path / "o"
    output.mkdir()
    (output / "records.jsonl").write_text('{"fingerprint": {"mode": "open"}}\n', encoding="utf-8")
    code, _, err = _run(capsys, "eval", str(small_file), "--output", str(output))
    assert code == 2
    assert "holds results of a different setup" in err and "--restart" in err
    (output / "records.jsonl").write_text("garbage\n", encoding="utf-8")
    code, _, err = _run(capsys, "eval", str(small_file), "--output", str(output))
    assert code == 2 and "is not an evaluation record file" in err


def test_tuning_needs_unanswerable_questions(
    capsys: pytest.CaptureFixture[str], small_file: Path, tmp_path: Path
) -> None:
    data = json.loads(small_file.read_text(encoding="utf-8"))
    data["data"][0]["paragraphs"][0]["qas"].pop()
    v1 = tmp_path / "v1.json"
    v1.write_text(json.dumps(data), encoding="utf-8")
    code, _, err = _run(capsys, "tune-threshold", str(v1))
    assert code == 2 and "has no unanswerable questions" in err
    code, _, err = _run(capsys, "tune-threshold", str(small_file), "--signal", "score", "--features", "score")
    assert code == 2 and "--features applies to --signal calibrated only" in err


def test_missing_pipeline_file(capsys: pytest.CaptureFixture[str], small_file: Path, tmp_path: Path) -> None:
    code, _, err = _run(capsys, "eval", str(small_file), "--pipeline", str(tmp_path / "none.yml"))
    assert code == 2 and "pipeline file not found" in err


def test_bad_input_through_the_real_entry_point(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[]", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "extractive_qa.cli", "eval", str(bad)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"},
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip().endswith("is not in SQuAD format: the top level is not a JSON object")
    assert "Traceback" not in done.stderr


# ---- real runs with the shared small model ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def heldout_dataset():
    if not HELDOUT.exists():
        pytest.skip(f"SQuAD 2.0 held-out data not at {HELDOUT}")
    return load_squad(HELDOUT)


@pytest.mark.model
def test_eval_reader_mode_with_stock_comparison_and_resume(
    capsys: pytest.CaptureFixture[str], shared_model: Path, heldout_dataset, tmp_path: Path
) -> None:
    output = tmp_path / "run"
    args = ["eval", str(HELDOUT), "--model", str(shared_model), "--output", str(output), "--no-progress"]
    code, out, err = _run(capsys, *args, "--limit", "24", "--compare-stock", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["questions"] == 24 and report["questions_in_file"] == 5566 and report["mode"] == "reader"
    assert report["settings"] == {"max_seq_length": 384, "stride": 128, "max_query_length": 64, "max_answer_length": 30}
    ours, stock = report["ours"], report["stock"]
    assert report["stock_reader"] == ("ExtractiveReader" if HAYSTACK_MAJOR < 3 else "TransformersExtractiveReader")
    for scores in (ours, stock):
        assert scores["total"] == 24
        assert scores["HasAns_total"] + scores["NoAns_total"] == 24
        assert {"exact", "f1", "HasAns_f1", "NoAns_f1", "best_f1", "best_f1_thresh", "best_threshold"} <= set(scores)
        assert scores["best_f1"] >= scores["f1"] - 1e-9
    assert ours["HasAns_f1"] > 30  # a real reader finds real answers
    assert ours["signal"] == "null_score_diff" and ours["threshold"] == 0.0

    # the written predictions score the reported figures with the official metric
    predictions = json.loads((output / "predictions.json").read_text(encoding="utf-8"))
    subset = heldout_dataset.head(24)
    assert evaluate(subset, predictions)["f1"] == pytest.approx(ours["f1"])
    stock_predictions = json.loads((output / "stock-predictions.json").read_text(encoding="utf-8"))
    assert evaluate(subset, stock_predictions)["f1"] == pytest.approx(stock["f1"])
    na_probs = json.loads((output / "na_probs.json").read_text(encoding="utf-8"))
    assert set(na_probs) == set(predictions)
    assert json.loads((output / "report.json").read_text(encoding="utf-8"))["ours"] == ours
    assert len((output / "records.jsonl").read_text(encoding="utf-8").splitlines()) == 25

    # the same command again computes nothing and reports the same figures
    code, out, _ = _run(capsys, *args, "--limit", "24", "--compare-stock", "--json")
    again = json.loads(out)
    assert again["seconds_this_run"] == {"ours": 0.0, "stock": 0.0}
    assert again["ours"] == ours and again["stock"] == stock

    # an interrupted run leaves a cut line: it is dropped and recomputed, and a larger --limit adds the rest
    records = output / "records.jsonl"
    lines = records.read_text(encoding="utf-8").splitlines()
    records.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][:25], encoding="utf-8")
    code, out, _ = _run(capsys, *args, "--limit", "30")
    assert code == 0
    assert "ours (confidence >= 50%)" in out and "30 questions (first 30 of 5566)" in out
    assert "the YAML holds confidence >= 50% (null-score difference <= 0)" in out  # one unit, the raw value beside
    assert len(records.read_text(encoding="utf-8").splitlines()) == 31
    assert json.loads(records.read_text(encoding="utf-8").splitlines()[24])["id"] == subset.questions[23].id


@pytest.mark.model
def test_records_match_the_question_answerer(shared_model: Path, heldout_dataset, tmp_path: Path) -> None:
    """The batched evaluation path decides like the application's own `QuestionAnswerer.answer`."""
    from extractive_qa import QuestionAnswerer, Settings
    from extractive_qa.evaluation.decisions import pipeline_predictions
    from extractive_qa.evaluation.records import RecordFile
    from extractive_qa.evaluation.runner import Evaluation

    settings = Settings(model=str(shared_model), store_path=tmp_path / "store.json")
    evaluation = Evaluation(settings, progress=False, batch_size=4)
    subset = heldout_dataset.head(10)
    records = RecordFile(tmp_path / "records.jsonl", evaluation.fingerprint())
    evaluation.predict(subset, records)
    decision = evaluation.threshold_component()
    predictions, tops, _ = pipeline_predictions(subset, records.records, decision, decision.threshold)
    qa = QuestionAnswerer(settings)
    for question, prediction, top in zip(subset.questions, predictions, tops, strict=True):
        result = qa.answer(question.question, question.context)
        # reader mode is the reader's rule alone; over given texts the application also checks that the text
        # mentions the question's terms, which may only turn an answer into "no answer" saying so
        term_check = result.no_answer and result.answers[0].reason != "the best candidate is below the threshold"
        assert (result.best.text if result.best else "") == prediction or term_check, result.format()
        real = [a for a in result.answers if a.text is not None]
        assert (real[0].text if real else "") == top


@pytest.fixture(scope="module")
def records_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One folder of evaluation records shared by the tuning tests (the model reads each question once)."""
    return tmp_path_factory.mktemp("records")


@pytest.mark.model
def test_tune_threshold_writes_a_yaml_that_reproduces_its_figure(
    capsys: pytest.CaptureFixture[str], shared_model: Path, tmp_path: Path, records_dir: Path
) -> None:
    runs = records_dir
    tuned = tmp_path / "tuned.yml"
    common = ["--model", str(shared_model), "--limit", "120", "--no-progress"]
    code, out, err = _run(
        capsys,
        "tune-threshold",
        str(HELDOUT),
        *common,
        "--signal",
        "calibrated",
        "--eval-dir",
        str(runs),
        "--output",
        str(tuned),
        "--json",
    )
    assert code == 0, err
    summary = json.loads(out)
    result = summary["tuned"]
    assert result["signal"] == "calibrated" and set(result["calibration"]["weights"]) >= {"span_logit", "negation"}
    assert result["f1"] >= summary["before"]["f1"]
    assert summary["written"] == str(tuned)
    assert "cross_validated" not in summary  # the first 120 questions are all of one article
    text = tuned.read_text(encoding="utf-8")
    assert "# the settings of the model card's SQuAD 2.0 evaluation" in text  # comments kept
    assert "signal: calibrated" in text
    assert (ROOT / "pipelines" / "query.yml").read_text(encoding="utf-8") != text  # the original is untouched

    # evaluating with the written YAML (the records are reused) gives exactly the tuned figure
    code, out, err = _run(
        capsys, "eval", str(HELDOUT), *common, "--pipeline", str(tuned), "--output", str(runs), "--json"
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["seconds_this_run"]["ours"] == 0.0
    assert report["ours"]["signal"] == "calibrated"
    assert report["ours"]["f1"] == pytest.approx(result["f1"])
    assert report["ours"]["exact"] == pytest.approx(result["exact"])


@pytest.mark.model
def test_the_tuned_file_is_what_the_application_then_uses(
    capsys: pytest.CaptureFixture[str],
    shared_model: Path,
    tmp_path: Path,
    records_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from extractive_qa import QuestionAnswerer, Settings

    monkeypatch.chdir(tmp_path)
    shipped = (ROOT / "pipelines" / "query.yml").read_text(encoding="utf-8")
    common = ["--model", str(shared_model), "--limit", "120", "--no-progress"]
    code, out, err = _run(
        capsys, "tune-threshold", str(HELDOUT), *common, "--signal", "calibrated", "--eval-dir", str(records_dir)
    )
    assert code == 0, err
    # a new file in the current folder by default, never the package's own YAML
    assert "wrote query.tuned.yml; use it with: extractive-qa ask --pipeline query.tuned.yml" in out
    assert (ROOT / "pipelines" / "query.yml").read_text(encoding="utf-8") == shipped
    tuned_file = tmp_path / "query.tuned.yml"
    assert "an answer needs a confidence of at least" in tuned_file.read_text(encoding="utf-8")
    code, _, err = _run(
        capsys,
        "tune-threshold",
        str(HELDOUT),
        *common,
        "--eval-dir",
        str(records_dir),
        "--output",
        str(ROOT / "pipelines" / "query.yml"),
    )
    assert code == 2 and "does not write into the package's own pipelines folder" in err
    assert (ROOT / "pipelines" / "query.yml").read_text(encoding="utf-8") == shipped
    qa = QuestionAnswerer(Settings(model=str(shared_model), query_pipeline=tuned_file, store_path=tmp_path / "s.json"))
    decision = qa.query_pipeline.get_component("threshold")
    assert decision.signal == "calibrated" and decision.calibration is not None
    qa.index([ROOT / "data" / "Southern California.txt"])
    asked = qa.ask("What is Southern California often abbreviated as?")
    no_answer = next(a for a in asked.answers if a.text is None)
    assert no_answer.meta["signal"] == "calibrated" and no_answer.meta["threshold"] == decision.threshold
    assert all("answerable_probability" in a.meta for a in asked.answers if a.text is not None)
    given = qa.answer("Where do I live?", "My name is Wolfgang and I live in Berlin.")
    assert all("answerable_probability" in a.meta for a in given.answers if a.text is not None)

    # the live pipeline decides as the tuning assumed from the stored records (features rebuilt identically)
    from extractive_qa.evaluation.decisions import pipeline_predictions
    from extractive_qa.evaluation.records import load_records

    subset = load_squad(HELDOUT).head(25)
    records = {r["id"]: r for r in load_records(records_dir / "records.jsonl")}
    predictions, _, _ = pipeline_predictions(subset, records, decision, decision.threshold)
    live = [qa.answer(q.question, q.context) for q in subset.questions]
    below = "the best candidate is below the threshold"  # not the term check over the given text (reader mode has none)
    assert [r.best.text if r.best else "" for r in live] == [
        "" if r.no_answer and r.answers[0].reason != below else p for r, p in zip(live, predictions, strict=True)
    ]
    assert "" in predictions and any(predictions)  # some abstentions and some answers


@pytest.mark.model
def test_eval_on_half_of_the_articles(
    capsys: pytest.CaptureFixture[str], shared_model: Path, heldout_dataset, records_dir: Path
) -> None:
    code, out, err = _run(
        capsys,
        "eval",
        str(HELDOUT),
        "--model",
        str(shared_model),
        "--articles",
        "odd",
        "--limit",
        "8",
        "--output",
        str(records_dir),
        "--no-progress",
        "--json",
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["articles"] == "odd" and report["questions"] == 8
    predictions = json.loads((records_dir / "predictions.json").read_text(encoding="utf-8"))
    odd_titles = {q.title for q in heldout_dataset.half("odd").questions}
    by_id = {q.id: q for q in heldout_dataset.questions}
    assert len(predictions) == 8 and all(by_id[i].title in odd_titles for i in predictions)


@pytest.mark.model
def test_eval_open_mode_reports_retrieval_and_matches_the_pipeline(
    capsys: pytest.CaptureFixture[str], shared_model: Path, heldout_dataset, tmp_path: Path
) -> None:
    output = tmp_path / "open"
    code, out, err = _run(
        capsys,
        "eval",
        str(HELDOUT),
        "--model",
        str(shared_model),
        "--mode",
        "open",
        "--limit",
        "12",
        "--retriever-top-k",
        "3",
        "--output",
        str(output),
        "--no-progress",
        "--json",
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["mode"] == "open" and report["settings"]["retriever_top_k"] == 3
    retrieval = report["retrieval"]
    assert retrieval["retrieved_per_question"] == 3
    assert set(retrieval["paragraph_recall"]) == {"1", "3"}
    assert 0 < retrieval["paragraph_recall"]["3"] <= 100
    assert retrieval["paragraph_recall"]["1"] <= retrieval["paragraph_recall"]["3"]
    rows = [json.loads(line) for line in (output / "records.jsonl").read_text(encoding="utf-8").splitlines()[1:]]
    assert all(len(r["retrieved"]) == 3 for r in rows)

    # the same question through the pipeline's own run() gives the same answers
    from extractive_qa import Settings
    from extractive_qa.evaluation.runner import Evaluation

    evaluation = Evaluation(Settings(model=str(shared_model)), mode="open", retriever_top_k=3, progress=False)
    evaluation.index(heldout_dataset)
    question = heldout_dataset.questions[0]
    result = evaluation.pipeline.run(
        {"retriever": {"query": question.question, "top_k": 3}, "reader": {"query": question.question}}
    )
    texts = [a.data for a in result["threshold"]["answers"] if a.data is not None]
    stored = [a["text"] for a in rows[0]["answers"]]
    assert sorted(texts) == sorted(stored)


def test_fingerprint_names_a_local_model_by_its_real_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stored outputs are found again whether the model's folder is given relative, absolute or through a link."""
    from extractive_qa.evaluation.runner import Evaluation
    from extractive_qa.settings import Settings

    model = tmp_path / "models" / "qa"
    model.mkdir(parents=True)
    (tmp_path / "link").symlink_to(model)
    monkeypatch.chdir(tmp_path / "models")
    prints = [
        Evaluation(Settings(model=name, store_path=tmp_path / "s.json"), mode="reader").fingerprint()
        for name in ("qa", str(model), str(tmp_path / "link"))
    ]
    assert prints[0] == prints[1] == prints[2]
    assert prints[0]["reader"]["init_parameters"]["model"] == str(model.resolve())
    other = tmp_path / "models" / "other"
    other.mkdir()
    assert Evaluation(Settings(model="other", store_path=tmp_path / "s.json"), mode="reader").fingerprint() != prints[0]
    # a hub id is kept as it is
    hub = Evaluation(Settings(model="deepset/roberta-base-squad2", store_path=tmp_path / "s.json"), mode="reader")
    assert hub.fingerprint()["reader"]["init_parameters"]["model"] == "deepset/roberta-base-squad2"
