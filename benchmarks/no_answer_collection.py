"""
An honest "no answer" over a collection: questions the documents cannot answer, and questions they can.

The bundled documents (data/: the 35 SQuAD 2.0 dev articles, 1,192 passages) are indexed into a store of the kind
chosen (`--store embedded|memory|elasticsearch`; Elasticsearch at `--elasticsearch-url`, default
$EQA_TEST_ELASTICSEARCH_URL, gets an index of the benchmark's own), and the query pipeline (retriever top 10 ->
reader -> de-duplicator) reads:

- **out-of-collection** questions: about things data/ does not mention. SQuAD 1.1 dev questions about the 13
  articles that are not in SQuAD 2.0 dev (the issue's measurement: 200 of them; 200 more as a second sample),
  samples of the SquadShifts sets (new Wikipedia articles, Reddit posts, Amazon reviews; `--sizes`), and 20 short
  questions that name nothing (`GENERIC_QUESTIONS`: "What is it?", "Who won?"). The right output is "no answer";
  the *false-answer rate* is the share answered.
- **in-collection** questions: every question of the held-out SQuAD 2.0 articles (their articles are in data/).
  For the answerable ones, the *kept-answer rate* (share answered), the share answered correctly (F1 > 0.5) and
  F1; for all, SQuAD 2.0 EM / F1 / HasAns / NoAns.
- **open-mode SQuAD 2.0** (`extractive-qa eval --mode open` on dev-v2.0-heldout.json: the file's own 568
  paragraphs indexed, each question reading the top 10): EM / F1 / HasAns / NoAns.

Each is decided by the stock pipeline (Haystack's `ExtractiveReader` over the same passages, its own no-answer
heuristic), today's decision (`NoAnswerThreshold`, null-score difference <= 0, the answer's passage alone), the new
default decision (the package's query pipeline YAML: `NoAnswerThreshold` with the retrieval evidence), and the
calibrated decision before and after (tuned by `tune-threshold` on open-mode outputs of one half of the held-out
articles, scored on the other half, both ways round: the old features, then with the retrieval features).

Model outputs are stored under `--runs` as they are computed (resumable); deciding again needs no model.

    # 2-core Xeon with AMX, 1,000 held-out questions: ~15 min without the stock reader, ~17 min more with it
    flock /tmp/bench.lock .venv/bin/python benchmarks/no_answer_collection.py
    flock /tmp/bench.lock .venv/bin/python benchmarks/no_answer_collection.py --no-stock --store elasticsearch
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extractive_qa.components.no_answer_threshold import NoAnswerThreshold  # noqa: E402
from extractive_qa.evaluation.calibration import DEFAULT_FEATURES, RETRIEVAL_FEATURES  # noqa: E402
from extractive_qa.evaluation.decisions import pipeline_predictions  # noqa: E402
from extractive_qa.evaluation.passages import paragraph_documents  # noqa: E402
from extractive_qa.evaluation.records import RecordFile, write_json  # noqa: E402
from extractive_qa.evaluation.runner import Evaluation  # noqa: E402
from extractive_qa.evaluation.squad_metric import SquadDataset, evaluate, f1, load_squad, parse_squad  # noqa: E402
from extractive_qa.evaluation.stock_reader import stock_reader_name  # noqa: E402
from extractive_qa.evaluation.tuning import tune  # noqa: E402
from extractive_qa.pipeline_files import (  # noqa: E402
    ELASTICSEARCH_STORE_TYPE,
    apply_settings,
    read_pipeline_yaml,
)
from extractive_qa.settings import Settings  # noqa: E402
from extractive_qa.testing.paths import SHARED  # noqa: E402

DATA = ROOT / "data"
SQUAD1 = SHARED / "data" / "squad1" / "dev-v1.1.json"
SQUAD2 = SHARED / "data" / "squad2" / "dev-v2.0.json"
HELDOUT = SHARED / "data" / "squad2" / "dev-v2.0-heldout.json"
SHIFTS = SHARED / "data" / "squadshifts"
SEED = 27


# ---- question sets --------------------------------------------------------------------------------------------


def _unanswerable(articles: list[dict[str, Any]], ids: set[str], prefix: str) -> list[dict[str, Any]]:
    """The chosen questions of SQuAD-format articles as unanswerable SQuAD 2.0 questions (same paragraphs)."""
    out = []
    for article in articles:
        paragraphs = []
        for paragraph in article["paragraphs"]:
            qas = [
                {"id": f"{prefix}{q['id']}", "question": q["question"], "answers": [], "is_impossible": True}
                for q in paragraph["qas"]
                if q["id"] in ids
            ]
            if qas:
                paragraphs.append({"context": paragraph["context"], "qas": qas})
        if paragraphs:
            out.append({"title": f"{prefix}{article.get('title', '')}", "paragraphs": paragraphs})
    return out


def _sample(articles: list[dict[str, Any]], count: int, skip: int = 0) -> set[str]:
    ids = sorted(q["id"] for a in articles for p in a["paragraphs"] for q in p["qas"])
    random.Random(SEED).shuffle(ids)
    return set(ids[skip : skip + count])


# Short questions that name nothing to look for: over a collection no passage can be said to answer them.
GENERIC_QUESTIONS = (
    "What is it?",
    "Who won?",
    "When did it happen?",
    "Where is it?",
    "How many are there?",
    "Who is he?",
    "What happened?",
    "Why?",
    "What was the result?",
    "Who was the winner?",
    "How much did it cost?",
    "When was it built?",
    "What is the name?",
    "Who did it?",
    "Where did they go?",
    "What does it do?",
    "How old is she?",
    "What year was that?",
    "Who said that?",
    "What is the answer?",
)


def generic_set() -> list[dict[str, Any]]:
    """`GENERIC_QUESTIONS` as one article of unanswerable questions (its paragraph is never indexed)."""
    qas = [
        {"id": f"generic:{i}", "question": q, "answers": [], "is_impossible": True}
        for i, q in enumerate(GENERIC_QUESTIONS)
    ]
    return [{"title": "generic:questions", "paragraphs": [{"context": "(none)", "qas": qas}]}]


def out_of_collection_sets(sizes: dict[str, int]) -> dict[str, list[dict[str, Any]]]:
    """Question sets about things data/ does not mention, as SQuAD 2.0 articles of unanswerable questions."""
    squad1 = json.loads(SQUAD1.read_text(encoding="utf-8"))["data"]
    in_collection = {a["title"] for a in json.loads(SQUAD2.read_text(encoding="utf-8"))["data"]}
    outside = [a for a in squad1 if a["title"] not in in_collection]
    sets = {
        "squad1": _unanswerable(outside, _sample(outside, sizes["squad1"]), "squad1:"),
        "squad1-b": _unanswerable(outside, _sample(outside, sizes["squad1-b"], skip=sizes["squad1"]), "squad1b:"),
    }
    for name, file in (("new_wiki", "new_wiki"), ("reddit", "reddit"), ("amazon", "amazon_reviews")):
        articles = json.loads((SHIFTS / f"squadshifts_{file}_v1.0.json").read_text(encoding="utf-8"))["data"]
        sets[name] = _unanswerable(articles, _sample(articles, sizes[name]), f"{name}:")
    sets["generic"] = generic_set()
    return sets


# ---- the collection: data/ indexed as the application indexes it ----------------------------------------------


def collection_passages(store: str, work: Path) -> list[Any]:
    """
    data/ indexed with the application's indexing pipeline into a store of the kind chosen (once), as passages.
    Elasticsearch gets the embedded store's passages (the same indexing pipeline up to the writer), written into an
    index of the benchmark's own (`ElasticsearchEvaluation`).
    """
    from extractive_qa import QuestionAnswerer
    from extractive_qa.errors import NothingIndexed

    if store == "elasticsearch":
        store = "embedded"
    qa = QuestionAnswerer(Settings(store=store, store_path=work / f"store-{store}"))
    try:
        count = qa.count_documents()
    except NothingIndexed:
        count = 0
    if count == 0:
        report = qa.index([DATA])
        print(f"indexed data/: {report.files_read} files, {report.passages_written} passages", file=sys.stderr)
    return sorted(qa.document_store.filter_documents(), key=lambda d: d.id)


@dataclass
class ElasticsearchEvaluation(Evaluation):
    """
    `Evaluation`, which in open mode indexes into a fresh embedded or in-memory store, also on Elasticsearch: the
    query pipeline of `query_elasticsearch.yml` with an index of the benchmark's own per collection
    (`eqa-bench-no-answer-<collection>`, kept between runs so that a run resumes without re-indexing).
    """

    def pipeline_data(self) -> dict[str, Any]:
        if self.settings.store != "elasticsearch":
            return super().pipeline_data()
        data = apply_settings(read_pipeline_yaml(self.yaml_path), self.settings)
        store = data["components"]["retriever"]["init_parameters"]["document_store"]
        assert store.get("type") == ELASTICSEARCH_STORE_TYPE, store.get("type")
        name = (self._collection or "none").replace(":", "-").lower()
        store["init_parameters"]["index"] = f"eqa-bench-no-answer-{name}"
        return data

    def _write(self, documents: list[Any]) -> None:
        from extractive_qa.store.elasticsearch import make_searchable

        if self.settings.store == "elasticsearch":  # its retriever keeps the store private: open the same index
            from haystack_integrations.document_stores.elasticsearch import ElasticsearchDocumentStore

            definition = self.pipeline_data()["components"]["retriever"]["init_parameters"]["document_store"]
            store = ElasticsearchDocumentStore.from_dict(definition)
        else:
            store = self.pipeline.get_component("retriever").document_store  # type: ignore[attr-defined]
        if store.count_documents() == 0:
            store.write_documents(documents)
            make_searchable(store)

    def index(self, dataset: SquadDataset) -> None:
        self._write(paragraph_documents(dataset))


@dataclass
class CollectionEvaluation(ElasticsearchEvaluation):
    """Open mode over a given collection (data/'s passages) instead of the evaluated file's paragraphs."""

    passages: list[Any] = field(default_factory=list)

    def use_collection(self, dataset: SquadDataset) -> None:
        digest = hashlib.sha1()
        for passage in self.passages:
            digest.update(f"{passage.id}\x00{passage.content}\x01".encode())
        self._collection = "data:" + digest.hexdigest()[:16]
        dataset.paragraphs.update({p.id: p.content for p in self.passages})
        dataset.paragraph_titles.update({p.id: Path(str(p.meta.get("file_name", ""))).stem for p in self.passages})

    def index(self, dataset: SquadDataset) -> None:
        self._write(self.passages)


def heldout_sample(count: int | None) -> list[dict[str, Any]]:
    """The held-out articles with `count` of their questions (a fixed random sample; all with `None`), every
    paragraph kept (open mode indexes them all)."""
    heldout = json.loads(HELDOUT.read_text(encoding="utf-8"))["data"]
    if count is None:
        return heldout
    chosen = _sample(heldout, count)
    return [
        {
            "title": article["title"],
            "paragraphs": [
                {"context": p["context"], "qas": [q for q in p["qas"] if q["id"] in chosen]}
                for p in article["paragraphs"]
            ],
        }
        for article in heldout
    ]


def combined_dataset(
    sets: dict[str, list[dict[str, Any]]], heldout: list[dict[str, Any]]
) -> tuple[SquadDataset, dict[str, set[str]]]:
    """One SQuAD 2.0 dataset of the held-out questions and the out-of-collection sets; the ids of each part."""
    articles = list(heldout)
    parts: dict[str, set[str]] = {"heldout": {q["id"] for a in heldout for p in a["paragraphs"] for q in p["qas"]}}
    for name, found in sets.items():
        articles.extend(found)
        parts[name] = {q["id"] for a in found for p in a["paragraphs"] for q in p["qas"]}
    return parse_squad({"version": "v2.0", "data": articles}, "collection-questions"), parts


def bench_settings(store: str, work: Path, elasticsearch_url: str) -> Settings:
    """The application's settings for the benchmark: the shared small model, the store of the kind chosen."""
    return Settings(
        model=str(SHARED / "models" / "minilm-squad-mini"),
        store=store,  # type: ignore[arg-type]
        store_path=work / "unused",
        elasticsearch_url=elasticsearch_url,
    )


def record_collection(
    settings: Settings, work: Path, sizes: dict[str, int], sample: int | None, stock: bool, batch_size: int
) -> tuple[CollectionEvaluation, SquadDataset, dict[str, set[str]], dict[str, Any], dict[str, Any] | None]:
    """Reads every question over data/ (resumably); returns the evaluation, dataset, parts and records."""
    store = settings.store
    passages = collection_passages(store, work)
    evaluation = CollectionEvaluation(settings, mode="open", batch_size=batch_size, progress=True, passages=passages)
    dataset, parts = combined_dataset(out_of_collection_sets(sizes), heldout_sample(sample))
    evaluation.use_collection(dataset)
    output = work / f"collection-{store}"
    records = RecordFile(output / "records.jsonl", evaluation.fingerprint())
    started = time.perf_counter()
    # out-of-collection sets first (small), then the held-out questions
    evaluation.predict(dataset.subset([q.id for q in dataset.questions if q.id not in parts["heldout"]]), records)
    evaluation.predict(dataset.subset(parts["heldout"]), records)
    print(f"collection ({store}): {time.perf_counter() - started:.0f} s", file=sys.stderr)
    stock_records = None
    if stock:
        stock_file = RecordFile(output / "stock-records.jsonl", evaluation.stock_fingerprint())
        evaluation.predict_stock(dataset, stock_file)
        stock_records = stock_file.records
    return evaluation, dataset, parts, records.records, stock_records


def record_open_eval(
    settings: Settings, work: Path, sample: int | None, stock: bool, batch_size: int
) -> tuple[Evaluation, SquadDataset, dict]:
    """
    `extractive-qa eval --mode open` on the held-out file (all its paragraphs indexed; with `sample`, that many of
    its questions), stored (resumably).
    """
    file = HELDOUT
    if sample is not None:
        file = work / f"dev-v2.0-heldout-sample{sample}.json"
        write_json(file, {"version": "v2.0", "data": heldout_sample(sample)})
    evaluation = ElasticsearchEvaluation(settings, mode="open", batch_size=batch_size)
    output = work / f"heldout-open-{settings.store}"  # one record file for every sample size (resumable)
    report = evaluation.run(file, output, compare_stock=stock)
    dataset = load_squad(file)
    evaluation.use_collection(dataset)
    return evaluation, dataset, {"report": report, "output": str(output)}


# ---- decisions ------------------------------------------------------------------------------------------------


def predictions(dataset: SquadDataset, records: dict[str, Any], decision: Any) -> dict[str, str]:
    """The answer to each question of `dataset` under `decision` (`""`: no answer)."""
    predicted, _, _ = pipeline_predictions(dataset, records, decision, decision.threshold)
    return {q.id: p for q, p in zip(dataset.questions, predicted, strict=True)}


def cross_split_predictions(
    tune_on: SquadDataset,
    tune_records: dict[str, Any],
    apply: list[tuple[SquadDataset, dict[str, Any]]],
    features: tuple[str, ...],
    base: NoAnswerThreshold,
) -> tuple[list[dict[str, str]], list[dict[str, Any]]]:
    """
    The calibrated rule tuned on one half of the held-out articles (open mode) and applied to the questions of the
    other half, both ways round. Each of `apply` gets one prediction per question: a held-out question is decided
    by the rule tuned on the half it is not in; any other question (out of the collection) by both rules, kept as
    `id#A` and `id#B`.
    """
    halves = {"even": tune_on.half("even"), "odd": tune_on.half("odd")}
    out: list[dict[str, str]] = [{} for _ in apply]
    rules = []
    for train, test in (("even", "odd"), ("odd", "even")):
        tuned = tune(halves[train], tune_records, "calibrated", features, base=base)
        decision = tuned.decision()
        rules.append({"tuned_on": train, **tuned.to_dict()})
        test_titles = {q.title for q in halves[test].questions}
        train_titles = {q.title for q in halves[train].questions}
        for (dataset, records), found in zip(apply, out, strict=True):
            titles = {q.id: q.title for q in dataset.questions}
            for question_id, answer in predictions(dataset, records, decision).items():
                if titles[question_id] in test_titles:
                    found[question_id] = answer
                elif titles[question_id] not in train_titles:
                    found[f"{question_id}#{train}"] = answer
    return out, rules


def collection_figures(dataset: SquadDataset, parts: dict[str, set[str]], predicted: dict[str, str]) -> dict:
    """False-answer rates out of the collection; kept, right (F1 > 0.5) and F1 of the answerable ones in it."""
    figures: dict[str, Any] = {}
    for name, ids in parts.items():
        if name == "heldout" or not ids:
            continue
        answered = [bool(v) for k, v in predicted.items() if k.split("#")[0] in ids]
        figures[f"false:{name}"] = 100.0 * sum(answered) / max(1, len(answered))
    heldout = dataset.subset(parts["heldout"])
    chosen = {q.id: predicted[q.id] for q in heldout.questions}
    answerable = [q for q in heldout.questions if q.has_answer]
    scores = [max(f1(g, chosen[q.id]) for g in q.gold) if chosen[q.id] else 0.0 for q in answerable]
    figures["kept"] = 100.0 * sum(bool(chosen[q.id]) for q in answerable) / len(answerable)
    figures["right"] = 100.0 * sum(s > 0.5 for s in scores) / len(answerable)
    figures["hasans_f1"] = 100.0 * sum(scores) / len(answerable)
    overall = evaluate(heldout, chosen)
    figures.update({f"heldout_{k}": overall[k] for k in ("exact", "f1", "NoAns_f1")})
    return figures


def open_figures(dataset: SquadDataset, predicted: dict[str, str]) -> dict[str, float]:
    scores = evaluate(dataset, {q.id: predicted[q.id] for q in dataset.questions})
    return {k: scores[k] for k in ("exact", "f1", "HasAns_exact", "HasAns_f1", "NoAns_f1")}


def decide(
    collection: tuple[SquadDataset, dict[str, set[str]], dict[str, Any], dict[str, Any] | None],
    heldout_open: tuple[SquadDataset, dict[str, Any], dict[str, Any] | None],
    new_default: NoAnswerThreshold,
) -> dict[str, dict[str, Any]]:
    """Every decision's figures: out of the collection, in it, and open-mode SQuAD 2.0."""
    dataset, parts, records, stock_records = collection
    open_dataset, open_records, open_stock = heldout_open
    rows: dict[str, dict[str, Any]] = {}
    if stock_records is not None and open_stock is not None:
        stock = {q.id: stock_records[q.id]["prediction"] for q in dataset.questions}
        rows[f"stock {stock_reader_name()}, its own no-answer rule"] = {
            **collection_figures(dataset, parts, stock),
            **open_figures(open_dataset, {q.id: open_stock[q.id]["prediction"] for q in open_dataset.questions}),
        }
    today = NoAnswerThreshold(threshold=0.0)
    for name, decision in (("today: null_score_diff <= 0", today), ("new default (query.yml)", new_default)):
        rows[name] = {
            **collection_figures(dataset, parts, predictions(dataset, records, decision)),
            **open_figures(open_dataset, predictions(open_dataset, open_records, decision)),
        }
    for name, features, base in (
        ("calibrated, today (cross-split)", DEFAULT_FEATURES, today),
        ("calibrated + term check: new (cross-split)", DEFAULT_FEATURES, new_default),
        ("calibrated + term check + retrieval features (tried)", DEFAULT_FEATURES + RETRIEVAL_FEATURES, new_default),
    ):
        (in_collection, in_open), rules = cross_split_predictions(
            open_dataset, open_records, [(dataset, records), (open_dataset, open_records)], features, base
        )
        rows[name] = {**collection_figures(dataset, parts, in_collection), **open_figures(open_dataset, in_open)}
        rows[name]["rules"] = rules
    return rows


COLUMNS = (
    ("false:squad1", "OOC SQuAD1"),
    ("false:squad1-b", "OOC SQuAD1 b"),
    ("false:new_wiki", "OOC new_wiki"),
    ("false:reddit", "OOC reddit"),
    ("false:amazon", "OOC amazon"),
    ("false:generic", "generic"),
    ("kept", "in: kept"),
    ("right", "in: right"),
    ("hasans_f1", "in: HasAns F1"),
    ("heldout_f1", "in: F1"),
    ("exact", "open EM"),
    ("f1", "open F1"),
    ("HasAns_f1", "open HasAns F1"),
    ("NoAns_f1", "open NoAns"),
)


def table(rows: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| decision | " + " | ".join(title for _, title in COLUMNS) + " |",
        "|---|" + "---|" * len(COLUMNS),
    ]
    for name, figures in rows.items():
        cells = [f"{figures[key]:.2f}" if key in figures else "—" for key, _ in COLUMNS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


DEFAULT_SIZES = "squad1=200,squad1-b=200,new_wiki=200,reddit=200,amazon=200"


def parse_sizes(text: str) -> dict[str, int]:
    """`name=count,...` for the out-of-collection sets (every set named; 0 leaves one out)."""
    sizes = dict.fromkeys(("squad1", "squad1-b", "new_wiki", "reddit", "amazon"), 0)
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, _, count = item.partition("=")
        if name not in sizes or not count.isdigit():
            raise SystemExit(f"--sizes: expected name=count with a name of {', '.join(sizes)}, got {item!r}")
        sizes[name] = int(count)
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", choices=("embedded", "memory", "elasticsearch"), default="embedded")
    parser.add_argument(
        "--elasticsearch-url",
        default=os.environ.get("EQA_TEST_ELASTICSEARCH_URL") or "http://127.0.0.1:9200",
        help="with --store elasticsearch (default: $EQA_TEST_ELASTICSEARCH_URL or http://127.0.0.1:9200)",
    )
    parser.add_argument("--runs", type=Path, default=ROOT / "eval-results" / "no-answer")
    parser.add_argument("--no-stock", action="store_true", help="leave out the stock reader (saves half the time)")
    parser.add_argument("--record-only", action="store_true")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument(
        "--sample",
        type=int,
        default=1000,
        help="held-out questions read (a fixed random sample of the 5,566; 0: all of them); default 1000",
    )
    parser.add_argument(
        "--sizes", default=DEFAULT_SIZES, help=f"out-of-collection questions per set (default {DEFAULT_SIZES})"
    )
    parser.add_argument("--output", type=Path, help="the results JSON (default benchmarks/results/...-STORE.json)")
    args = parser.parse_args()
    sizes = parse_sizes(args.sizes)
    sample = args.sample or None
    args.runs.mkdir(parents=True, exist_ok=True)
    stock = not args.no_stock
    settings = bench_settings(args.store, args.runs, args.elasticsearch_url)
    started = time.perf_counter()
    _evaluation, dataset, parts, records, stock_records = record_collection(
        settings, args.runs, sizes, sample, stock, args.batch_size
    )
    open_evaluation, open_dataset, opened = record_open_eval(settings, args.runs, sample, stock, args.batch_size)
    if args.record_only:
        return
    open_records = RecordFile(Path(opened["output"]) / "records.jsonl", open_evaluation.fingerprint()).records
    open_stock = (
        RecordFile(Path(opened["output"]) / "stock-records.jsonl", open_evaluation.stock_fingerprint()).records
        if stock
        else None
    )
    new_default = open_evaluation.threshold_component()
    rows = decide((dataset, parts, records, stock_records), (open_dataset, open_records, open_stock), new_default)
    machine = _machine()
    questions = {name: len(ids) for name, ids in parts.items()}
    print(
        f"machine: {machine['cpu']} ({machine['cores']} cores); store: {args.store}; "
        f"held-out questions: {questions['heldout']}; out of the collection: "
        + ", ".join(f"{name} {count}" for name, count in questions.items() if name != "heldout")
    )
    print(table(rows))
    write_json(
        args.output or ROOT / "benchmarks" / "results" / f"no_answer_collection-{args.store}.json",
        {
            "machine": machine,
            "store": args.store,
            "sample": sample,
            "questions": questions,
            "stock_reader": stock_reader_name() if stock else None,
            "seconds": round(time.perf_counter() - started, 1),
            "rows": rows,
        },
    )


def _machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count()}


if __name__ == "__main__":
    main()
