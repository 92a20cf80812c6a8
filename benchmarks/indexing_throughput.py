"""
Indexing throughput (passages per second) into Elasticsearch and into memory, for the bundled collection.

Compares, in one run and on the same files:

- `ours`: the application's batch indexer (`QuestionAnswerer.index`: per-file checks, one pipeline run per batch of
  files, `ElasticsearchBulkWriter` without a refresh per write, stale-passage removal, one refresh at the end; for
  the in-memory store the store file is saved at the end, as the CLI does),
- `plain`: a plain Haystack indexing pipeline: the same converters, cleaner and splitter with Haystack's
  `DocumentWriter` (policy OVERWRITE), run once over all files, as Haystack's documentation does it, and
- `plain-batched`: that plain pipeline run once per batch of files, as our indexer runs its pipeline.

Every measurement starts from an empty index (Elasticsearch: a fresh index, created before the clock starts) and
ends when every passage is searchable; the count is checked after each one. The collection is data/ (35 files,
about 1,200 passages of at most 200 words) and, for steadier figures, data/ copied N times under other file names.

Usage (start a node first: `ES_PORT=9250 scripts/elasticsearch.sh start`):

    flock /tmp/bench.lock python benchmarks/indexing_throughput.py --elasticsearch-url http://127.0.0.1:9250

`--incremental` measures incremental indexing instead, on the embedded store (no Elasticsearch needed): the first
run over data/ copied `--incremental-copies` times (default 50: 1,750 files), the re-run over the unchanged
collection (which must take at most a tenth of it, with the same passage count), and a `--sync` re-run after one
file changed, one was added and one deleted (exact counts checked):

    flock /tmp/bench.lock python benchmarks/indexing_throughput.py --incremental

`--watch` measures `extractive-qa index --watch` (a real process, embedded store, the same collection): the delay
from a file's write (closed) to its new passages being searchable (BM25 finds a word only the new version has, read
by this process from the store the watch writes), over `--watch-changes` changes (default 20: every other one a new
file, the others an existing file changed), one at a time; median and max, and the watch's own counts checked:

    flock /tmp/bench.lock python benchmarks/indexing_throughput.py --watch
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from haystack import Pipeline  # noqa: E402

from extractive_qa import QuestionAnswerer, Settings  # noqa: E402
from extractive_qa.app.pipeline_loader import build_pipeline  # noqa: E402
from extractive_qa.indexing.files import iter_files  # noqa: E402
from extractive_qa.indexing.report import IndexReport  # noqa: E402
from extractive_qa.pipeline_files import apply_settings, pipeline_path, read_pipeline_yaml  # noqa: E402
from extractive_qa.testing.machine import cpu_description  # noqa: E402

PLAIN_WRITER = "haystack.components.writers.document_writer.DocumentWriter"


def collection(copies: int, workdir: Path) -> Path:
    """data/ itself, or data/'s text files copied `copies` times under different names."""
    if copies == 1:
        return ROOT / "data"
    target = workdir / f"data-x{copies}"
    if not target.exists():
        target.mkdir(parents=True)
        for n in range(copies):
            for path in sorted((ROOT / "data").glob("*.txt")):
                shutil.copyfile(path, target / f"{path.stem} ({n + 1}).txt")
    return target


def plain_pipeline(settings: Settings) -> Pipeline:
    """The application's indexing pipeline for the store, with Haystack's DocumentWriter as its writer."""
    data = apply_settings(read_pipeline_yaml(pipeline_path(settings, "indexing")), settings)
    writer = data["components"]["writer"]
    writer["type"] = PLAIN_WRITER
    writer["init_parameters"] = {
        "document_store": writer["init_parameters"]["document_store"],
        "policy": "OVERWRITE",
    }
    return build_pipeline(data)


def run_plain(pipeline: Pipeline, files: list[Path], batch_size: int | None) -> None:
    size = batch_size or len(files)
    for start in range(0, len(files), size):
        batch = files[start : start + size]
        pipeline.run({"router": {"sources": batch, "meta": [{"file_name": p.name} for p in batch]}})


def measure(
    store: str,
    variant: str,
    folder: Path,
    batch_size: int,
    url: str,
    workdir: Path,
) -> dict[str, Any]:
    """One timed indexing run into an empty store; returns passages, seconds, passages per second."""
    index = f"bench-{uuid.uuid4().hex[:10]}"
    settings = Settings(
        store=store,  # type: ignore[arg-type]
        elasticsearch_url=url,
        elasticsearch_index=index,
        store_path=workdir / f"{index}.json",
    )
    files = list(iter_files([folder], IndexReport()))
    qa = QuestionAnswerer(settings)
    run: Callable[[], None]
    if variant == "ours":
        qa.count_documents()  # connects and creates the index before the clock starts
        run = lambda: qa.index([folder], batch_size=batch_size)  # noqa: E731
        counted = qa.count_documents
        target = qa.document_store
    else:
        pipeline = plain_pipeline(settings)
        target = pipeline.get_component("writer").document_store
        target.count_documents()
        run = lambda: run_plain(pipeline, files, batch_size if variant == "plain-batched" else None)  # noqa: E731
        counted = target.count_documents
    started = time.perf_counter()
    run()
    seconds = time.perf_counter() - started
    passages = counted()
    if store == "elasticsearch":
        target.client.options(ignore_status=404).indices.delete(index=index)
    else:
        target.delete_all_documents()  # in-memory indexes live as long as the process
    return {"passages": passages, "seconds": seconds, "passages_per_second": passages / seconds}


