"""
The reader's CPU-side cost per window outside the forward pass: what caps a GPU, where the forward pass is cheap.

Two measurements, on the same workload as `reader_throughput.py` (SQuAD 2.0 dev questions, each with the top-10 BM25
passages of the bundled data/):

1. **End to end, from a profile.** Each reader answers every question with `run()`, one at a time, one model worker
   (`cpu_workers=1`, so nothing overlaps). The model's own runs (tensors in and logits out: `ForwardClock`) are
   timed where they happen, in whatever thread; everything else a question costs (tokenizing, batching the
   arrays, the span search, building and ranking the answers, handing windows to the engine and back) is the
   CPU-side cost, reported per window. Readers: `ExtractiveQAReader` with the engine, and without it
   (`batch_requests=False`, the reader before the engine).
2. **Stage by stage**, the same functions the reader calls, timed on their own over all the workload's windows: the
   fast tokenizer (`tokenize_windows`), the padded arrays of batches of 16 (`batch_arrays`), the span search of one
   window at a time in numpy (`best_spans`, the CPU path) and of a batch at once in torch (`best_spans_batch`, the
   GPU path; here on CPU tensors, so a ceiling of its cost).

On a GPU the forward pass of a roberta-base window takes about 0.24 ms (4,174 windows/s at batch 256 on an H200,
`../shared/tools/gpu_limit.py`), so a CPU-side cost of C ms per window caps a single caller at 1 / C windows/s.

Usage:
```
flock /tmp/bench.lock python benchmarks/reader_overhead.py                    # 20 questions, random roberta-base
python benchmarks/reader_overhead.py --questions 40 --model ../shared/models/minilm-squad-mini --json out.json
```
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reader_throughput import DEFAULT_SQUAD, build_workload, default_cache_dir, load_workload, random_base_model

from extractive_qa.testing.machine import cpu_description, gpu_description


class ForwardClock:
    """
    Times every model run of a runner, in any thread; the rest is CPU-side work. The model runs are the runner's
    padded batches (`QAModelRunner._run`), its packed batches (`runner.packed_encoder.logits`, BERT-family models in
    mixed bf16 on CPU) and its runs on a GPU (`device_logits`, synchronized here so that the device's time counts
    as the model's, not as CPU-side work).
    """

    def __init__(self, runner: Any) -> None:
        self.seconds = 0.0
        self.calls = 0
        self._lock = threading.Lock()
        synchronize = runner.device.type == "cuda"
        runner._run = self._timed(runner._run, False)
        runner.device_logits = self._timed(runner.device_logits, synchronize)
        if runner.packed_encoder is not None:
            runner.packed_encoder.logits = self._timed(runner.packed_encoder.logits, False)

    def _timed(self, run: Any, synchronize: bool) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                result = run(*args, **kwargs)
                if synchronize:
                    import torch

                    torch.cuda.synchronize()
                return result
            finally:
                with self._lock:
                    self.seconds += time.perf_counter() - start
                    self.calls += 1

        return timed


def end_to_end(model: str, queries: list[str], documents: list[list[Any]], engine: bool, repeats: int) -> dict:
    """One reader, `run()` per question: wall seconds, model seconds, windows, per pass (median of `repeats`)."""
    from extractive_qa.components.reader import ExtractiveQAReader

    reader = ExtractiveQAReader(model=model, cpu_workers=1, batch_requests=None if engine else False)
    reader.warm_up()
    reader.run(query=queries[0], documents=documents[0])
    clock = ForwardClock(reader.runner)
    passes = []
    for _ in range(repeats):
        clock.seconds, windows_before = 0.0, reader.stats["windows"]
        start = time.perf_counter()
        for query, docs in zip(queries, documents, strict=True):
            reader.run(query=query, documents=docs)
        wall = time.perf_counter() - start
        passes.append({"wall": wall, "model": clock.seconds, "windows": reader.stats["windows"] - windows_before})
    best = min(passes, key=lambda p: p["wall"] - p["model"])
    return {
        "reader": f"ExtractiveQAReader ({reader.resolved_precision}, {'engine' if engine else 'no engine'})",
        "wall_seconds": best["wall"],
        "model_seconds": best["model"],
        "windows": best["windows"],
        "cpu_side_ms_per_window": 1000 * (best["wall"] - best["model"]) / best["windows"],
        "model_ms_per_window": 1000 * best["model"] / best["windows"],
    }


def stages(model: str, queries: list[str], documents: list[list[Any]], repeats: int) -> dict[str, float]:
    """Milliseconds per window of each CPU-side stage, timed on its own (median of `repeats`)."""
    import torch
    from transformers import AutoTokenizer

    from extractive_qa.components.reader.engine import SpanSearch
    from extractive_qa.components.reader.spans import best_spans, best_spans_batch
    from extractive_qa.components.reader.windows import batch_arrays, tokenize_windows

    tokenizer = AutoTokenizer.from_pretrained(model, use_fast=True)
    timings: dict[str, list[float]] = {"tokenize": [], "batch_arrays": [], "best_spans": [], "best_spans_batch": []}
    windows: list[Any] = []
    for _ in range(repeats):
        start = time.perf_counter()
        windows, _ = tokenize_windows(tokenizer, queries, documents, 384, 128)
        timings["tokenize"].append(time.perf_counter() - start)
        plan = [list(range(i, min(i + 16, len(windows)))) for i in range(0, len(windows), 16)]
        start = time.perf_counter()
        batches = batch_arrays(windows, plan, pad_id=tokenizer.pad_token_id or 0)
        timings["batch_arrays"].append(time.perf_counter() - start)
        generator = torch.Generator().manual_seed(0)
        logits = [
            (
                torch.randn(b["input_ids"].shape, generator=generator),
                torch.randn(b["input_ids"].shape, generator=generator),
            )
            for b in batches
        ]
        search = SpanSearch(30, 20)
        start = time.perf_counter()
        for rows, (s, e) in zip(plan, logits, strict=True):
            for row, index in enumerate(rows):
                n = len(windows[index].input_ids)
                best_spans(s[row, :n].numpy(), e[row, :n].numpy(), windows[index], *search)
        timings["best_spans"].append(time.perf_counter() - start)
        start = time.perf_counter()
        for rows, (s, e) in zip(plan, logits, strict=True):
            best_spans_batch(s, e, [windows[i] for i in rows], [search] * len(rows))
        timings["best_spans_batch"].append(time.perf_counter() - start)
    return {name: 1000 * statistics.median(values) / len(windows) for name, values in timings.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=20, help="SQuAD 2.0 dev questions (default 20)")
    parser.add_argument("--squad", type=Path, default=DEFAULT_SQUAD, help="SQuAD 2.0 dev JSON")
    parser.add_argument("--repeats", type=int, default=3, help="passes; the best (end to end) or median counts")
    parser.add_argument("--model", type=Path, default=None, help="a model directory (default: random roberta-base)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)
    if not args.squad.exists():
        parser.error(f"SQuAD 2.0 dev file not found: {args.squad} (pass --squad)")
    model = args.model or random_base_model(default_cache_dir())
    with tempfile.TemporaryDirectory(prefix="reader-overhead-") as tmp:
        workload = build_workload(args.squad, args.questions, model, Path(tmp), 10)
        path = Path(tmp) / "workload.json"
        path.write_text(json.dumps(workload), encoding="utf-8")
        queries, documents = load_workload(path)
    rows = [end_to_end(str(model), queries, documents, engine, args.repeats) for engine in (False, True)]
    stage_ms = stages(str(model), queries, documents, args.repeats)
    print(f"\nmachine: {cpu_description()}" + (f"; GPU: {gpu_description()}" if gpu_description() else ""))
    print(f"workload: {len(queries)} questions x top-10 BM25 passages, {rows[0]['windows']} windows; model {model}")
    print(f"{'reader, run() per question, one worker':52s} {'CPU-side ms/window':>18s} {'model ms/window':>15s}")
    for row in rows:
        print(f"{row['reader']:52s} {row['cpu_side_ms_per_window']:18.3f} {row['model_ms_per_window']:15.3f}")
    print("stages on their own, ms per window: " + ", ".join(f"{k} {v:.3f}" for k, v in stage_ms.items()))
    if args.json:
        args.json.write_text(
            json.dumps({"machine": cpu_description(), "end_to_end": rows, "stages_ms_per_window": stage_ms}, indent=2),
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
