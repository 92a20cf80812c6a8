"""
Accuracy guard for the fast reader: does a precision keep the fp32 reader's answers?

Reader mode on SQuAD 2.0 (each question with its own paragraph): the project's ExtractiveQAReader answers every
question twice, in the reference precision (fp32) and in the candidate (default: `auto`, i.e. what the query
pipeline uses on this machine). It reports

- agreement: the share of questions whose best span (character offsets) is the same in both,
- decision agreement: the same, after the SQuAD 2.0 null-score rule (no answer when the null score beats the best
  span by more than `--threshold`), i.e. whether the final answers match,
- EM, F1 and HasAns F1 of both (the project's official SQuAD 2.0 metric, `extractive_qa/evaluation/squad_metric.py`),
- the time each took.

It exits with status 1 when agreement falls below `--min-agreement` (99%) or the F1 drops by more than
`--max-f1-drop` (0.3), so it can guard a change.

Usage:
```
flock /tmp/bench.lock python benchmarks/reader_accuracy_guard.py                 # all 5,566 held-out questions
python benchmarks/reader_accuracy_guard.py --limit 500 --precision bf16
python benchmarks/reader_accuracy_guard.py --model path/to/model --data dev-v2.0.json --json guard.json
```
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


sys.path.insert(0, str(ROOT))

from extractive_qa.evaluation.squad_metric import SquadDataset, SquadQuestion, evaluate, load_squad  # noqa: E402
from extractive_qa.testing.paths import HELDOUT as DEFAULT_DATA  # noqa: E402
from extractive_qa.testing.paths import SHARED_MODEL as DEFAULT_MODEL  # noqa: E402


def load_questions(path: Path, limit: int | None) -> SquadDataset:
    """The file's questions in file order; `limit` spreads a sample over the file."""
    dataset = load_squad(path)
    if limit and limit < len(dataset):
        step = len(dataset) // limit
        dataset = dataset.subset([q.id for q in dataset.questions[::step][:limit]])
    return dataset


def answer_all(
    model: str, precision: str, items: list[SquadQuestion], chunk: int, threads: int | None
) -> dict[str, Any]:
    """Runs one reader over all items; returns per-question best span, null-score difference, and the seconds."""
    import torch
    from haystack import Document

    from extractive_qa.components.reader import ExtractiveQAReader

    if threads:
        torch.set_num_threads(threads)
    reader = ExtractiveQAReader(model=model, precision=precision)
    reader.warm_up()
    results = []
    start = time.perf_counter()
    for begin in range(0, len(items), chunk):
        part = items[begin : begin + chunk]
        answers = reader.answer_batch([q.question for q in part], [[Document(content=q.context)] for q in part])
        for found in answers:
            spans = [a for a in found if a.data is not None]
            null = next(a for a in found if a.data is None)
            best = spans[0] if spans else None
            results.append(
                {
                    "span": [best.document_offset.start, best.document_offset.end] if best else None,
                    "text": best.data if best else "",
                    "null_score_diff": null.meta.get("null_score_diff", float("inf")),
                }
            )
    return {
        "precision": reader.resolved_precision,
        "verify_margin": reader.resolved_verify_margin,
        "windows": reader.stats["windows"],
        "rechecked_windows": reader.stats["rechecked_windows"],
        "seconds": time.perf_counter() - start,
        "answers": results,
    }


def scores(dataset: SquadDataset, run: dict[str, Any], threshold: float) -> dict[str, float]:
    """EM, F1 and HasAns F1 of a run's answers after the null-score decision, with the official metric."""
    predictions = {
        q.id: "" if answer["null_score_diff"] > threshold else answer["text"]
        for q, answer in zip(dataset.questions, run["answers"], strict=True)
    }
    report = evaluate(dataset, predictions)
    return {"EM": report["exact"], "F1": report["f1"], "HasAns_F1": report.get("HasAns_f1", 0.0)}


