"""
Stock ExtractiveReader vs the project's pipeline on the SQuAD 2.0 held-out articles, official SQuAD 2.0 metric.

Runs `extractive-qa eval` (the same `Evaluation` code) in reader mode and open mode with `--compare-stock`, then
tunes every no-answer rule on one half of the articles and scores it on the other half, both ways round (halves:
the held-out titles at even / odd positions in sorted order, as in ../shared/models/minilm-squad-mini/SCORES.md).
Writes `benchmarks/results/heldout_eval.md` and `.json`. Model outputs are stored under `--runs` as they are
computed, so an interrupted run resumes.

    flock /tmp/bench.lock python benchmarks/eval_heldout.py                 # both modes, ~1 h of 2-core CPU
    flock /tmp/bench.lock python benchmarks/eval_heldout.py --modes reader  # ~8 min

Also measures the reader without token type ids (the stock reader does not pass them; the small model was
fine-tuned without them), with `--token-type-check`.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extractive_qa.evaluation.calibration import DEFAULT_FEATURES  # noqa: E402
from extractive_qa.evaluation.decisions import pipeline_predictions  # noqa: E402
from extractive_qa.evaluation.records import RecordFile  # noqa: E402
from extractive_qa.evaluation.report import stock_report  # noqa: E402
from extractive_qa.evaluation.runner import Evaluation  # noqa: E402
from extractive_qa.evaluation.splits import cross_split, halves  # noqa: E402
from extractive_qa.evaluation.squad_metric import SquadDataset, evaluate, find_best_threshold, load_squad  # noqa: E402
from extractive_qa.evaluation.stock_reader import stock_reader_name  # noqa: E402
from extractive_qa.settings import Settings  # noqa: E402
from extractive_qa.testing.paths import SHARED  # noqa: E402

YARDSTICKS = {  # SCORES.md, reader mode, F1 (cross-split figures are averages of both halves)
    "stock ExtractiveReader, its own no-answer heuristic": 37.12,
    "null score rule, cross-split threshold": 52.86,
    "stock top score, cross-split threshold": 54.28,
    "linear mix of both, cross-split": 54.29,
}


def stock_cross_split(dataset: SquadDataset, rows: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The SCORES.md yardstick: no answer when 1 - the stock reader's top score exceeds a threshold tuned on the
    other half (official best-threshold search)."""
    runs = []
    pooled: dict[str, str] = {}
    for name, train, test in (("A->B", *halves(dataset)), ("B->A", *reversed(halves(dataset)))):
        predictions = {q.id: rows[q.id]["top_text"] for q in train.questions}
        na_probs = {q.id: 1.0 - rows[q.id]["top_score"] for q in train.questions}
        _, token_f1 = _raw(train, predictions)
        _, threshold = find_best_threshold(train, predictions, token_f1, na_probs)
        test_predictions = {
            q.id: ("" if 1.0 - rows[q.id]["top_score"] > threshold else rows[q.id]["top_text"]) for q in test.questions
        }
        pooled.update(test_predictions)
        runs.append({"direction": name, "threshold": 1.0 - threshold, "scored": evaluate(test, test_predictions)})
    return {
        "runs": runs,
        "average_f1": sum(r["scored"]["f1"] for r in runs) / 2,
        "average_exact": sum(r["scored"]["exact"] for r in runs) / 2,
        "pooled": evaluate(dataset, pooled),
    }


def _raw(dataset: SquadDataset, predictions: dict[str, str]) -> tuple[dict[str, int], dict[str, float]]:
    from extractive_qa.evaluation.squad_metric import raw_scores

    return raw_scores(dataset, predictions)


