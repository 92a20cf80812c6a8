"""
The evaluation commands of the command line: `extractive-qa eval FILE` and `extractive-qa tune-threshold FILE`.

They are registered by `extractive_qa.cli` through `add_evaluation_commands` and run by `run_evaluation_command`.
Heavy imports wait until a command runs, so `extractive-qa --help` stays fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from extractive_qa.components.no_answer_decision import SIGNALS
from extractive_qa.errors import QAError
from extractive_qa.utils import json_safe

EVALUATION_COMMANDS = ("eval", "tune-threshold")
MODE_CHOICES = ("reader", "open")  # extractive_qa.evaluation.runner.MODES
SIGNAL_CHOICES = SIGNALS  # light: the decision's rules import no Haystack
DEFAULT_OUTPUT_ROOT = Path("eval-results")


def _shared(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="a SQuAD v1.1 or v2.0 JSON file")
    parser.add_argument(
        "--mode",
        choices=MODE_CHOICES,
        default="reader",
        help="reader: each question over its own paragraph (as the model card measures); open: the file's "
        "paragraphs are indexed and each question goes through retrieval first (default reader)",
    )
    parser.add_argument("--limit", type=int, help="only the first N questions of the file")
    parser.add_argument(
        "--articles",
        choices=("even", "odd"),
        help="only the articles at even / odd positions of the sorted titles (for cross-split tuning and scoring)",
    )
    parser.add_argument("--batch-size", type=int, default=32, help="questions per pass through the model (default 32)")
    parser.add_argument("--retriever-top-k", type=int, help="open mode: passages retrieved per question")
    parser.add_argument("--restart", action="store_true", help="discard stored results instead of resuming them")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")


def add_evaluation_commands(commands: Any, common: Callable[[argparse.ArgumentParser], None] | None = None) -> None:
    """Adds `eval` and `tune-threshold` to the sub-command parsers of `extractive-qa`."""
    evaluate = commands.add_parser(
        "eval",
        help="evaluate the question pipeline on a SQuAD-format file (official SQuAD 2.0 metric)",
        description="Runs the query pipeline over a SQuAD v1.1/v2.0 file and reports exact match and F1 with the "
        "official SQuAD 2.0 metric (overall, HasAns, NoAns), the best no-answer threshold and its F1. "
        "Results are stored as they are computed; re-running with the same --output resumes.",
    )
    _shared(evaluate)
    evaluate.add_argument(
        "--output",
        help="folder for records.jsonl (resumable), predictions.json, na_probs.json and report.json "
        "(default eval-results/<file name>-<mode>)",
    )
    evaluate.add_argument(
        "--compare-stock",
        action="store_true",
        help="also run Haystack's stock reader (same model) and report its figures: ExtractiveReader on Haystack 2.x, "
        "TransformersExtractiveReader (transformers-haystack) on 3.x",
    )
    evaluate.add_argument("--threshold", type=float, help="no-answer threshold to score with (default: the YAML's)")
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON")
    if common is not None:
        common(evaluate)

    tune = commands.add_parser(
        "tune-threshold",
        help="tune the no-answer threshold on a labelled SQuAD 2.0 file and write a tuned query pipeline YAML",
        description="Finds the no-answer decision that maximizes F1 on a labelled SQuAD 2.0 file and writes a copy "
        "of the query pipeline's YAML with it (comments kept): query.tuned.yml in the current folder, or --output. "
        "Use the new file with 'extractive-qa ask --pipeline FILE', 'serve --pipeline FILE' or "
        "EQA_QUERY_PIPELINE=FILE. The threshold is shown as the confidence an answer needs, the unit 'ask' and the "
        "page show. Reuses the records of an earlier `extractive-qa eval` of the same file and mode.",
    )
    _shared(tune)
    tune.add_argument(
        "--signal",
        choices=SIGNAL_CHOICES,
        help="null_score_diff (SQuAD 2.0 null score), score (span score), or calibrated (a logistic answerability "
        "model over several reader features, fitted here); default: the pipeline's current signal",
    )
    tune.add_argument("--features", help="calibrated: comma-separated features (default: all)")
    tune.add_argument(
        "--eval-dir", help="folder of the evaluation records to reuse (default eval-results/<file name>-<mode>)"
    )
    tune.add_argument(
        "--output",
        help="where to write the tuned query pipeline YAML (default: <pipeline>.tuned.yml in the current folder, "
        "e.g. query.tuned.yml; never into the package's own pipelines); use it with --pipeline FILE or "
        "EQA_QUERY_PIPELINE=FILE",
    )
    tune.add_argument("--dry-run", action="store_true", help="report the tuned rule, write nothing")
    tune.add_argument("--json", action="store_true", help="print the result as JSON")
    if common is not None:
        common(tune)


def _default_dir(file: str, mode: str) -> Path:
    return DEFAULT_OUTPUT_ROOT / f"{Path(file).stem}-{mode}"


def _evaluation(args: argparse.Namespace, settings: Any) -> Any:
    from extractive_qa.evaluation.runner import Evaluation

    return Evaluation(  # the query pipeline: --pipeline / EQA_QUERY_PIPELINE, else the pipelines folder's
        settings,
        mode=args.mode,
        batch_size=args.batch_size,
        retriever_top_k=args.retriever_top_k,
        progress=not args.no_progress,
    )


def _check_numbers(args: argparse.Namespace) -> None:
    if args.limit is not None and args.limit < 1:
        raise QAError(f"--limit must be at least 1, got {args.limit}")
    if args.batch_size < 1:
        raise QAError(f"--batch-size must be at least 1, got {args.batch_size}")
    if args.retriever_top_k is not None and args.retriever_top_k < 1:
        raise QAError(f"--retriever-top-k must be at least 1, got {args.retriever_top_k}")


def run_evaluation_command(args: argparse.Namespace, settings: Any) -> int:
    """Runs `eval` or `tune-threshold` with the given `Settings`; returns the exit code."""
    _check_numbers(args)
    evaluation = _evaluation(args, settings)
    if args.command == "eval":
        return _eval(args, evaluation)
    return _tune(args, evaluation)


# ---- eval ---------------------------------------------------------------------------------------------------------


def _row(name: str, scores: dict[str, Any]) -> str:
    from extractive_qa.answers import percent

    def cell(key: str) -> str:
        return f"{scores[key]:6.2f}" if key in scores else "     -"

    best = ""
    if "best_min_confidence" in scores:  # ours: the best threshold as tune-threshold writes it, as a confidence
        best = f"{scores['best_threshold_f1']:6.2f} (confidence >= {percent(scores['best_min_confidence'])})"
    elif "best_f1" in scores:  # the stock reader: a threshold on its top answer's score
        best = f"{scores['best_f1']:6.2f} (score >= {scores['best_threshold']:.4g})"
    return (
        f"{name:<38} {cell('exact')} {cell('f1')}   {cell('HasAns_exact')} {cell('HasAns_f1')}   "
        f"{cell('NoAns_f1')}   {best}"
    )


def format_report(report: dict[str, Any]) -> str:
    """The evaluation report as a small table for people; thresholds as the confidence an answer needs."""
    from extractive_qa.answers import percent, rule_text
    from extractive_qa.components.no_answer_decision import min_confidence

    ours = report["ours"]
    rule = f"confidence >= {percent(min_confidence(ours['signal'], ours['threshold']))}"
    if ours.get("term_check"):
        rule += f", terms >= {ours['min_term_coverage']:g}"
    limited = f" (first {report['questions']} of {report['questions_in_file']})" if report.get("limit") else ""
    if report.get("articles"):
        limited += f" (the articles at {report['articles']} title positions)"
    lines = [
        f"{report['file']}: {report['questions']} questions{limited}, {report['mode']} mode, model {report['model']}",
        f"{'':<38} {'EM':>6} {'F1':>6}   {'HasEM':>6} {'HasF1':>6}   {'NoAns':>6}   best F1 (at threshold)",
        _row(f"ours ({rule})", ours),
    ]
    if "stock" in report:
        stock = f"stock {report.get('stock_reader', 'ExtractiveReader')}"
        lines.append(_row(f"{stock} (top answer)" if len(stock) <= 25 else stock, report["stock"]))
    if "retrieval" in report:
        retrieval = report["retrieval"]
        paragraph = ", ".join(f"@{k} {v:.1f}" for k, v in retrieval["paragraph_recall"].items())
        answer = ", ".join(f"@{k} {v:.1f}" for k, v in retrieval["answer_recall"].items())
        lines.append(f"retrieval recall (own paragraph, all questions): {paragraph}")
        lines.append(f"retrieval recall (gold answer text, answerable questions): {answer}")
    lines.append(
        "thresholds are the confidence an answer needs (as `ask` shows it); the YAML holds "
        f"{rule_text(ours['signal'], ours['threshold'])}"
    )
    seconds = ", ".join(f"{k} {v:.0f} s" for k, v in report["seconds"].items())
    lines.append(f"model time: {seconds}; outputs in {report['output']}")
    return "\n".join(lines)


def _eval(args: argparse.Namespace, evaluation: Any) -> int:
    output = Path(args.output).expanduser() if args.output else _default_dir(args.file, args.mode)
    report = evaluation.run(
        args.file,
        output,
        limit=args.limit,
        articles=args.articles,
        compare_stock=args.compare_stock,
        restart=args.restart,
        threshold=args.threshold,
    )
    report["output"] = str(output)
    if args.json:
        print(json.dumps(json_safe(report), indent=2, ensure_ascii=False, allow_nan=False))
    else:
        print(format_report(report))
    return 0


# ---- tune-threshold -----------------------------------------------------------------------------------------------


def _tune(args: argparse.Namespace, evaluation: Any) -> int:
    from extractive_qa.evaluation.calibration import DEFAULT_FEATURES
    from extractive_qa.evaluation.decisions import score_decision
    from extractive_qa.evaluation.records import RecordFile
    from extractive_qa.evaluation.splits import cross_split
    from extractive_qa.evaluation.squad_metric import load_squad
    from extractive_qa.evaluation.tuned_yaml import write_tuned_yaml
    from extractive_qa.evaluation.tuning import describe, tune
    from extractive_qa.pipeline_files import read_pipeline_yaml

    target = tuned_pipeline_path(evaluation.yaml_path, args.output)  # refused before any work
    dataset = load_squad(args.file)
    if args.articles is not None:
        dataset = dataset.half(args.articles)
    if args.limit is not None:
        dataset = dataset.head(args.limit)
    if args.mode == "open":
        evaluation.use_collection(dataset)
    if not any(not q.has_answer for q in dataset.questions):
        raise QAError(f"{args.file} has no unanswerable questions: tuning the no-answer threshold needs SQuAD 2.0 data")
    current = evaluation.threshold_component()
    signal = args.signal or current.signal
    features = DEFAULT_FEATURES
    if args.features:
        if signal != "calibrated":
            raise QAError("--features applies to --signal calibrated only")
        features = tuple(f.strip() for f in args.features.split(",") if f.strip())
    work = Path(args.eval_dir).expanduser() if args.eval_dir else _default_dir(args.file, args.mode)
    records = RecordFile(work / "records.jsonl", evaluation.fingerprint(), restart=args.restart)
    evaluation.predict(dataset, records)
    stored = {q.id: records.records[q.id] for q in dataset.questions}
    result = tune(dataset, stored, signal=signal, features=features, base=current)
    before = score_decision(dataset, stored, current)
    summary: dict[str, Any] = {"file": args.file, "mode": args.mode, "tuned": result.to_dict(), "before": before}
    if len({q.title for q in dataset.questions}) >= 2:
        summary["cross_validated"] = cross_split(dataset, stored, signal, features, base=current)
    raw_reader = read_pipeline_yaml(evaluation.yaml_path)["components"].get("reader") or {}
    raw_model = (raw_reader.get("init_parameters") or {}).get("model")  # the YAML's own, before the settings
    tuned_model = evaluation.fingerprint()["reader"]["init_parameters"].get("model")
    if not args.dry_run:
        write_tuned_yaml(evaluation.yaml_path, target, result)
        summary["written"] = str(target)
    if args.json:
        print(json.dumps(json_safe(summary), indent=2, ensure_ascii=False, allow_nan=False))
    else:
        print(f"tuned on {args.file} ({result.questions} questions, {args.mode} mode): {describe(result)}")
        current_rule = describe_current(current)
        print(f"before: {current_rule}: F1 {before['f1']:.2f}, EM {before['exact']:.2f}")
        if "cross_validated" in summary:
            crossed = summary["cross_validated"]
            print(
                f"cross-validated (tuned on half of the articles, scored on the other, both ways): "
                f"F1 {crossed['pooled']['f1']:.2f}, EM {crossed['pooled']['exact']:.2f}"
            )
        if args.dry_run:
            print("dry run: nothing written")
        else:
            print(f'wrote {target}; use it with: extractive-qa ask --pipeline {target} "QUESTION"')
    if raw_model and tuned_model and raw_model != tuned_model:
        print(
            f"note: tuned with the model {tuned_model}; the pipeline YAML's reader uses {raw_model} "
            "(set EQA_MODEL or --model when you use it)",
            file=sys.stderr,
        )
    return 0


def tuned_pipeline_path(source: Path, output: str | None) -> Path:
    """
    Where tune-threshold writes: `output`, else `<source's name>.tuned.yml` in the current folder (`query.tuned.yml`;
    a tuned file tuned again keeps its name). Never into the package's own pipelines folder: an installed package's
    files are not the user's to edit, and the shipped defaults stay as they are.

    :raises QAError: When the place is inside the package's pipelines folder.
    """
    from extractive_qa.settings import packaged_pipelines_dir

    stem = source.name.removesuffix(".yml").removesuffix(".yaml").removesuffix(".tuned")
    target = Path(output).expanduser() if output else Path(f"{stem}.tuned.yml")
    if target.resolve().is_relative_to(packaged_pipelines_dir()):
        raise QAError(
            f"tune-threshold does not write into the package's own pipelines folder ({target}); give --output a "
            "file elsewhere, e.g. --output query.tuned.yml"
        )
    return target


def describe_current(decision: Any) -> str:
    """The current decision rule in words: the confidence an answer needs (and the raw threshold of the YAML)."""
    from extractive_qa.answers import rule_text

    return rule_text(decision.signal, decision.threshold) + _term_check(decision)


def _term_check(decision: Any) -> str:
    coverage = getattr(decision, "min_term_coverage", 0.0)
    return f", and the passage mentions >= {coverage:g} of the question's terms (open mode)" if coverage else ""
