"""
The embedded store at scale: the bundled data replicated to 100k and 1M passages, the tantivy store against
Haystack's in-memory store (kept in its JSON file between commands, as the application did before), in one run.

For each store and size: indexing throughput end to end (`extractive-qa index` on the files: conversion, cleaning,
splitting and writing), BM25 top-10 latency p50/p95 over SQuAD 2.0 questions (the store's retriever in-process),
cold `extractive-qa count` and cold `extractive-qa ask` wall time with the ask's peak RSS (each a fresh process,
best of `--repeats`), and the store's size on disk. The collection is generated on the fly (copies of data/, each
file under a name of its own), never committed. The in-memory store is measured up to `--memory-up-to` passages:
beyond that its whole-file load and pure-Python BM25 are too slow to bear (the run says where).

Reproduce (2 cores; about 15 minutes with 1M; the model only matters for the cold ask):
    python benchmarks/store_scale.py --model ../shared/models/minilm-squad-mini --sizes 100000,1000000
Writes benchmarks/results/store_scale.json.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from extractive_qa.testing.paths import HELDOUT

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
QUESTIONS_FILE = HELDOUT
RESULTS = ROOT / "benchmarks" / "results" / "store_scale.json"
PASSAGES_IN_DATA = 1192  # what data/ gives with the shipped splitter (checked below)


def _run(command: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Runs a command; returns its wall time, its peak RSS in MiB and its stdout."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    stdout = process.stdout.read() if process.stdout else ""
    stderr = process.stderr.read() if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(command[:6])} failed: {stderr[-2000:]}")
    return seconds, usage.ru_maxrss // 1024, stdout


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "extractive_qa.cli", *args]


def _make_collection(folder: Path, copies: int) -> None:
    folder.mkdir(parents=True)
    for copy in range(copies):
        for source in sorted(DATA_DIR.glob("*.txt")):
            shutil.copy(source, folder / f"{copy:04d}-{source.name}")


def _questions(limit: int) -> list[str]:
    data = json.loads(QUESTIONS_FILE.read_text(encoding="utf-8"))
    found = [qa["question"] for article in data["data"] for p in article["paragraphs"] for qa in p["qas"]]
    return found[:limit]


def _bm25_latency(store: str, store_path: Path, questions: list[str]) -> dict[str, float]:
    """BM25 top-10 latency (milliseconds) through the store's retriever as the query YAML defines it, in-process."""
    from haystack.core.serialization import component_from_dict, import_class_by_name

    from extractive_qa.pipeline_files import load_pipeline_data
    from extractive_qa.settings import Settings
    from extractive_qa.store.configured_store import open_store

    settings = Settings(store=store, store_path=store_path)
    open_store(settings)  # the in-memory store loads its file here (its retriever's store shares the documents)
    definition = load_pipeline_data(settings, "query")["components"]["retriever"]
    retriever = component_from_dict(import_class_by_name(definition["type"]), definition, "retriever")
    retriever.run(query=questions[0])  # warm
    times = []
    for question in questions:
        started = time.perf_counter()
        retriever.run(query=question)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[math.ceil(0.95 * len(times)) - 1], 2),
        "queries": len(times),
    }


def _disk_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def measure(store: str, passages: int, model: str, repeats: int, questions: list[str], work: Path) -> dict[str, Any]:
    copies = max(1, round(passages / PASSAGES_IN_DATA))
    folder = work / f"collection-{copies}"
    if not folder.exists():
        _make_collection(folder, copies)
    store_path = work / f"{store}-{copies}" / ("store.json" if store == "memory" else "index")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "EQA_STORE": store, "EQA_STORE_PATH": str(store_path)}
    env["HF_HUB_OFFLINE"] = "1"
    seconds, index_rss, output = _run(_cli("index", str(folder), "--no-progress", "--json"), env)
    report = json.loads(output)
    written = report["passages_written"]
    result: dict[str, Any] = {
        "store": store,
        "passages": written,
        "files": report["files_read"],
        "index_seconds": round(seconds, 1),
        "index_passages_per_s": round(written / seconds),
        "index_peak_rss_mib": index_rss,
        "disk_mib": round(_disk_bytes(store_path) / 2**20, 1),
    }
    counts = [_run(_cli("count"), env) for _ in range(repeats)]
    assert int(counts[0][2].strip()) == written, (counts[0][2], written)
    result["cold_count_s"] = round(min(c[0] for c in counts), 3)
    result["cold_count_peak_rss_mib"] = min(c[1] for c in counts)
    asks = [_run(_cli("ask", questions[0], "--model", model, "--threshold", "100"), env) for _ in range(repeats)]
    result["cold_ask_s"] = round(min(a[0] for a in asks), 2)
    result["cold_ask_peak_rss_mib"] = min(a[1] for a in asks)
    # In a process of its own: loading the in-memory store here would grow this process, and a child forked from a
    # large parent reports the parent's pages as its own peak RSS.
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        result["bm25_top10"] = pool.apply(_bm25_latency, (store, store_path, questions))
    shutil.rmtree(store_path.parent)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="the reader model for the cold ask (a local directory)")
    parser.add_argument("--sizes", default="100000,1000000", help="passage counts, comma-separated")
    parser.add_argument("--memory-up-to", type=int, default=100_000, help="largest size for the in-memory store")
    parser.add_argument("--queries", type=int, default=200, help="BM25 queries per measurement")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temporary one, removed afterwards)")
    args = parser.parse_args()
    from extractive_qa.testing.machine import cpu_description

    model = str(Path(args.model).expanduser().resolve())
    sizes = [int(s) for s in args.sizes.split(",")]
    questions = _questions(args.queries)
    machine = cpu_description()
    print(f"# {machine}")
    work = args.work or Path(tempfile.mkdtemp(prefix="eqa-store-scale-"))
    rows = []
    try:
        for size in sizes:
            for store in ("embedded", "memory"):
                if store == "memory" and size > args.memory_up_to:
                    print(f"# in-memory store skipped at {size} passages (over --memory-up-to {args.memory_up_to})")
                    continue
                row = measure(store, size, model, args.repeats, questions, work)
                print(json.dumps(row))
                rows.append(row)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    for size in sizes:
        ours = next((r for r in rows if r["store"] == "embedded" and abs(r["passages"] - size) < size * 0.05), None)
        base = next((r for r in rows if r["store"] == "memory" and abs(r["passages"] - size) < size * 0.05), None)
        if ours and base:
            print(
                f"# {ours['passages']} passages, embedded vs in-memory: indexing "
                f"{ours['index_passages_per_s'] / base['index_passages_per_s']:.1f}x, BM25 p50 "
                f"{base['bm25_top10']['p50_ms'] / ours['bm25_top10']['p50_ms']:.0f}x faster, cold count "
                f"{base['cold_count_s'] / ours['cold_count_s']:.1f}x, "
                f"cold ask {base['cold_ask_s'] / ours['cold_ask_s']:.1f}x"
            )
    RESULTS.write_text(json.dumps({"machine": machine, "model": args.model, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
