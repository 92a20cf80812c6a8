"""
Served question latency against the same pipeline called in-process, measured in one run.

Indexes the bundled data/ into a temporary store, starts a real server on a free loopback port (`extractive-qa
serve`, or `hayhooks run` on the package's wrappers with `--server hayhooks`), and asks the same questions both ways,
alternating which goes first so that drifting machine load hits both alike. Every question reads the retriever's
top 10 passages (`--retriever-top-k`) and is timed `--repeats` times each way; on a shared machine the fastest
repeat of each question is the figure least inflated by other work, so the p50/p95 over those come first, then
over every timing. Prints the HTTP layer's overhead as a ratio of the in-process p50 (the goal: under 10 %), and
checks that both ways give the same answers.

Then the concurrent case, for each client count of `--clients` (default 1,4,8): the same questions, shared out
round-robin over that many client threads, each sending its share one after another; served (each client its own
HTTP connection to the same server, started with `EQA_MAX_CONCURRENT` set to the largest client count so that no
client waits for a turn) and in-process (the threads calling the same `QuestionAnswerer`), the two ways alternating
which goes first. One round per client count and way: throughput (questions over the round's wall time), p50 and p95
latency, throughput against 1 client, and served against in-process; and a check that each question gets the same
best answer both ways.

Reproduce (one benchmark at a time on shared machines):

    flock /tmp/bench.lock python benchmarks/serving_latency.py
    flock /tmp/bench.lock python benchmarks/serving_latency.py --server hayhooks
    flock /tmp/bench.lock python benchmarks/serving_latency.py --model random-roberta-base --questions 12
    flock /tmp/bench.lock python benchmarks/serving_latency.py --clients 1,2,4 --questions 16

`--model` takes a Hugging Face id or directory (default: ../shared/models/minilm-squad-mini when present, else
deepset/roberta-base-squad2), or `random-roberta-base`: roberta-base's shape with random weights, the production
model's compute cost without a download.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extractive_qa.testing.paths import SHARED_MODEL  # noqa: E402

# Questions from the SQuAD 2.0 dev set about the bundled articles (CC BY-SA 4.0, see data/ATTRIBUTION).
QUESTIONS = [
    "When was the Old Truman Brewery founded?",
    "When was Iqbal elected president of the Muslim League?",
    "Which fault can produce a magnitude earthquake of 8.0?",
    "How much of the European population did the black death kill?",
    "When was Scotland invaded by William?",
    "When is the first reference in history to Warsaw?",
    "When did Prime Minister Wilson commit to some form of devolved legislature?",
    "When did BSkyB end their analogue service?",
    "What is the approximate condenser temperature in a turbine?",
    "In what country is Normandy located?",
    "What is the capital of Victoria?",
    "What is the largest city in the Amazon basin?",
    "Who was the leader of the Huguenots?",
    "What causes the Black Death?",
    "Who founded the Yuan dynasty?",
    "What is a prime number?",
    "What does the Scottish Parliament meet in?",
    "What is civil disobedience?",
    "What is the main source of power for a steam engine?",
    "Who was the first president of the European Commission?",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = (len(ordered) - 1) * q
    low, high = int(index), min(int(index) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (index - low)


@dataclass
class ConcurrentRound:
    """One round of the concurrent case: every question asked once, shared out over `clients` threads."""

    clients: int
    wall_seconds: float
    latencies: list[float]
    answers: list[str | None]  # the best answer's text, by the question's position in the round's list

    @property
    def throughput(self) -> float:
        """Questions answered per second of the round's wall time."""
        return len(self.latencies) / self.wall_seconds


#: Asks one question for one client (the client's index picks its connection); returns (seconds, best answer text).
Ask = Callable[[str, int], tuple[float, str | None]]


def run_clients(ask: Ask, questions: list[str], clients: int) -> ConcurrentRound:
    """
    Asks `questions` from `clients` threads at once: client `c` sends questions `c`, `c + clients`, ... one after
    another. The wall time runs from the moment all clients are ready to the last answer.
    """
    shares = [list(range(c, len(questions), clients)) for c in range(clients)]
    latencies: list[float | None] = [None] * len(questions)
    answers: list[str | None] = [None] * len(questions)
    ready = threading.Barrier(clients + 1)

    def client(c: int) -> None:
        ready.wait()
        for position in shares[c]:
            latencies[position], answers[position] = ask(questions[position], c)

    with ThreadPoolExecutor(max_workers=clients, thread_name_prefix="client") as pool:
        futures = [pool.submit(client, c) for c in range(clients)]
        ready.wait()
        started = time.perf_counter()
        for future in futures:
            future.result()  # a client's error stops the benchmark
        wall = time.perf_counter() - started
    return ConcurrentRound(clients, wall, [t for t in latencies if t is not None], answers)