def run_mode(
    mode: str, dataset: SquadDataset, file: Path, runs: Path, settings: Settings, token_types: bool = True
) -> dict[str, Any]:
    evaluation = Evaluation(settings, mode=mode)  # type: ignore[arg-type]
    name = f"heldout-{mode}" + ("" if token_types else "-no-token-types")
    output = runs / name
    if not token_types:
        reader = evaluation.pipeline.get_component("reader")
        reader.tokenizer.model_input_names = [n for n in reader.tokenizer.model_input_names if n != "token_type_ids"]
    started = time.perf_counter()
    report = evaluation.run(file, output, compare_stock=token_types)
    print(f"{name}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    fingerprint = evaluation.fingerprint()
    records = RecordFile(output / "records.jsonl", fingerprint).records
    result: dict[str, Any] = {"report": report, "rules": {}}
    for signal in ("null_score_diff", "score", "calibrated"):
        result["rules"][signal] = cross_split(dataset, records, signal, DEFAULT_FEATURES)
    answerable = dataset.subset([q.id for q in dataset.questions if q.has_answer])
    _, tops, _ = pipeline_predictions(answerable, records, evaluation.threshold_component(), 0.0)
    result["top_answer_hasans_f1"] = {
        "ours": evaluate(answerable, {q.id: t for q, t in zip(answerable.questions, tops, strict=True)})["f1"]
    }
    if token_types:
        stock_rows = RecordFile(output / "stock-records.jsonl", evaluation.stock_fingerprint()).records
        result["top_answer_hasans_f1"]["stock"] = evaluate(
            answerable, {q.id: stock_rows[q.id]["top_text"] for q in answerable.questions}
        )["f1"]
        result["stock_cross_split"] = stock_cross_split(dataset, stock_rows)
        result["stock"] = stock_report(
            dataset, RecordFile(output / "stock-records.jsonl", evaluation.stock_fingerprint())
        )
    return result


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _line(name: str, scores: dict[str, Any], average: float | None = None, extra: str = "") -> str:
    return (
        f"| {name} | {_fmt(scores.get('exact'))} | {_fmt(scores.get('f1'))} | {_fmt(average)} | "
        f"{_fmt(scores.get('HasAns_exact'))} | {_fmt(scores.get('HasAns_f1'))} | {_fmt(scores.get('NoAns_f1'))} | "
        f"{extra} |"
    )


def markdown(results: dict[str, Any], command: str) -> str:
    lines = [
        f"# Held-out evaluation: stock {stock_reader_name()} vs the project's pipeline",
        "",
        f"Model `{results['model']}`, data `{results['data']}` ({results['questions']} questions, "
        f"{results['unanswerable']} unanswerable; 17 SQuAD 2.0 dev articles the model never saw). Official SQuAD 2.0 "
        "metric; max_seq_length 384, stride 128, max query length 64, max answer length 30.",
        "",
        f"Reproduce: `{command}` (machine: {results['machine']}).",
        "",
        "Cross-split rows: the rule (threshold, and for `calibrated` the answerability model) is tuned on one half "
        "of the articles and scored on the other, both ways round; EM / F1 / HasAns / NoAns are over all "
        "questions, each scored by the rule tuned on the half it is not in (pooled), and *avg F1* is the average "
        "of the two halves' F1 (the SCORES.md convention).",
        "",
    ]
    for mode, result in results["modes"].items():
        report = result["report"]
        lines += [f"## {mode} mode", ""]
        if mode == "open":
            settings = report["settings"]
            retrieval = report["retrieval"]
            lines += [
                f"Every paragraph of the file ({len(load_squad(results['data']).paragraphs)}) indexed in the "
                f"in-memory BM25 store; each question reads the top {settings['retriever_top_k']} passages.",
                "",
                "Retrieval recall@k (own paragraph, all questions): "
                + ", ".join(f"@{k} {v:.1f}" for k, v in retrieval["paragraph_recall"].items())
                + "; (a gold answer text in the passages, answerable questions): "
                + ", ".join(f"@{k} {v:.1f}" for k, v in retrieval["answer_recall"].items()),
                "",
            ]
        lines += [
            "| decision rule | EM | F1 | avg F1 | HasAns EM | HasAns F1 | NoAns | tuned |",
            "|---|---|---|---|---|---|---|---|",
            _line(f"stock {stock_reader_name()}, top answer (its own no-answer heuristic)", result["stock"]),
        ]
        stock = result["stock_cross_split"]
        lines.append(
            _line(
                "stock, no answer when 1 − top score > threshold (cross-split)",
                stock["pooled"],
                stock["average_f1"],
                ", ".join(f"{r['direction']}: score ≥ {r['threshold']:.4f}" for r in stock["runs"]),
            )
        )
        lines.append(_line("ours, null_score_diff ≤ 0 (pipeline default)", report["ours"]))
        names = {
            "null_score_diff": "ours, null_score_diff ≤ threshold (cross-split)",
            "score": "ours, score ≥ threshold (cross-split)",
            "calibrated": "**ours, calibrated answerability model (cross-split)**",
        }
        for signal, rule in result["rules"].items():
            tuned = ", ".join(f"{r['direction']}: {r['tuned']['threshold']:.4g}" for r in rule["runs"])
            lines.append(_line(names[signal], rule["pooled"], rule["average_f1"], tuned))
        seconds = report["seconds"]
        top = result["top_answer_hasans_f1"]
        lines += [
            "",
            f"Top answer alone (never abstaining), F1 on the answerable questions: ours {top['ours']:.2f}, "
            f"stock {top.get('stock', 0):.2f}.",
            "",
            f"Model time over the file: ours {seconds['ours']:.0f} s, stock {seconds.get('stock', 0):.0f} s "
            "(2-core CPU shared with other jobs; compare with care).",
            "",
        ]
    if "no_token_types" in results:
        result = results["no_token_types"]
        lines += [
            "## Reader input: with and without token type ids (reader mode)",
            "",
            "Our reader passes token type ids to BERT-style models; Haystack's stock reader does not, and this "
            "small model was fine-tuned without them (all zeros). The same pipeline with them left out:",
            "",
            "| decision rule | EM | F1 | avg F1 | HasAns EM | HasAns F1 | NoAns | tuned |",
            "|---|---|---|---|---|---|---|---|",
            _line("no token type ids, null_score_diff ≤ 0", result["report"]["ours"]),
        ]
        top_f1 = result["top_answer_hasans_f1"]["ours"]
        for signal, rule in result["rules"].items():
            tuned = ", ".join(f"{r['direction']}: {r['tuned']['threshold']:.4g}" for r in rule["runs"])
            lines.append(_line(f"no token type ids, {signal} (cross-split)", rule["pooled"], rule["average_f1"], tuned))
        lines += ["", f"Top answer alone, F1 on the answerable questions, without token type ids: {top_f1:.2f}.", ""]
    lines += ["## Yardsticks (SCORES.md, reader mode, F1)", ""]
    lines += [f"- {name}: {value:.2f}" for name, value in YARDSTICKS.items()]
    calibrated = results["modes"].get("reader", {}).get("rules", {}).get("calibrated")
    if calibrated:
        lines += [
            "",
            "The calibrated model tuned on half A (coefficients on raw feature values, as written into the YAML):",
            "",
            "```json",
            json.dumps(calibrated["runs"][0]["tuned"]["calibration"], indent=2),
            "```",
        ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=str(SHARED / "models" / "minilm-squad-mini"))
    parser.add_argument("--data", default=str(SHARED / "data" / "squad2" / "dev-v2.0-heldout.json"))
    parser.add_argument("--runs", default=str(ROOT / "eval-results" / "benchmark"), help="stored model outputs")
    parser.add_argument("--modes", default="reader,open")
    parser.add_argument("--token-type-check", action="store_true", help="also run the reader without token types")
    parser.add_argument("--results", default=str(ROOT / "benchmarks" / "results" / "heldout_eval"))
    args = parser.parse_args()
    data = Path(args.data)
    if not data.exists() or not Path(args.model).exists():
        print(f"needs {data} and {args.model} (../shared on the project's machines)", file=sys.stderr)
        return 2
    dataset = load_squad(data)
    settings = Settings(model=args.model, store_path=Path(args.runs) / "unused-store.json")
    results: dict[str, Any] = {
        "model": args.model,
        "data": str(data),
        "questions": len(dataset),
        "unanswerable": sum(1 for q in dataset.questions if not q.has_answer),
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} CPU cores",
        "halves": [sorted({q.title for q in half.questions}) for half in halves(dataset)],
        "modes": {},
    }
    for mode in [m.strip() for m in args.modes.split(",") if m.strip()]:
        results["modes"][mode] = run_mode(mode, dataset, data, Path(args.runs), settings)
    if args.token_type_check:
        results["no_token_types"] = run_mode("reader", dataset, data, Path(args.runs), settings, token_types=False)
    command = "flock /tmp/bench.lock python benchmarks/eval_heldout.py"
    if args.modes != "reader,open":
        command += f" --modes {args.modes}"
    if args.token_type_check:
        command += " --token-type-check"
    out = Path(args.results)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    out.with_suffix(".md").write_text(markdown(results, command), encoding="utf-8")
    print(markdown(results, command))
    return 0


if __name__ == "__main__":
    sys.exit(main())
