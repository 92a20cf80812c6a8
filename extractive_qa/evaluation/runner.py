"""
Runs the project's question pipeline over a SQuAD-format file, resumably, and scores it with the SQuAD metric.

Two modes:

- `reader`: each question is read over its own paragraph (how the model card measures the model);
- `open`: the file's paragraphs are indexed into a fresh store of the evaluation's own and each question goes through
  the query pipeline's retriever first, so the figure includes retrieval (with its recall@k reported).

Every question's reader output (the de-duplicated answers with their scores and no-answer evidence, before the
no-answer decision) is appended to `records.jsonl` in the output folder as it is computed (`predictions`). A second
run with the same output folder skips the questions already there, and the no-answer decision is re-applied at
scoring time with the pipeline's current `NoAnswerThreshold` (`report`), so re-scoring after `tune-threshold` needs
no model.

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
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Literal

from haystack import Document, Pipeline

from extractive_qa.app.pipeline_loader import build_pipeline, warm_up
from extractive_qa.components.no_answer_threshold import NoAnswerThreshold
from extractive_qa.errors import EvaluationError
from extractive_qa.evaluation.passages import own_paragraph, paragraph_documents, retrieve
from extractive_qa.evaluation.predictions import predict, read_with_pipeline, read_with_stock
from extractive_qa.evaluation.records import RECORDS_FORMAT, STOCK_RECORDS_FORMAT, RecordFile, write_json
from extractive_qa.evaluation.report import decide, evaluation_report, stock_report
from extractive_qa.evaluation.squad_metric import SquadDataset, SquadQuestion, load_squad
from extractive_qa.evaluation.stock_reader import stock_reader, stock_reader_class, stock_reader_name, stock_reader_path
from extractive_qa.pipeline_files import (
    EMBEDDED_STORE_TYPE,
    MEMORY_STORE_TYPE,
    THRESHOLD_TYPE,
    apply_settings,
    pipeline_path,
    read_pipeline_yaml,
)
from extractive_qa.settings import Settings

Mode = Literal["reader", "open"]
MODES: tuple[str, ...] = ("reader", "open")
OPEN_MODE_STORES = (MEMORY_STORE_TYPE, EMBEDDED_STORE_TYPE)


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
        """
        The query pipeline's dictionary with the settings applied; in open mode with a fresh store of the evaluation's
        own (the settings applied with a scratch store path, removed when the evaluation is).
        """
        settings = self.settings
        if self.mode == "open":
            settings = settings.with_overrides(store_path=self._scratch_store_path())
        data = apply_settings(read_pipeline_yaml(self.yaml_path), settings)
        for name in ("reader", "deduplicator", "threshold"):
            if name not in data["components"]:
                raise EvaluationError(f"{self.yaml_path} has no '{name}' component")
        if self.mode == "open":
            retriever = data["components"].get("retriever")
            store = ((retriever or {}).get("init_parameters") or {}).get("document_store") or {}
            if store.get("type") not in OPEN_MODE_STORES:
                raise EvaluationError(
                    "open mode indexes the file's paragraphs into a fresh store of its own: evaluate the embedded or "
                    f"in-memory query pipeline (--store embedded or memory); {self.yaml_path} has neither"
                )
        return data

    def _scratch_store_path(self) -> Path:
        """Open mode: where the evaluation's own store lives (a fresh folder, removed when the evaluation is)."""
        if self._scratch is None:
            self._scratch = tempfile.TemporaryDirectory(prefix="extractive-qa-eval-")
        return Path(self._scratch.name) / "index"

    @property
    def pipeline(self) -> Pipeline:
        """The query pipeline, built and warmed up once."""
        if self._pipeline is None:
            self._pipeline = warm_up(build_pipeline(self.pipeline_data()))
        return self._pipeline

    def fingerprint(self) -> dict[str, Any]:
        """What the stored reader outputs depend on: mode, reader, de-duplicator and retriever settings."""
        components = self.pipeline_data()["components"]

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

    def threshold_component(self) -> NoAnswerThreshold:
        """The pipeline's `NoAnswerThreshold`, built from the YAML with the settings applied (no model needed)."""
        component = apply_settings(read_pipeline_yaml(self.yaml_path), self.settings)["components"].get("threshold")
        if component is None or component.get("type") != THRESHOLD_TYPE:
            raise EvaluationError(f"{self.yaml_path} has no NoAnswerThreshold component 'threshold'")
        return NoAnswerThreshold.from_dict(component)

    # ---- the passages read --------------------------------------------------------------------------------------

    def use_collection(self, dataset: SquadDataset) -> None:
        """Open mode: the documents are every paragraph of `dataset`'s file (part of the fingerprint)."""
        digest = hashlib.sha1()
        for key, text in sorted(dataset.paragraphs.items()):
            digest.update(f"{key}\x00{text}\x01".encode())
        self._collection = digest.hexdigest()[:16]

    def index(self, dataset: SquadDataset) -> None:
        """Open mode: indexes the paragraphs of `dataset`'s file into the pipeline's store, unless it has documents."""
        store = self.pipeline.get_component("retriever").document_store  # type: ignore[attr-defined]
        if store.count_documents() == 0:
            store.write_documents(paragraph_documents(dataset))

    def passages(self, questions: list[SquadQuestion]) -> list[list[Document]]:
        """The passages each question is read over: its own paragraph, or in open mode what the retriever finds."""
        if self.mode == "reader":
            return [own_paragraph(q) for q in questions]
        return [retrieve(self.pipeline, q, self.retriever_top_k) for q in questions]

    # ---- running ----------------------------------------------------------------------------------------------

    def predict(self, dataset: SquadDataset, records: RecordFile, *, desc: str = "ours") -> float:
        """Runs the pipeline's reader over the questions that have no record yet; returns the seconds spent."""

        def read(batch: list[SquadQuestion]) -> list[dict[str, Any]]:  # the model is loaded only when there is work
            return read_with_pipeline(self.pipeline, batch, passages=self.passages, keep_passages=self.mode == "open")

        return predict(
            dataset,
            records,
            read,
            batch_size=self.batch_size,
            desc=desc,
            progress=self.progress,
            prepare=partial(self._prepare, dataset),
        )

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

        def read(batch: list[SquadQuestion]) -> list[dict[str, Any]]:
            return read_with_stock(self.stock_reader(), batch, passages=self.passages)

        def prepare() -> None:
            self._prepare(dataset)
            self.stock_reader()

        return predict(
            dataset, records, read, batch_size=self.batch_size, desc="stock", progress=self.progress, prepare=prepare
        )

    def _prepare(self, dataset: SquadDataset) -> None:
        """Before the first question is read: open mode indexes the file's paragraphs."""
        if self.mode == "open":
            self.index(dataset)

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
        decided = decide(dataset, records.records, decision, threshold)
        report = evaluation_report(
            dataset, records.records, decision, fingerprint, threshold=threshold, decided=decided
        )
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
