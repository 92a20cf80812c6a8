"""
The figures of an evaluation: the official SQuAD 2.0 metric of the pipeline's decisions on the stored records (with
the best threshold as `tune-threshold` finds it), of Haystack's stock reader, and the report that gathers them with
the setup evaluated (and open mode's retrieval recall, `recall`).

Usage example:
```python
from extractive_qa.evaluation.report import pipeline_scores

scores = pipeline_scores(dataset, records, decision)
print(scores["f1"], scores["best_threshold"], scores["abstained"])
```
"""

from __future__ import annotations

from typing import Any

from extractive_qa.components.no_answer_decision import min_confidence
from extractive_qa.components.no_answer_threshold import NoAnswerThreshold
from extractive_qa.evaluation.decisions import pipeline_predictions
from extractive_qa.evaluation.recall import retrieval_recall
from extractive_qa.evaluation.records import RecordFile
from extractive_qa.evaluation.squad_metric import SquadDataset, evaluate
from extractive_qa.evaluation.tuning import best_threshold

Decided = tuple[list[str], list[str], list[float]]
"""The predictions, top answer texts and no-answer probabilities of `decisions.pipeline_predictions`."""
BEST_KEYS = ("best_exact", "best_exact_thresh", "best_f1", "best_f1_thresh")


def decide(
    dataset: SquadDataset, records: dict[str, dict[str, Any]], decision: NoAnswerThreshold, threshold: float | None
) -> Decided:
    """The pipeline's decisions on the stored questions at `threshold` (`None`: the decision's own)."""
    chosen = decision.threshold if threshold is None else float(threshold)
    return pipeline_predictions(dataset, records, decision, chosen)


def pipeline_scores(
    dataset: SquadDataset,
    records: dict[str, dict[str, Any]],
    decision: NoAnswerThreshold,
    *,
    threshold: float | None = None,
    decided: Decided | None = None,
    open_mode: bool = False,
) -> dict[str, Any]:
    """
    The metric of the pipeline's decisions at `threshold` (`None`: the decision's own), the official best threshold
    on the no-answer probabilities, the best threshold as `tune-threshold` writes it, and the rule scored.

    :param decided: The decisions at `threshold`, when already made (`decide`).
    :param open_mode: Whether the questions went through retrieval (the decision's term check applies).
    """
    chosen = decision.threshold if threshold is None else float(threshold)
    predictions, top_texts, na_probs = decided or decide(dataset, records, decision, threshold)
    ids = [q.id for q in dataset.questions]
    scores = evaluate(dataset, dict(zip(ids, predictions, strict=True)))
    best = evaluate(dataset, dict(zip(ids, top_texts, strict=True)), dict(zip(ids, na_probs, strict=True)))
    for key in BEST_KEYS:
        scores[key] = best[key]
    # the best threshold as tune-threshold finds and writes it (the official metric's lies on a step's edge)
    tuned, swept = best_threshold(dataset, records, decision)
    scores["best_threshold"] = tuned
    scores["best_threshold_f1"] = swept.f1
    scores["best_min_confidence"] = min_confidence(decision.signal, tuned)
    scores["signal"] = decision.signal
    scores["threshold"] = chosen
    scores["min_confidence"] = min_confidence(decision.signal, chosen)
    scores["min_term_coverage"] = getattr(decision, "min_term_coverage", 0.0)
    scores["term_check"] = open_mode and scores["min_term_coverage"] > 0  # reader mode: no retrieval
    scores["abstained"] = sum(1 for p in predictions if not p)
    return scores


def evaluation_report(
    dataset: SquadDataset,
    records: dict[str, dict[str, Any]],
    decision: NoAnswerThreshold,
    fingerprint: dict[str, Any],
    *,
    threshold: float | None = None,
    decided: Decided | None = None,
) -> dict[str, Any]:
    """
    The report of an evaluation of the setup `fingerprint` describes (`runner.Evaluation.fingerprint`): its mode,
    model and window settings, the pipeline's scores (`pipeline_scores`), and in open mode the retrieval recall.
    """
    mode = fingerprint["mode"]
    reader = fingerprint["reader"]["init_parameters"]
    scores = pipeline_scores(dataset, records, decision, threshold=threshold, decided=decided, open_mode=mode == "open")
    report: dict[str, Any] = {
        "mode": mode,
        "model": reader.get("model"),
        "questions": len(dataset),
        "settings": {k: reader.get(k) for k in ("max_seq_length", "stride", "max_query_length", "max_answer_length")},
        "ours": scores,
    }
    if mode == "open":
        report["retrieval"] = retrieval_recall(dataset, [records[q.id] for q in dataset.questions])
        report["settings"]["retriever_top_k"] = fingerprint["retriever"]["init_parameters"].get("top_k")
    return report


def stock_report(dataset: SquadDataset, records: RecordFile) -> dict[str, Any]:
    """The metric report of the stock reader: its own decision, and the best threshold on 1 - top score."""
    ids = [q.id for q in dataset.questions]
    rows = [records.records[i] for i in ids]
    result = evaluate(dataset, {i: r["prediction"] for i, r in zip(ids, rows, strict=True)})
    best = evaluate(
        dataset,
        {i: r["top_text"] for i, r in zip(ids, rows, strict=True)},
        {i: 1.0 - r["top_score"] for i, r in zip(ids, rows, strict=True)},
    )
    for key in BEST_KEYS:
        result[key] = best[key]
    result["best_threshold"] = 1.0 - best["best_f1_thresh"]  # as a threshold on the top answer's score
    result["abstained"] = sum(1 for r in rows if not r["prediction"])
    return result
