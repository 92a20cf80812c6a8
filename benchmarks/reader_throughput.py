"""
Reader throughput: Haystack's stock reader (ExtractiveReader; TransformersExtractiveReader on Haystack 3) against the
project's ExtractiveQAReader, same model, same work.

The model is a RoBERTa of roberta-base shape (12 layers, 768 wide: deepset/roberta-base-squad2's compute) with
random weights, built once with a byte-level BPE tokenizer trained on the bundled data/ and cached. The workload:
real SQuAD 2.0 dev questions, each with the top-10 passages that the project's BM25 retriever finds in the bundled
collection (data/ indexed with the project's indexing pipeline into a temporary in-memory store).

Timing: one subprocess loads all the readers, warms each up on one question, then answers the workload
`--repeats` times, *interleaved*: question by question, each reader in turn (the order rotating), so that load
from other processes on the machine falls on all readers alike. A reader's time for a pass is the sum over the
questions of the median of its repeats. Our reader is timed twice: one `run()` per question (as the query
pipeline calls it), and `answer_batch()` over chunks of `--batch-questions` questions (timed chunk by chunk).

Memory: each reader then runs alone in a fresh subprocess (loading, warm-up, the first `--rss-questions`
questions), which reports its peak RSS (`ru_maxrss`), interpreter and libraries included.

Efficiency: the machine (CPU model and the flags that matter, `extractive_qa.testing.machine.cpu_description`) and
the plain matrix-product peaks in fp32, bf16 (where the CPU has native bfloat16) and int8 (`matmul_peaks`), measured
in the timing subprocess with the readers' torch thread count before the readers load, are printed with the table.
The useful work of a pass: every question's passages tokenized as ExtractiveQAReader does (`truncate_query`, then
`tokenize_windows`: max_seq_length 384, stride 128), and `extractive_qa.testing.model_flops.window_flops` summed over
the windows at their real lengths. The stock reader does the same useful work (it also computes on padding, which
does not count). A row's effective GFLOP/s is that work over its seconds per pass, and "of peak" compares it with the
peak of the precision it runs in: fp32 for the stock reader and `ours-fp32`, the reader's `resolved_precision` for
ours (bf16 -> the bf16 peak, int8 -> the int8 peak); fp32 rechecks of close calls count as no extra useful work.

Usage:
```
flock /tmp/bench.lock python benchmarks/reader_throughput.py                   # 20 questions, 3 passes
python benchmarks/reader_throughput.py --questions 50 --threads 2 --readers stock,ours,ours-fp32,ours-serial
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

from extractive_qa.testing.machine import (
    GPU_MATMUL_SHAPE,
    MATMUL_SHAPE,
    cpu_description,
    gpu_description,
    gpu_matmul_peaks,
    matmul_peaks,
)
from extractive_qa.testing.model_flops import window_flops
from extractive_qa.testing.paths import SQUAD2_DEV as DEFAULT_SQUAD

ROOT = Path(__file__).resolve().parent.parent
READERS = ("stock", "stock-fp16", "ours", "ours-noengine", "ours-fp32", "ours-serial")


def default_cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(os.environ.get("EQA_BENCH_CACHE") or user_cache_dir("extractive-qa", appauthor=False)) / "bench"


def random_base_model(cache_dir: Path) -> Path:
    """The roberta-base-shaped random model, built on first use and cached (about 330 MB)."""
    from extractive_qa.testing.random_model import build_random_roberta

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
    from extractive_qa.app.pipeline_loader import load_pipeline

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


def load_reader(reader_name: str, model: str) -> tuple[Any, str]:
    """Builds and warms up one reader; returns it with its label."""
    if reader_name in ("stock", "stock-fp16"):
        import torch

        from extractive_qa.evaluation.stock_reader import stock_reader, stock_reader_name

        # fp16 as a user of a GPU would configure the stock reader (Haystack's default is fp32)
        half = reader_name == "stock-fp16"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            stock = stock_reader(model=model, model_kwargs={"torch_dtype": torch.float16} if half else None)
        stock.warm_up()
        return stock, f"stock {stock_reader_name()} ({'fp16' if half else 'fp32'})"
    from extractive_qa.components.reader import ExtractiveQAReader

    ours = ExtractiveQAReader(
        model=model,
        precision="fp32" if reader_name == "ours-fp32" else "auto",
        cpu_workers=1 if reader_name == "ours-serial" else None,
        batch_requests=False if reader_name == "ours-noengine" else None,
    )
    ours.warm_up()
    engine = "engine" if ours.resolved_batch_requests else "no engine"
    return (
        ours,
        f"ExtractiveQAReader ({ours.precision} -> {ours.resolved_precision}, {ours.resolved_cpu_workers} at once, "
        f"{engine})",
    )


def load_workload(workload_path: Path) -> tuple[list[str], list[list[Any]]]:
    from haystack import Document

    workload = json.loads(workload_path.read_text(encoding="utf-8"))
    return [item["question"] for item in workload], [
        [Document.from_dict(d) for d in item["documents"]] for item in workload
    ]


def workload_windows(model: str, queries: list[str], documents: list[list[Any]]) -> dict[str, Any]:
    """
    The windows of one pass, tokenized exactly as ExtractiveQAReader does (with its default settings), and the
    useful work they are: the encoder's FLOPs over every window at its real length (`window_flops`).
    """
    from transformers import AutoConfig, AutoTokenizer

    from extractive_qa.components.reader import ExtractiveQAReader
    from extractive_qa.components.reader.windows import tokenize_windows, truncate_query

    settings = ExtractiveQAReader(model=model)  # not warmed up: only its defaults are read
    tokenizer = AutoTokenizer.from_pretrained(model, use_fast=True)
    config = AutoConfig.from_pretrained(model)
    lengths: list[int] = []
    for query, docs in zip(queries, documents, strict=True):
        truncated = truncate_query(tokenizer, query, settings.max_query_length)
        windows, _ = tokenize_windows(tokenizer, [truncated], [docs], settings.max_seq_length, settings.stride)
        lengths += [len(window.input_ids) for window in windows]
    return {
        "max_seq_length": settings.max_seq_length,
        "stride": settings.stride,
        "max_query_length": settings.max_query_length,
        "windows_per_pass": len(lengths),
        "tokens_per_pass": sum(lengths),
        "mean_tokens_per_window": sum(lengths) / len(lengths) if lengths else float("nan"),
        "flops_per_pass": sum(window_flops(config, n) for n in lengths),
    }


def measure_rss(reader_name: str, model: str, workload_path: Path, questions: int, threads: int | None) -> dict:
    """Peak RSS of one reader alone: loading, warm-up and its first `questions` questions."""
    import torch

    if threads:
        torch.set_num_threads(threads)
    queries, documents = load_workload(workload_path)
    before = peak_rss_mib()
    reader, label = load_reader(reader_name, model)
    for query, docs in list(zip(queries, documents, strict=True))[:questions]:
        reader.run(query=query, documents=docs)
    return {"reader": reader_name, "label": label, "rss_before_model_mib": before, "peak_rss_mib": peak_rss_mib()}


def measure_times(
    reader_names: list[str],
    model: str,
    workload_path: Path,
    repeats: int,
    threads: int | None,
    batch_questions: int,
    clients: int,
) -> dict:
    """
    Times all readers interleaved, question by question; returns seconds[reader][question][repeat]; then, per
    repeat, each of our readers' `answer_batch()` chunks and a pass of `clients` threads calling `run()` at once.
    """
    import torch

    if threads:
        torch.set_num_threads(threads)
    gpu = gpu_description()
    # the readers' thread count, before any reader loads; on a GPU its own peaks
    peaks = gpu_matmul_peaks() if gpu else matmul_peaks(threads=torch.get_num_threads())
    queries, documents = load_workload(workload_path)
    work = workload_windows(model, queries, documents)
    readers = {}
    labels = {}
    load_seconds = {}
    for name in reader_names:
        start = time.perf_counter()
        readers[name], labels[name] = load_reader(name, model)
        load_seconds[name] = time.perf_counter() - start
        readers[name].run(query=queries[0], documents=documents[0])  # first-call allocations, kernel choice
    timed = list(reader_names)
    batched = [n for n in reader_names if n != "stock"]
    seconds: dict[str, list[list[float]]] = {n: [[] for _ in queries] for n in timed}
    chunk_seconds: dict[str, list[list[float]]] = {}
    chunks = [list(range(b, min(b + batch_questions, len(queries)))) for b in range(0, len(queries), batch_questions)]
    for n in batched:
        chunk_seconds[n] = [[] for _ in chunks]
    concurrent_seconds: dict[str, list[float]] = {n: [] for n in batched}
    turn = 0
    for _ in range(repeats):
        for c, chunk in enumerate(chunks):
            for q in chunk:
                order = timed[turn % len(timed) :] + timed[: turn % len(timed)]
                turn += 1
                for name in order:
                    start = time.perf_counter()
                    readers[name].run(query=queries[q], documents=documents[q])
                    seconds[name][q].append(time.perf_counter() - start)
            for name in batched:
                start = time.perf_counter()
                readers[name].answer_batch([queries[q] for q in chunk], [documents[q] for q in chunk])
                chunk_seconds[name][c].append(time.perf_counter() - start)
        for name in batched:
            concurrent_seconds[name].append(concurrent_pass(readers[name], queries, documents, clients))
    return {
        "labels": labels,
        "stats": {n: dict(getattr(r, "stats", {})) for n, r in readers.items()},
        "verify_margin": {n: getattr(r, "resolved_verify_margin", None) for n, r in readers.items()},
        "precisions": {n: getattr(r, "resolved_precision", None) or "fp32" for n, r in readers.items()},
        "threads": torch.get_num_threads(),
        "cpu": cpu_description(),
        "gpu": gpu,
        "matmul_peaks_gflops": peaks,
        "work": work,
        "questions": len(queries),
        "passages": sum(len(d) for d in documents),
        "load_seconds": load_seconds,
        "seconds": seconds,
        "chunk_seconds": chunk_seconds,
        "concurrent_seconds": concurrent_seconds,
        "clients": clients,
    }


def concurrent_pass(reader: Any, queries: list[str], documents: list[list[Any]], clients: int) -> float:
    """Seconds for `clients` threads calling `run()` at once to answer every question (each takes the next one)."""
    from concurrent.futures import ThreadPoolExecutor

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(lambda q: reader.run(query=queries[q], documents=documents[q]), range(len(queries))))
    return time.perf_counter() - start


# ---- the parent: workload, subprocesses, table --------------------------------------------------------------------


def run_subprocess(arguments: list[str]) -> dict:
    command = [sys.executable, __file__, *arguments]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def peak_precision(reader_name: str, resolved_precision: str) -> str:
    """Which matrix-product peak a reader's speed compares with: the precision it runs in."""
    if reader_name == "stock-fp16":
        return "fp16"
    return "fp32" if reader_name in ("stock", "ours-fp32") else resolved_precision