def measure_incremental(copies: int, workdir: Path, output: Path) -> None:
    """The first run, the unchanged re-run and a --sync re-run after a change, on the embedded store."""
    folder = collection(copies, workdir)
    settings = Settings(store="embedded", store_path=workdir / "incremental-index")
    files = sorted(folder.glob("*.txt"))
    rows: dict[str, Any] = {"collection": f"data/ x{copies}", "files": len(files)}

    def run(name: str, sync: bool = False) -> IndexReport:
        started = time.perf_counter()
        report = QuestionAnswerer(settings).index([folder], sync=sync)
        seconds = time.perf_counter() - started
        passages = QuestionAnswerer(settings).count_documents()
        rows[name] = {
            "seconds": round(seconds, 3),
            "new": report.new,
            "changed": report.changed,
            "unchanged": report.unchanged,
            "removed": report.removed,
            "passages_written": report.passages_written,
            "passages_removed": report.passages_removed,
            "passages_in_store": passages,
        }
        print(f"{name:10} {seconds:8.2f} s  {rows[name]}", flush=True)
        return report

    first = run("first")
    assert first.new == len(files) and first.passages_written == rows["first"]["passages_in_store"]
    again = run("unchanged")
    assert (again.unchanged, again.files_read) == (len(files), 0)
    assert rows["unchanged"]["passages_in_store"] == rows["first"]["passages_in_store"]
    rows["unchanged_over_first"] = round(rows["unchanged"]["seconds"] / rows["first"]["seconds"], 4)
    with files[0].open("a", encoding="utf-8") as handle:
        handle.write("\n\nA sentence added to change the file.\n")
    shutil.copyfile(files[1], folder / "added.txt")
    files[2].unlink()
    synced = run("sync", sync=True)
    assert (synced.new, synced.changed, synced.removed) == (1, 1, 1)
    assert synced.unchanged == len(files) - 2  # one changed, one deleted
    print(f"unchanged re-run / first run: {rows['unchanged_over_first']}")
    output.parent.mkdir(parents=True, exist_ok=True)
    machine = f"{cpu_description()}, Python {platform.python_version()}"
    output.write_text(json.dumps({"command": " ".join(sys.argv), "machine": machine, **rows}, indent=2) + "\n")
    print(f"written to {output}")


