"""
Runs the project's question pipeline over a SQuAD-format file, resumably, and scores it with the SQuAD metric.

Two modes:

- `reader`: each question is read over its own paragraph (how the model card measures the model);
- `open`: the file's paragraphs are indexed into a fresh in-memory store and each question goes through the
  query pipeline's retriever first, so the figure includes retrieval (with its recall@k reported).

Every question's reader output (the de-duplicated answers with their scores and no-answer evidence, before the
no-answer decision) is appended to `records.jsonl` in the output folder as it is computed. A second run with the
same output folder skips the questions already there, and the no-answer decision is re-applied at scoring time
with the pipeline's current `NoAnswerThreshold`, so re-scoring after `tune-threshold` needs no model.

Usage example:
```python
from extractive_qa.evaluation.runner import Evaluation
from extractive_qa.settings import Settings

evaluation = Evaluation(Settings.from_env(model="deepset/roberta-base-squad2"), mode="reader")
report = evaluation.run("dev-v2.0.json", output_dir="eval-results/dev-reader", compare_stock=True)
print(report["ours"]["f1"], report["stock"]["f1"])
```
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from haystack import Document, ExtractedAnswer, Pipeline

from extractive_qa.app.pipeline_loader import build_pipeline, read_documents, warm_up
from extractive_qa.components.no_answer_decision import min_confidence
from extractive_qa.errors import EvaluationError
from extractive_qa.evaluation.decisions import pipeline_predictions
from extractive_qa.evaluation.records import RecordFile, answer_record, question_key, write_json
from extractive_qa.evaluation.squad_metric import SquadDataset, SquadQuestion, evaluate, load_squad
from extractive_qa.evaluation.stock_reader import stock_reader, stock_reader_class, stock_reader_name, stock_reader_path
from extractive_qa.evaluation.tuning import best_threshold
from extractive_qa.pipeline_files import (
    EMBEDDED_STORE_TYPE,
    MEMORY_STORE_TYPE,
    THRESHOLD_TYPE,
    apply_settings,
    pipeline_path,
    read_pipeline_yaml,
)
from extractive_qa.settings import Settings
from extractive_qa.utils import batched

Mode = Literal["reader", "open"]
MODES: tuple[str, ...] = ("reader", "open")
RECORDS_FORMAT = 3  # 3: open-mode records keep the retrieval scores (`retrieved_scores`)
STOCK_RECORDS_FORMAT = 1
RECALL_AT = (1, 3, 5, 10, 20, 50, 100)


# ---- records ------------------------------------------------------------------------------------------------------


# ---- the evaluation -----------------------------------------------------------------------------------------------


def _paragraph_key(question: SquadQuestion) -> str:
    return question.paragraph_key


@dataclass
class Evaluation:
    """
    Evaluates the query pipeline of the given settings (or an explicit pipeline YAML) on SQuAD-format files.

    :param settings: The application settings (model, pipelines folder, threshold override).
    :param mode: `"reader"` (each question over its paragraph) or `"open"` (retrieval over the file's paragraphs).
    :param pipeline_file: A query pipeline YAML to use instead of the settings' one.
    :param batch_size: Questions read per pass through the model.
    :param retriever_top_k: Open mode: passages retrieved per question (`None`: the pipeline's own value).
    :param progress: Whether to show progress bars.
    """

    settings: Settings
    mode: Mode = "reader"
    pipeline_file: Path | None = None
    batch_size: int = 32
    retriever_top_k: int | None = None
    progress: bool = True
    _pipeline: Pipeline | None = field(default=None, init=False, repr=False)
    _stock: Any = field(default=None, init=False, repr=False)
    _collection: str | None = field(default=None, init=False, repr=False)
    _scratch: tempfile.TemporaryDirectory | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise EvaluationError(f"mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        if self.batch_size < 1:
            raise EvaluationError(f"--batch-size must be at least 1, got {self.batch_size}")
        if self.retriever_top_k is not None and self.retriever_top_k < 1:
            raise EvaluationError(f"--retriever-top-k must be at least 1, got {self.retriever_top_k}")

    # ---- pipeline ---------------------------------------------------------------------------------------------

    @property
    def yaml_path(self) -> Path:
        """The query pipeline file evaluated."""
        return Path(self.pipeline_file) if self.pipeline_file else pipeline_path(self.settings, "query")

    def pipeline_data(self) -> dict[str, Any]:
        """The query pipeline's dictionary with the settings applied (and a private store for open mode)."""
        data = apply_settings(read_pipeline_yaml(self.yaml_path), self.settings)
        for name in ("reader", "deduplicator", "threshold"):
            if name not in data["components"]:
                raise EvaluationError(f"{self.yaml_path} has no '{name}' component")
        if self.mode == "open":
            retriever = data["components"].get("retriever")
            store = ((retriever or {}).get("init_parameters") or {}).get("document_store") or {}
            params = store.setdefault("init_parameters", {})
            if store.get("type") == MEMORY_STORE_TYPE:
                params["index"] = f"extractive-qa-eval-{uuid.uuid4().hex[:12]}"
            elif store.get("type") == EMBEDDED_STORE_TYPE:
                params["index_path"] = self._scratch_index()
            else:
                raise EvaluationError(
                    "open mode indexes the file's paragraphs into a fresh store of its own: evaluate the embedded or "
                    f"in-memory query pipeline (--store embedded or memory); {self.yaml_path} has neither"
                )
        return data

    def _scratch_index(self) -> str:
        """Open mode with the embedded store: a fresh index directory, removed when the evaluation is."""
        if self._scratch is None:
            self._scratch = tempfile.TemporaryDirectory(prefix="extractive-qa-eval-")
        return str(Path(self._scratch.name) / "index")

    @property
    def pipeline(self) -> Pipeline:
        """The query pipeline, built and warmed up once."""
        if self._pipeline is None:
            self._pipeline = warm_up(build_pipeline(self.pipeline_data()))
        return self._pipeline

    def fingerprint(self) -> dict[str, Any]:
        """What the stored reader outputs depend on: mode, reader, de-duplicator and retriever settings."""
        data = self.pipeline_data()
        components = data["components"]

        def params(name: str, drop: tuple[str, ...] = ()) -> dict[str, Any]:
            found = components.get(name) or {}
            init = dict(found.get("init_parameters") or {})
            for key in drop:
                init.pop(key, None)
            return {"type": found.get("type"), "init_parameters": init}

        reader = params("reader", drop=("device", "token", "max_batch_size", "cpu_workers"))
        model = reader["init_parameters"].get("model")
        if isinstance(model, str) and Path(model).expanduser().is_dir():
            # one local model, however its path is written (relative, absolute, through a link)
            reader["init_parameters"]["model"] = str(Path(model).expanduser().resolve())
        fingerprint: dict[str, Any] = {
            "format": RECORDS_FORMAT,
            "mode": self.mode,
            "reader": reader,
            "deduplicator": params("deduplicator"),
        }
        if self.mode == "open":
            retriever = params("retriever", drop=("document_store",))
            if self.retriever_top_k is not None:
                retriever["init_parameters"]["top_k"] = self.retriever_top_k
            fingerprint["retriever"] = retriever
            if self._collection is not None:
                fingerprint["collection"] = self._collection
        return json.loads(json.dumps(fingerprint, sort_keys=True, default=str))

    def stock_fingerprint(self) -> dict[str, Any]:
        """What the stored stock-reader outputs depend on: mode, model, window settings and retriever settings."""
        fingerprint = self.fingerprint()
        ours = fingerprint.pop("reader")["init_parameters"]
        fingerprint.pop("deduplicator")
        fingerprint["format"] = STOCK_RECORDS_FORMAT
        fingerprint["reader"] = {
            "type": stock_reader_path(),
            "init_parameters": {k: ours.get(k) for k in ("model", "max_seq_length", "stride", "top_k")},
        }
        return fingerprint

    def threshold_component(self, pipeline_file: Path | None = None) -> Any:
        """The pipeline's `NoAnswerThreshold`, built from the YAML (no model needed)."""
        data = apply_settings(read_pipeline_yaml(pipeline_file or self.yaml_path), self.settings)
        component = data["components"].get("threshold")
        if component is None or component.get("type") != THRESHOLD_TYPE:
            raise EvaluationError(f"{pipeline_file or self.yaml_path} has no NoAnswerThreshold component 'threshold'")
        from extractive_qa.components.no_answer_threshold import NoAnswerThreshold

        return NoAnswerThreshold.from_dict(component)

    # ---- running ----------------------------------------------------------------------------------------------

    def use_collection(self, dataset: SquadDataset) -> None:
        """Open mode: the documents are every paragraph of `dataset`'s file (part of the fingerprint)."""
        digest = hashlib.sha1()
        for key, text in sorted(dataset.paragraphs.items()):
            digest.update(f"{key}\x00{text}\x01".encode())
        self._collection = digest.hexdigest()[:16]

    def _documents(self, dataset: SquadDataset) -> list[Document]:
        titles = {q.paragraph_key: q.title for q in dataset.questions}
        return [
            Document(content=text, meta={"title": titles.get(key, ""), "paragraph": key, "file_name": key})
            for key, text in dataset.paragraphs.items()
        ]

    def _index(self, dataset: SquadDataset) -> None:
        store = self.pipeline.get_component("retriever").document_store  # type: ignore[attr-defined]
        if store.count_documents() == 0:
            store.write_documents(self._documents(dataset))

    def _retrieve(self, question: SquadQuestion) -> list[Document]:
        retriever = self.pipeline.get_component("retriever")
        kwargs: dict[str, Any] = {"query": question.question}
        if self.retriever_top_k is not None:
            kwargs["top_k"] = self.retriever_top_k
        return retriever.run(**kwargs)["documents"]

    def _contexts(self, questions: list[SquadQuestion]) -> tuple[list[list[Document]], list[list[str]] | None]:
        if self.mode == "reader":
            docs = [
                [Document(content=q.context, meta={"title": q.title, "paragraph": _paragraph_key(q)})]
                for q in questions
            ]
            return docs, None
        docs = [self._retrieve(q) for q in questions]
        return docs, [[str(d.meta.get("paragraph", d.id)) for d in found] for found in docs]

    def _answer(self, questions: list[SquadQuestion], documents: list[list[Document]]) -> list[list[ExtractedAnswer]]:
        return read_documents(self.pipeline, [q.question for q in questions], documents, decide=False)

    def predict(self, dataset: SquadDataset, records: RecordFile, *, desc: str = "ours") -> float:
        """Runs the questions that have no record yet; returns the seconds spent."""
        from tqdm import tqdm

        todo = [q for q in dataset.questions if records.get(q) is None]
        if not todo:
            return 0.0
        if self.mode == "open":
            self._index(dataset)
        started = time.perf_counter()
        bar = tqdm(total=len(dataset), initial=len(dataset) - len(todo), unit="q", desc=desc, disable=not self.progress)
        try:
            for batch in batched(todo, self.batch_size):
                batch_started = time.perf_counter()
                documents, retrieved = self._contexts(batch)
                answers = self._answer(batch, documents)
                seconds = (time.perf_counter() - batch_started) / len(batch)
                new = []
                for i, (question, found) in enumerate(zip(batch, answers, strict=True)):
                    no_answer = next((a for a in found if a.data is None), None)
                    record: dict[str, Any] = {
                        "id": question.id,
                        "key": question_key(question),
                        "answers": [answer_record(a) for a in found if a.data is not None],
                        "no_answer": answer_record(no_answer) if no_answer is not None else None,
                        "seconds": round(seconds, 5),
                    }
                    if retrieved is not None:
                        record["retrieved"] = retrieved[i]
                        record["retrieved_scores"] = [
                            None if d.score is None else round(float(d.score), 6) for d in documents[i]
                        ]
                    new.append(record)
                records.extend(new)
                bar.update(len(batch))
        finally:
            bar.close()
        return time.perf_counter() - started

    def stock_reader(self) -> Any:
        """Haystack's stock reader (`stock_reader`) with the same model and window settings as the pipeline's reader."""
        if self._stock is None:
            reader = self.pipeline.get_component("reader")
            stock = stock_reader(
                model=reader.model_name_or_path,
                device=getattr(reader, "device", None),
                token=getattr(reader, "token", None),
                top_k=getattr(reader, "top_k", 20),
                max_seq_length=getattr(reader, "max_seq_length", 384),
                stride=getattr(reader, "stride", 128),
                no_answer=True,
                model_kwargs=dict(getattr(reader, "model_kwargs", {}) or {}),
            )
            stock.warm_up()
            self._stock = stock
        return self._stock

    def predict_stock(self, dataset: SquadDataset, records: RecordFile) -> float:
        """Runs the stock reader over the questions without a stock record; returns the seconds spent."""
        from tqdm import tqdm

        todo = [q for q in dataset.questions if records.get(q) is None]
        if not todo:
            return 0.0
        if self.mode == "open":
            self._index(dataset)
        stock = self.stock_reader()
        started = time.perf_counter()
        bar = tqdm(
            total=len(dataset), initial=len(dataset) - len(todo), unit="q", desc="stock", disable=not self.progress
        )
        try:
            for batch in batched(todo, self.batch_size):
                documents, _ = self._contexts(batch)
                new = []
                for question, docs in zip(batch, documents, strict=True):
                    question_started = time.perf_counter()
                    answers = stock.run(query=question.question, documents=docs)["answers"]
                    real = [a for a in answers if a.data is not None]
                    top = max(real, key=lambda a: a.score) if real else None
                    new.append(
                        {
                            "id": question.id,
                            "key": question_key(question),
                            "prediction": (answers[0].data or "") if answers else "",
                            "top_text": top.data if top else "",
                            "top_score": float(top.score) if top else 0.0,
                            "seconds": round(time.perf_counter() - question_started, 5),
                        }
                    )
                records.extend(new)
                bar.update(len(batch))
        finally:
            bar.close()
        return time.perf_counter() - started

    # ---- scoring ----------------------------------------------------------------------------------------------

    def run(
        self,
        file: str | Path,
        output_dir: str | Path,
        *,
        limit: int | None = None,
        articles: str | None = None,
        compare_stock: bool = False,
        restart: bool = False,
        threshold: float | None = None,
    ) -> dict[str, Any]:
        """
        Evaluates the pipeline on a SQuAD-format file and writes predictions and a report into `output_dir`.

        :param file: A SQuAD v1.1 or v2.0 JSON file.
        :param output_dir: Where `records.jsonl` (resumable), `predictions.json`, `na_probs.json` and `report.json`
            go (and `stock-records.jsonl`, `stock-predictions.json` with `compare_stock`).
        :param limit: Only the first `limit` questions (of the selected articles).
        :param articles: `"even"` or `"odd"`: only the articles at even / odd positions of the sorted titles
            (open mode still indexes every paragraph of the file).
        :param compare_stock: Also run Haystack's stock reader (`ExtractiveReader` on Haystack 2.x,
            `TransformersExtractiveReader` on 3.x: `stock_reader`) and report its figures.
        :param restart: Discard earlier results in `output_dir` instead of resuming them.
        :param threshold: Overrides the pipeline's no-answer threshold for scoring.
        :returns: The report (also written to `report.json`).
        """
        if limit is not None and limit < 1:
            raise EvaluationError(f"--limit must be at least 1, got {limit}")
        if compare_stock:
            stock_reader_class()  # before any work: under Haystack 3 it needs transformers-haystack
        dataset = load_squad(file)
        total_in_file = len(dataset)
        if articles is not None:
            dataset = dataset.half(articles)
        if limit is not None:
            dataset = dataset.head(limit)
        if self.mode == "open":
            self.use_collection(dataset)
        output = Path(output_dir).expanduser()
        if output.exists() and not output.is_dir():
            raise EvaluationError(f"--output must be a folder, but {output} is a file")
        decision = self.threshold_component()
        fingerprint = self.fingerprint()
        records = RecordFile(output / "records.jsonl", fingerprint, restart=restart)
        seconds = self.predict(dataset, records)
        decided = self.decide(dataset, records, decision, threshold)
        report = self.report(dataset, records, decision, threshold=threshold, decided=decided)
        report.update(
            {
                "file": str(Path(file)),
                "version": dataset.version,
                "questions_in_file": total_in_file,
                "limit": limit,
                "articles": articles,
                "pipeline": str(self.yaml_path),
            }
        )
        report["seconds"] = {"ours": round(sum(records.records[q.id]["seconds"] for q in dataset.questions), 2)}
        report["seconds_this_run"] = {"ours": round(seconds, 2)}
        ids = [q.id for q in dataset.questions]
        write_json(output / "predictions.json", dict(zip(ids, decided[0], strict=True)))
        write_json(output / "na_probs.json", dict(zip(ids, decided[2], strict=True)))
        if compare_stock:
            stock_records = RecordFile(output / "stock-records.jsonl", self.stock_fingerprint(), restart=restart)
            stock_seconds = self.predict_stock(dataset, stock_records)
            report["stock"] = stock_report(dataset, stock_records)
            report["stock_reader"] = stock_reader_name()
            report["seconds"]["stock"] = round(
                sum(stock_records.records[q.id]["seconds"] for q in dataset.questions), 2
            )
            report["seconds_this_run"]["stock"] = round(stock_seconds, 2)
            write_json(
                output / "stock-predictions.json",
                {q.id: stock_records.records[q.id]["prediction"] for q in dataset.questions},
            )
        write_json(output / "report.json", report)
        return report

    @staticmethod
    def decide(
        dataset: SquadDataset, records: RecordFile, decision: Any, threshold: float | None = None
    ) -> tuple[list[str], list[str], list[float]]:
        """The pipeline's predictions, top answers and no-answer probabilities (`decisions.pipeline_predictions`)."""
        chosen = decision.threshold if threshold is None else float(threshold)
        return pipeline_predictions(dataset, records.records, decision, chosen)

    def report(
        self,
        dataset: SquadDataset,
        records: RecordFile,
        decision: Any,
        threshold: float | None = None,
        decided: tuple[list[str], list[str], list[float]] | None = None,
    ) -> dict[str, Any]:
        """The metric report of the stored records under a no-answer decision (`NoAnswerThreshold`)."""
        chosen = decision.threshold if threshold is None else float(threshold)
        rows = [records.records[q.id] for q in dataset.questions]
        predictions, top_texts, na_probs = decided or self.decide(dataset, records, decision, threshold)
        ids = [q.id for q in dataset.questions]
        ours = evaluate(dataset, dict(zip(ids, predictions, strict=True)))
        best = evaluate(dataset, dict(zip(ids, top_texts, strict=True)), dict(zip(ids, na_probs, strict=True)))
        for key in ("best_exact", "best_exact_thresh", "best_f1", "best_f1_thresh"):
            ours[key] = best[key]
        # the best threshold as tune-threshold finds and writes it (the official metric's lies on a step's edge)
        tuned, swept = best_threshold(dataset, records.records, decision)
        ours["best_threshold"] = tuned
        ours["best_threshold_f1"] = swept.f1
        ours["best_min_confidence"] = min_confidence(decision.signal, tuned)
        ours["signal"] = decision.signal
        ours["threshold"] = chosen
        ours["min_confidence"] = min_confidence(decision.signal, chosen)
        ours["min_term_coverage"] = getattr(decision, "min_term_coverage", 0.0)
        ours["term_check"] = self.mode == "open" and ours["min_term_coverage"] > 0  # reader mode: no retrieval
        ours["abstained"] = sum(1 for p in predictions if not p)
        reader = self.fingerprint()["reader"]["init_parameters"]
        report: dict[str, Any] = {
            "mode": self.mode,
            "model": reader.get("model"),
            "questions": len(dataset),
            "settings": {
                k: reader.get(k) for k in ("max_seq_length", "stride", "max_query_length", "max_answer_length")
            },
            "ours": ours,
        }
        if self.mode == "open":
            report["retrieval"] = retrieval_recall(dataset, rows)
            report["settings"]["retriever_top_k"] = self.fingerprint()["retriever"]["init_parameters"].get("top_k")
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
    for key in ("best_exact", "best_exact_thresh", "best_f1", "best_f1_thresh"):
        result[key] = best[key]
    result["best_threshold"] = 1.0 - best["best_f1_thresh"]  # as a threshold on the top answer's score
    result["abstained"] = sum(1 for r in rows if not r["prediction"])
    return result


def retrieval_recall(dataset: SquadDataset, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """
    Open mode: how often retrieval found what the reader needs.

    `paragraph_recall@k`: the share of all questions whose own paragraph is among the first k passages;
    `answer_recall@k`: the share of answerable questions with a gold answer text in one of the first k passages.
    """
    contexts: dict[str, str] = {_paragraph_key(q): q.context for q in dataset.questions}
    depth = max((len(r.get("retrieved", [])) for r in rows), default=0)
    ks = [k for k in RECALL_AT if k < depth] + [depth]
    paragraph = dict.fromkeys(ks, 0)
    answer = dict.fromkeys(ks, 0)
    answerable = 0
    for question, row in zip(dataset.questions, rows, strict=True):
        retrieved = row.get("retrieved", [])
        own = _paragraph_key(question)
        rank = retrieved.index(own) + 1 if own in retrieved else None
        answer_rank = None
        if question.has_answer:
            answerable += 1
            golds = [g for g in question.answers if g.strip()]
            for position, key in enumerate(retrieved, start=1):
                if any(g in contexts.get(key, "") for g in golds):
                    answer_rank = position
                    break
        for k in ks:
            paragraph[k] += rank is not None and rank <= k
            answer[k] += answer_rank is not None and answer_rank <= k
    total = len(rows) or 1
    return {
        "retrieved_per_question": depth,
        "paragraph_recall": {str(k): round(100.0 * v / total, 2) for k, v in paragraph.items()},
        "answer_recall": {str(k): round(100.0 * v / (answerable or 1), 2) for k, v in answer.items()},
    }