def parse_clients(text: str) -> list[int]:
    """`"1,4,8"` -> `[1, 4, 8]` (sorted, each once; 1 is always measured, the base of the ratios); `""` -> none."""
    counts = {int(part) for part in text.split(",") if part.strip()}
    if any(count < 1 for count in counts):
        raise argparse.ArgumentTypeError(f"client counts must be at least 1, got {text!r}")
    return sorted(counts | {1}) if counts else []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, help="model id or directory, or random-roberta-base")
    parser.add_argument("--server", choices=["serve", "hayhooks"], default="serve", help="how to serve")
    parser.add_argument("--questions", type=int, default=20, help="questions timed each way (cycling the list)")
    parser.add_argument("--repeats", type=int, default=3, help="timings of each question each way")
    parser.add_argument("--warmup", type=int, default=3, help="untimed questions each way first")
    parser.add_argument("--retriever-top-k", type=int, default=10, help="passages read per question (default 10)")
    parser.add_argument("--top-k", type=int, default=5, help="answers returned per question")
    parser.add_argument(
        "--clients",
        type=parse_clients,
        default=parse_clients("1,4,8"),
        help="client counts of the concurrent case, comma-separated (default 1,4,8; '' skips it)",
    )
    args = parser.parse_args()

    import requests

    from extractive_qa import QuestionAnswerer, Settings
    from extractive_qa.testing.processes import (
        HAYHOOKS_ENVIRONMENT,
        free_port,
        hayhooks_command,
        process_environment,
        serve_command,
        start_server,
    )
    from extractive_qa.testing.random_model import build_random_roberta

    work = Path(tempfile.mkdtemp(prefix="serving-latency-"))
    model = args.model or (str(SHARED_MODEL) if (SHARED_MODEL / "config.json").exists() else None)
    if model == "random-roberta-base":
        model = str(build_random_roberta(work / "random-roberta-base", sorted((ROOT / "data").glob("*.txt")), "base"))
    store = work / "store.json"
    settings = Settings(model=model, store_path=store)
    qa = QuestionAnswerer(settings)
    report = qa.index([ROOT / "data"])
    _ = qa.query_pipeline  # the model, loaded before timing

    env = process_environment(
        EQA_STORE_PATH=str(store),
        HF_HUB_OFFLINE=os.environ.get("HF_HUB_OFFLINE", "1" if model and Path(model).exists() else "0"),
        XDG_CACHE_HOME=str(work / "cache"),
        **HAYHOOKS_ENVIRONMENT,
    )
    if model:
        env["EQA_MODEL"] = model
    if args.clients:
        env["EQA_MAX_CONCURRENT"] = str(max(args.clients))  # no concurrent client waits for a turn
    port = free_port()
    command = hayhooks_command(port) if args.server == "hayhooks" else serve_command(port)
    try:
        server = start_server(command, env, work / "server.log", port, timeout=600, pipelines=["ask"])
    except RuntimeError as error:
        sys.exit(f"the server did not start: {error}")
    url = f"http://127.0.0.1:{port}/ask/run"
    session = requests.Session()

    def in_process(question: str) -> tuple[float, str | None]:
        started = time.perf_counter()
        result = qa.ask(question, top_k=args.top_k, retriever_top_k=args.retriever_top_k)
        return time.perf_counter() - started, result.answers[0].text

    def served(question: str, http: requests.Session = session) -> tuple[float, str | None]:
        started = time.perf_counter()
        body = {"question": question, "top_k": args.top_k, "retriever_top_k": args.retriever_top_k}
        response = http.post(url, json=body, timeout=600)
        elapsed = time.perf_counter() - started
        response.raise_for_status()
        return elapsed, response.json()["result"]["answers"][0]["text"]

    try:
        for question in QUESTIONS[: args.warmup]:
            in_process(question)
            served(question)
        local: list[float] = []  # every timing
        remote: list[float] = []
        local_best: list[float] = []  # per question: the fastest of its repeats, which drifting load inflates least
        remote_best: list[float] = []
        mismatches = 0
        for i in range(args.questions):
            question = QUESTIONS[i % len(QUESTIONS)]
            mine: list[float] = []
            theirs: list[float] = []
            for repeat in range(args.repeats):
                if (i + repeat) % 2 == 0:
                    (t_local, a_local), (t_remote, a_remote) = in_process(question), served(question)
                else:
                    (t_remote, a_remote), (t_local, a_local) = served(question), in_process(question)
                mine.append(t_local)
                theirs.append(t_remote)
                mismatches += a_local != a_remote
            local += mine
            remote += theirs
            local_best.append(min(mine))
            remote_best.append(min(theirs))
        status = []
        for _ in range(50):
            started = time.perf_counter()
            session.get(f"http://127.0.0.1:{port}/status", timeout=10).raise_for_status()
            status.append(time.perf_counter() - started)

        # the concurrent case: the same questions, shared out over several clients at once
        round_questions = [QUESTIONS[i % len(QUESTIONS)] for i in range(args.questions)]
        sessions = [requests.Session() for _ in range(max(args.clients, default=0))]
        concurrent: dict[int, dict[str, ConcurrentRound]] = {}
        for k, clients in enumerate(args.clients):
            ways: dict[str, Ask] = {
                "in-process": lambda question, _client: in_process(question),
                "served": lambda question, client: served(question, sessions[client]),
            }
            order = ["in-process", "served"] if k % 2 == 0 else ["served", "in-process"]
            concurrent[clients] = {way: run_clients(ways[way], round_questions, clients) for way in order}
    finally:
        server.stop()

    def line(name: str, values: list[float]) -> str:
        return (
            f"{name:<22} p50 {percentile(values, 0.5) * 1000:8.1f} ms   p95 {percentile(values, 0.95) * 1000:8.1f} ms"
            f"   mean {statistics.fmean(values) * 1000:8.1f} ms"
        )

    def overhead(name: str, baseline: list[float], measured: list[float]) -> str:
        p50_base, p50_measured = percentile(baseline, 0.5), percentile(measured, 0.5)
        ratio95 = percentile(measured, 0.95) / percentile(baseline, 0.95)
        return (
            f"HTTP overhead at p50 ({name}): {(p50_measured - p50_base) * 1000:+.1f} ms = "
            f"{p50_measured / p50_base:.3f}x ({(p50_measured / p50_base - 1) * 100:+.1f} %; goal < +10 %); "
            f"at p95: {ratio95:.3f}x"
        )

    paired = sorted(r - lo for r, lo in zip(remote_best, local_best, strict=True))
    print(f"model: {model or 'the query YAML default'}   server: {args.server}   cores: {os.cpu_count()}")
    print(
        f"store: {report.passages_written} passages from {report.files_read} files; {args.questions} questions x "
        f"{args.repeats} repeats each way, retriever top-k {args.retriever_top_k}, answers top-k {args.top_k}"
    )
    print(line("in-process (baseline)", local_best) + "   (fastest repeat per question)")
    print(line("served over HTTP", remote_best) + "   (fastest repeat per question)")
    print(line("in-process, all", local))
    print(line("served, all", remote))
    print(line("GET /status", status))
    print(overhead("fastest repeats", local_best, remote_best))
    print(overhead("all timings", local, remote))
    print(f"median per-question difference (fastest repeats): {statistics.median(paired) * 1000:+.1f} ms")
    print(f"answers that differ between the two ways: {mismatches} of {args.questions * args.repeats}")
    if not concurrent:
        return
    print(
        f"\nconcurrent: {args.questions} questions per round, shared out over the clients, each client sending its "
        f"share one after another; server EQA_MAX_CONCURRENT={max(args.clients)}; one round per client count and way"
    )
    print(
        f"{'clients':>7}   {'served q/s':>10} {'p50 ms':>8} {'p95 ms':>8} {'vs 1':>6}   "
        f"{'in-process q/s':>14} {'p50 ms':>8} {'p95 ms':>8} {'vs 1':>6}   {'served/in-process q/s':>21}"
    )
    base = concurrent[1]
    concurrent_mismatches = 0
    for clients, rounds in concurrent.items():
        cells = []
        for way in ("served", "in-process"):
            measured = rounds[way]
            cells.append(
                f"{measured.throughput:{10 if way == 'served' else 14}.3f} "
                f"{percentile(measured.latencies, 0.5) * 1000:8.1f} {percentile(measured.latencies, 0.95) * 1000:8.1f} "
                f"{measured.throughput / base[way].throughput:5.2f}x"
            )
        ratio = rounds["served"].throughput / rounds["in-process"].throughput
        print(f"{clients:>7}   {cells[0]}   {cells[1]}   {ratio:20.3f}x")
        concurrent_mismatches += sum(
            a != b for a, b in zip(rounds["served"].answers, rounds["in-process"].answers, strict=True)
        )
    print(
        f"answers that differ between the two ways (concurrent): {concurrent_mismatches} of "
        f"{args.questions * len(concurrent)}"
    )


if __name__ == "__main__":
    main()