def measure_watch(copies: int, changes: int, workdir: Path, output: Path) -> None:
    """The delay from a file's write to its passages being searchable, under `index --watch`."""
    import re
    import signal
    import subprocess

    from extractive_qa.store.configured_store import open_store
    from extractive_qa.testing.processes import SOURCE_ROOT, process_environment

    folder = collection(copies, workdir)
    if folder == ROOT / "data":  # the watch writes into its folder: never data/ itself
        folder = workdir / "data-copy"
        folder.mkdir()
        for path in (ROOT / "data").glob("*.txt"):
            shutil.copyfile(path, folder / path.name)
    files = sorted(folder.glob("*.txt"))
    assert len(files) == len(list(folder.iterdir())), "the collection is text files only"
    store_path = workdir / "watch-index"
    log = workdir / "watch.log"
    command = [
        sys.executable,
        "-m",
        "extractive_qa.cli",
        "index",
        "--watch",
        str(folder),
        "--store-path",
        str(store_path),
    ]
    with log.open("wb") as handle:
        watch = subprocess.Popen(command, cwd=SOURCE_ROOT, env=process_environment(), stdout=handle, stderr=handle)
    delays: list[float] = []
    try:
        started = time.perf_counter()
        while "watching " not in log.read_text("utf-8"):
            if watch.poll() is not None or time.perf_counter() - started > 600:
                raise RuntimeError(f"the watch did not start:\n{log.read_text('utf-8')}")
            time.sleep(0.1)
        first_sync = time.perf_counter() - started
        print(f"first sync (start-up included): {first_sync:.1f} s; {log.read_text('utf-8').splitlines()[0]}")
        store = open_store(Settings(store="embedded", store_path=store_path))
        for n in range(changes):
            word = f"zwatchword{n}q{uuid.uuid4().hex[:8]}"
            target = folder / f"watched {n}.txt" if n % 2 == 0 else files[n]
            text = f"This version was written for change {n}; its marker word is {word}.\n\n"
            if n % 2:
                text += files[n].read_text("utf-8")
            target.write_text(text, "utf-8")
            written = time.perf_counter()
            while not store.bm25_retrieval(query=word, top_k=1):
                if time.perf_counter() - written > 60:
                    raise RuntimeError(f"change {n} not searchable after 60 s:\n{log.read_text('utf-8')}")
                time.sleep(0.01)
            delays.append(time.perf_counter() - written)
            print(f"change {n:2} ({'new' if n % 2 == 0 else 'changed'}): searchable after {delays[-1]:.2f} s")
            time.sleep(0.5)  # each change its own batch
        watch.send_signal(signal.SIGINT)
        assert watch.wait(timeout=60) == 0
    finally:
        if watch.poll() is None:
            watch.kill()
    summary = log.read_text("utf-8").strip().splitlines()[-1]
    new, changed = (changes + 1) // 2, changes // 2
    assert re.search(rf"\({len(files) + new} new, {changed} changed, 0 unchanged\)", summary), summary
    machine = cpu_description()
    rows = {
        "command": " ".join(sys.argv),
        "machine": machine,
        "collection": f"data/ x{copies}",
        "files": len(files),
        "changes": changes,
        "delay_seconds": {
            "median": round(statistics.median(delays), 3),
            "max": round(max(delays), 3),
            "all": [round(d, 3) for d in delays],
        },
        "first_sync_seconds_with_start_up": round(first_sync, 1),
        "summary": summary,
    }
    print(f"machine: {machine}")
    print(f"write -> searchable: median {rows['delay_seconds']['median']} s, max {rows['delay_seconds']['max']} s")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"written to {output}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--elasticsearch-url", default=os.environ.get("EQA_ELASTICSEARCH_URL", "http://127.0.0.1:9200"))
    parser.add_argument("--copies", default="1,10", help="collection sizes as copies of data/ (default 1,10)")
    parser.add_argument("--batch-sizes", default="16,64", help="files per batch for ours/plain-batched")
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement; the median is reported")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results" / "indexing_throughput.json")
    parser.add_argument("--incremental", action="store_true", help="measure incremental indexing (embedded store)")
    parser.add_argument("--incremental-copies", type=int, default=50, help="copies of data/ for --incremental/--watch")
    parser.add_argument("--watch", action="store_true", help="measure index --watch's delay (embedded store)")
    parser.add_argument("--watch-changes", type=int, default=20, help="file changes timed for --watch")
    args = parser.parse_args()
    from extractive_qa.logs import quiet_libraries

    quiet_libraries()
    workdir = Path(tempfile.mkdtemp(prefix="eqa-bench-"))
    if args.watch:
        try:
            measure_watch(
                args.incremental_copies,
                args.watch_changes,
                workdir,
                ROOT / "benchmarks" / "results" / "indexing_watch.json",
            )
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return
    if args.incremental:
        try:
            measure_incremental(
                args.incremental_copies, workdir, ROOT / "benchmarks" / "results" / "indexing_incremental.json"
            )
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return
    results: list[dict[str, Any]] = []
    try:
        for copies in [int(c) for c in args.copies.split(",")]:
            folder = collection(copies, workdir)
            plans = [("plain", 0)] + [
                (variant, int(b)) for b in args.batch_sizes.split(",") for variant in ("ours", "plain-batched")
            ]
            for store in ("elasticsearch", "memory"):
                for variant, batch_size in plans:
                    runs = [
                        measure(store, variant, folder, batch_size, args.elasticsearch_url, workdir)
                        for _ in range(args.repeats)
                    ]
                    counts = {r["passages"] for r in runs}
                    assert len(counts) == 1, f"the passage count differs between runs: {counts}"
                    row = {
                        "collection": f"data/ x{copies}",
                        "store": store,
                        "indexer": variant,
                        "batch_size": batch_size or "all",
                        "passages": runs[0]["passages"],
                        "seconds_median": round(statistics.median(r["seconds"] for r in runs), 3),
                        "passages_per_second_median": round(statistics.median(r["passages_per_second"] for r in runs)),
                        "passages_per_second_runs": [round(r["passages_per_second"]) for r in runs],
                    }
                    results.append(row)
                    print(
                        f"{row['collection']:11} {store:13} {variant:13} batch {row['batch_size']!s:>4}: "
                        f"{row['passages']:6d} passages, {row['seconds_median']:7.3f} s, "
                        f"{row['passages_per_second_median']:6d} passages/s  (runs {row['passages_per_second_runs']})",
                        flush=True,
                    )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(
            {
                "command": " ".join(sys.argv),
                "machine": f"{cpu_description()}, Python {platform.python_version()}",
                "results": results,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()