def compare(dataset: SquadDataset, reference: dict[str, Any], candidate: dict[str, Any], threshold: float) -> dict:
    n = len(dataset)
    same_span = same_decision = 0
    deltas = []
    for ref, cand in zip(reference["answers"], candidate["answers"], strict=True):
        same_span += ref["span"] == cand["span"]
        ref_pred = None if ref["null_score_diff"] > threshold else ref["span"]
        cand_pred = None if cand["null_score_diff"] > threshold else cand["span"]
        same_decision += ref_pred == cand_pred
        deltas.append(abs(ref["null_score_diff"] - cand["null_score_diff"]))
    deltas.sort()
    disagreements = [
        {"id": q.id, "question": q.question, "reference": ref["text"], "candidate": cand["text"]}
        for q, ref, cand in zip(dataset.questions, reference["answers"], candidate["answers"], strict=True)
        if ref["span"] != cand["span"]
    ]
    return {
        "questions": n,
        "span_agreement": 100 * same_span / n,
        "decision_agreement": 100 * same_decision / n,
        "null_score_diff_delta_median": deltas[n // 2],
        "null_score_diff_delta_max": deltas[-1],
        "reference": {"precision": reference["precision"], "seconds": reference["seconds"]}
        | scores(dataset, reference, threshold),
        "candidate": {
            "precision": candidate["precision"],
            "seconds": candidate["seconds"],
            "verify_margin": candidate["verify_margin"],
            "windows": candidate["windows"],
            "rechecked_windows": candidate["rechecked_windows"],
        }
        | scores(dataset, candidate, threshold),
        "disagreements": disagreements,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="QA model directory or hub id")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="SQuAD 2.0-format JSON")
    parser.add_argument("--precision", default="auto", help="the candidate precision (default auto)")
    parser.add_argument("--reference", default="fp32", help="the reference precision (default fp32)")
    parser.add_argument("--limit", type=int, default=None, help="a sample of this many questions (default all)")
    parser.add_argument("--chunk", type=int, default=64, help="questions per answer_batch call")
    parser.add_argument("--threshold", type=float, default=0.0, help="null-score threshold of the decision")
    parser.add_argument("--threads", type=int, default=None, help="torch threads")
    parser.add_argument("--min-agreement", type=float, default=99.0, help="required span agreement, %%")
    parser.add_argument("--max-f1-drop", type=float, default=0.3, help="allowed F1 loss, points")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    if not args.data.exists():
        parser.error(f"data not found: {args.data} (pass --data)")

    dataset = load_questions(args.data, args.limit)
    print(f"{len(dataset)} questions from {args.data.name}, model {args.model}", file=sys.stderr)
    reference = answer_all(str(args.model), args.reference, dataset.questions, args.chunk, args.threads)
    candidate = answer_all(str(args.model), args.precision, dataset.questions, args.chunk, args.threads)
    figures = compare(dataset, reference, candidate, args.threshold)

    ref, cand = figures["reference"], figures["candidate"]
    print(f"questions: {figures['questions']}")
    print(f"best span agreement:  {figures['span_agreement']:.2f}%  ({cand['precision']} vs {ref['precision']})")
    print(f"decision agreement:   {figures['decision_agreement']:.2f}%  (null-score threshold {args.threshold})")
    print(
        f"|null_score_diff change|: median {figures['null_score_diff_delta_median']:.4f}, "
        f"max {figures['null_score_diff_delta_max']:.4f}"
    )
    if cand["verify_margin"]:
        print(
            f"close calls rechecked in fp32: {cand['rechecked_windows']} of {cand['windows']} windows "
            f"({100 * cand['rechecked_windows'] / max(cand['windows'], 1):.1f}%), margin {cand['verify_margin']:.4f}"
        )
    print(f"{'precision':10s} {'EM':>7s} {'F1':>7s} {'HasAns F1':>9s} {'seconds':>8s}")
    for run in (ref, cand):
        print(f"{run['precision']:10s} {run['EM']:7.2f} {run['F1']:7.2f} {run['HasAns_F1']:9.2f} {run['seconds']:8.1f}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    failed = []
    if figures["span_agreement"] < args.min_agreement:
        failed.append(f"span agreement {figures['span_agreement']:.2f}% < {args.min_agreement}%")
    if ref["F1"] - cand["F1"] > args.max_f1_drop:
        failed.append(f"F1 drop {ref['F1'] - cand['F1']:.2f} > {args.max_f1_drop}")
    if failed:
        print("GUARD FAILED: " + "; ".join(failed))
        return 1
    print("guard passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