def pass_seconds(per_unit: list[list[float]]) -> float:
    """A pass's time: the sum over questions (or chunks) of the median of their repeats."""
    return sum(statistics.median(times) for times in per_unit)


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
    parser.add_argument("--batch-questions", type=int, default=10, help="questions per answer_batch() call")
    parser.add_argument("--rss-questions", type=int, default=3, help="questions answered in the RSS subprocess")
    parser.add_argument("--clients", type=int, default=8, help="threads calling run() at once (default 8)")
    parser.add_argument("--phase", choices=("times", "rss"), help=argparse.SUPPRESS)
    parser.add_argument("--workload", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.phase == "times":
        names = args.readers.split(",")
        print(
            json.dumps(
                measure_times(
                    names,
                    str(args.model),
                    args.workload,
                    args.repeats,
                    args.threads,
                    args.batch_questions,
                    args.clients,
                )
            )
        )
        return 0
    if args.phase == "rss":
        print(json.dumps(measure_rss(args.readers, str(args.model), args.workload, args.rss_questions, args.threads)))
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
        common = ["--model", str(model), "--workload", str(workload_path)]
        common += ["--threads", str(args.threads)] if args.threads else []
        print(f"timing {', '.join(readers)} interleaved, {args.repeats} passes ...", file=sys.stderr)
        timing = ["--phase", "times", "--readers", ",".join(readers), "--repeats", str(args.repeats)]
        times = run_subprocess(
            [*timing, "--batch-questions", str(args.batch_questions), "--clients", str(args.clients), *common]
        )
        rss = {}
        for name in readers:
            print(f"peak RSS of {name} alone ...", file=sys.stderr)
            rss[name] = run_subprocess(
                ["--phase", "rss", "--readers", name, "--rss-questions", str(args.rss_questions), *common]
            )

    questions = times["questions"]
    passages = times["passages"]
    work = times["work"]
    peaks = times["matmul_peaks_gflops"]
    print(f"\nmachine: {times['cpu']}" + (f"; GPU: {times['gpu']}" if times["gpu"] else ""))
    if times["gpu"]:
        print(
            f"GPU matmul peaks ({'x'.join(map(str, GPU_MATMUL_SHAPE))}): "
            + ", ".join(f"{precision} {gflops:.0f} GFLOP/s" for precision, gflops in peaks.items())
        )
    else:
        print(
            f"matmul peaks ({'x'.join(map(str, MATMUL_SHAPE))}, {times['threads']} torch threads): "
            + ", ".join(f"{precision} {gflops:.1f} GFLOP/s" for precision, gflops in peaks.items())
            + "".join(f"; {p} not measured" for p in ("bf16", "int8") if p not in peaks)
        )
    print(
        f"workload: {questions} SQuAD 2.0 dev questions x top-{args.top_k} BM25 passages ({passages} passages), "
        f"model {model if args.model else model.name + ' (roberta-base shape, random weights)'}, "
        f"{times['threads']} torch threads, median of {args.repeats} interleaved passes"
    )
    print(
        f"windows per pass: {work['windows_per_pass']} (max_seq_length {work['max_seq_length']}, stride "
        f"{work['stride']}), mean {work['mean_tokens_per_window']:.1f} tokens per window, useful work "
        f"{work['flops_per_pass'] / 1e9:.1f} GFLOP per pass"
    )
    table = []
    for name in readers:
        table.append((f"{times['labels'][name]}, run() per question", pass_seconds(times["seconds"][name]), name))
        if name in times["chunk_seconds"]:
            label = f"{times['labels'][name]}, answer_batch() of {args.batch_questions}"
            table.append((label, pass_seconds(times["chunk_seconds"][name]), name))
            label = f"{times['labels'][name]}, {times['clients']} concurrent run()"
            table.append((label, statistics.median(times["concurrent_seconds"][name]), name))
    # the baseline: the stock reader as a user would configure it for the hardware (fp16 on a GPU)
    base_name = "stock-fp16" if times["gpu"] and "stock-fp16" in readers else "stock"
    baseline = pass_seconds(times["seconds"][base_name]) if base_name in readers else None
    print(
        f"{'reader':86s} {'questions/s':>11s} {'passages/s':>10s} {'vs ' + base_name:>10s} {'peak RSS':>9s} "
        f"{'GFLOP/s':>8s} {'of peak':>12s}"
    )
    summary = []
    for label, seconds, name in table:
        ratio = baseline / seconds if baseline else float("nan")
        peak = rss[name]["peak_rss_mib"]
        gflops = work["flops_per_pass"] / seconds / 1e9
        precision = peak_precision(name, times["precisions"][name])
        peak_gflops = peaks.get(precision)
        fraction = gflops / peak_gflops if peak_gflops else None
        of_peak = f"{fraction * 100:5.1f}% {precision}" if fraction is not None else f"n/a ({precision})"
        print(
            f"{label:86s} {questions / seconds:11.3f} {passages / seconds:10.2f} {ratio:9.2f}x {peak:6.0f} MiB "
            f"{gflops:8.1f} {of_peak:>12s}"
        )
        summary.append(
            {
                "reader": label,
                "seconds_per_pass": seconds,
                "questions_per_s": questions / seconds,
                "passages_per_s": passages / seconds,
                "speedup_vs_stock": ratio,
                "peak_rss_mib": peak,
                "effective_gflops": gflops,
                "peak_precision": precision,
                "peak_gflops": peak_gflops,
                "fraction_of_peak": fraction,
            }
        )
    if baseline:
        for name in readers:
            if name == base_name:
                continue
            ratios = [
                statistics.median(s) / statistics.median(o)
                for s, o in zip(times["seconds"][base_name], times["seconds"][name], strict=True)
            ]
            print(
                f"median per-question speed-up of {times['labels'][name]} over {base_name}: "
                f"{statistics.median(ratios):.2f}x"
            )
    for name in readers:
        stats = times["stats"].get(name)
        if stats and stats.get("rechecked_windows"):
            print(
                f"{times['labels'][name]}: close calls rechecked in fp32: {stats['rechecked_windows']} of "
                f"{stats['windows']} windows (margin {times['verify_margin'][name]:.4f})"
            )
    results = {"times": times, "rss": rss}
    machine = {"cpu": times["cpu"], "gpu": times["gpu"], "threads": times["threads"], "matmul_peaks_gflops": peaks}
    if args.json:
        args.json.write_text(
            json.dumps({"machine": machine, "work": work, "summary": summary, "raw": results}, indent=2),
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
