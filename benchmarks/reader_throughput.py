"""
Reader throughput: Haystack's stock ExtractiveReader against the project's ExtractiveQAReader, same model, same work.

The model is a RoBERTa of roberta-base shape (12 layers, 768 wide: deepset/roberta-base-squad2's compute) with
random weights, built once with a byte-level BPE tokenizer trained on the bundled data/ and cached. The workload:
real SQuAD 2.0 dev questions, each with the top-10 passages that the project's BM25 retriever finds in the bundled
collection (data/ indexed with the project's indexing pipeline into a temporary in-memory store).

Each reader runs in its own subprocess (a fair peak-RSS figure for each), is warmed up on one question, then
answers the whole workload `--repeats` times; the table gives the median pass. Our reader is timed twice: one
`run()` per question (as the query pipeline calls it), and one `answer_batch()` over all questions at once.

Usage:
```
flock /tmp/bench.lock python benchmarks/reader_throughput.py                   # 20 questions, 3 passes
python benchmarks/reader_throughput.py --questions 50 --threads 2 --readers stock,ours,ours-fp32
python benchmarks/reader_throughput.py --squad ../shared/data/squad2/dev-v2.0.json --json results.json
```
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQUAD = ROOT.parent / "shared" / "data" / "squad2" / "dev-v2.0.json"
READERS = ("stock", "ours", "ours-fp32")


def default_cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(os.environ.get("EQA_BENCH_CACHE") or user_cache_dir("extractive-qa", appauthor=False)) / "bench"


def random_base_model(cache_dir: Path) -> Path:
    """The roberta-base-shaped random model, built on first use and cached (about 330 MB)."""
    from extractive_qa.random_model import build_random_roberta

    out = cache_dir / "roberta-base-random-seed0"
    done = out / "BUILT"
    if not done.exists():
        print(f"building the random roberta-base-shaped model in {out} ...", file=sys.stderr)
        build_random_roberta(out, sorted((ROOT / "data").glob("*.txt")), size="base", seed=0)
        done.write_text("complete\n", encoding="utf-8")
    return out


def squad_questions(path: Path, count: int) -> list[str]:
    """`count` questions spread evenly over the SQuAD file (its order: article by article)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    questions = [qa["question"] for art in data["data"] for para in art["paragraphs"] for qa in para["qas"]]
    step = max(1, len(questions) // count)
    return questions[::step][:count]


def build_workload(squad: Path, count: int, model: Path, work_dir: Path, top_k: int) -> list[dict[str, Any]]:
    """Indexes data/ with the project's indexing pipeline and retrieves `top_k` passages per question with BM25."""
    from extractive_qa import QuestionAnswerer, Settings
    from extractive_qa.pipelines import load_pipeline

    settings = Settings(model=str(model), store_path=work_dir / "store.json")
    report = QuestionAnswerer(settings).index([ROOT / "data"])
    print(f"indexed data/: {report.summary()}", file=sys.stderr)
    retriever = load_pipeline(settings, "query").get_component("retriever")
    workload = []
    for question in squad_questions(squad, count):
        documents = retriever.run(query=question, top_k=top_k)["documents"]
        workload.append({"question": question, "documents": [d.to_dict() for d in documents]})
    return workload


# ---- one reader, in its own process -------------------------------------------------------------------------------


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def measure(reader_name: str, model: str, workload_path: Path, repeats: int, threads: int | None) -> dict[str, Any]:
    """Loads one reader, warms it up and times passes over the workload; returns the timings and peak RSS."""
    import torch
    from haystack import Document

    if threads:
        torch.set_num_threads(threads)
    workload = json.loads(workload_path.read_text(encoding="utf-8"))
    queries = [item["question"] for item in workload]
    documents = [[Document.from_dict(d) for d in item["documents"]] for item in workload]
    rss_before_model = peak_rss_mib()
    if reader_name == "stock":
        from haystack.components.readers import ExtractiveReader

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            reader: Any = ExtractiveReader(model=model)
        label = "stock ExtractiveReader (fp32)"
    else:
        from components.reader import ExtractiveQAReader

        reader = ExtractiveQAReader(model=model, precision="fp32" if reader_name == "ours-fp32" else "auto")
    load_start = time.perf_counter()
    reader.warm_up()
    load_seconds = time.perf_counter() - load_start
    if reader_name != "stock":
        label = f"ExtractiveQAReader ({reader.precision} -> {reader.resolved_precision})"
    reader.run(query=queries[0], documents=documents[0])  # warm-up: first-call allocations, kernel choice

    per_question = []
    for _ in range(repeats):
        start = time.perf_counter()
        for query, docs in zip(queries, documents, strict=True):
            reader.run(query=query, documents=docs)
        per_question.append(time.perf_counter() - start)
    batched = []
    if reader_name != "stock":
        for _ in range(repeats):
            start = time.perf_counter()
            reader.answer_batch(queries, documents)
            batched.append(time.perf_counter() - start)
    return {
        "reader": reader_name,
        "label": label,
        "threads": torch.get_num_threads(),
        "questions": len(queries),
        "passages": sum(len(d) for d in documents),
        "load_seconds": load_seconds,
        "per_question_seconds": per_question,
        "batched_seconds": batched,
        "rss_before_model_mib": rss_before_model,
        "peak_rss_mib": peak_rss_mib(),
    }


# ---- the parent: workload, subprocesses, table --------------------------------------------------------------------


def run_phase(reader_name: str, model: Path, workload_path: Path, repeats: int, threads: int | None) -> dict:
    command = [
        sys.executable,
        __file__,
        "--phase",
        reader_name,
        "--model",
        str(model),
        "--workload",
        str(workload_path),
        "--repeats",
        str(repeats),
    ]
    if threads:
        command += ["--threads", str(threads)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def rows(result: dict[str, Any]) -> list[tuple[str, float, dict[str, Any]]]:
    out = [(f"{result['label']}, run() per question", statistics.median(result["per_question_seconds"]), result)]
    if result["batched_seconds"]:
        out.append((f"{result['label']}, answer_batch()", statistics.median(result["batched_seconds"]), result))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=20, help="number of SQuAD 2.0 dev questions (default 20)")
    parser.add_argument("--squad", type=Path, default=DEFAULT_SQUAD, help="SQuAD 2.0 dev JSON")
    parser.add_argument("--top-k", type=int, default=10, help="passages retrieved per question (default 10)")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes per reader; the median counts")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's, = cores)")
    parser.add_argument(
        "--readers", default="stock,ours", help=f"comma-separated, of {', '.join(READERS)} (default stock,ours)"
    )
    parser.add_argument("--cache-dir", type=Path, default=None, help="where the random model is cached")
    parser.add_argument("--model", type=Path, default=None, help="use this model directory instead")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument("--phase", choices=READERS, help=argparse.SUPPRESS)
    parser.add_argument("--workload", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.phase:
        print(json.dumps(measure(args.phase, str(args.model), args.workload, args.repeats, args.threads)))
        return 0

    readers = [r.strip() for r in args.readers.split(",") if r.strip()]
    unknown = set(readers) - set(READERS)
    if unknown or not readers:
        parser.error(f"unknown reader(s) {sorted(unknown)}; choose from {', '.join(READERS)}")
    if not args.squad.exists():
        parser.error(f"SQuAD 2.0 dev file not found: {args.squad} (pass --squad)")
    model = args.model or random_base_model(args.cache_dir or default_cache_dir())
    with tempfile.TemporaryDirectory(prefix="reader-throughput-") as tmp:
        workload = build_workload(args.squad, args.questions, model, Path(tmp), args.top_k)
        workload_path = Path(tmp) / "workload.json"
        workload_path.write_text(json.dumps(workload), encoding="utf-8")
        results = []
        for name in readers:
            print(f"measuring {name} ...", file=sys.stderr)
            results.append(run_phase(name, model, workload_path, args.repeats, args.threads))

    questions = results[0]["questions"]
    passages = results[0]["passages"]
    print(
        f"\nworkload: {questions} SQuAD 2.0 dev questions x top-{args.top_k} BM25 passages ({passages} passages), "
        f"model {model if args.model else model.name + ' (roberta-base shape, random weights)'}, "
        f"{results[0]['threads']} torch threads, median of {args.repeats} passes"
    )
    table = [row for result in results for row in rows(result)]
    baseline = table[0][1] if readers[0] == "stock" else None
    print(f"{'reader':68s} {'questions/s':>11s} {'passages/s':>10s} {'vs stock':>8s} {'peak RSS':>9s}")
    summary = []
    for label, seconds, result in table:
        ratio = baseline / seconds if baseline else float("nan")
        print(
            f"{label:68s} {questions / seconds:11.3f} {passages / seconds:10.2f} {ratio:7.2f}x "
            f"{result['peak_rss_mib']:6.0f} MiB"
        )
        summary.append(
            {
                "reader": label,
                "seconds": seconds,
                "questions_per_s": questions / seconds,
                "passages_per_s": passages / seconds,
                "speedup_vs_stock": ratio,
                "peak_rss_mib": result["peak_rss_mib"],
            }
        )
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "raw": results}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
