"""
Served question latency against the same pipeline called in-process, measured in one run.

Indexes the bundled data/ into a temporary store, starts a real server on a free loopback port (`extractive-qa
serve`, or `hayhooks run` on the package's wrappers with `--server hayhooks`), and asks the same questions both ways,
alternating which goes first so that drifting machine load hits both alike. Every question reads the retriever's
top 10 passages (`--retriever-top-k`) and is timed `--repeats` times each way; on a shared machine the fastest
repeat of each question is the figure least inflated by other work, so the p50/p95 over those come first, then
over every timing. Prints the HTTP layer's overhead as a ratio of the in-process p50 (the goal: under 10 %), and
checks that both ways give the same answers.

Reproduce (one benchmark at a time on shared machines):

    flock /tmp/bench.lock python benchmarks/serving_latency.py
    flock /tmp/bench.lock python benchmarks/serving_latency.py --server hayhooks
    flock /tmp/bench.lock python benchmarks/serving_latency.py --model random-roberta-base --questions 12

`--model` takes a Hugging Face id or directory (default: ../shared/models/minilm-squad-mini when present, else
deepset/roberta-base-squad2), or `random-roberta-base`: roberta-base's shape with random weights, the production
model's compute cost without a download.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SHARED_MODEL = Path(os.environ.get("EQA_SHARED_DIR", ROOT.parent / "shared")) / "models" / "minilm-squad-mini"

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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(kind: str, env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    import requests

    if kind == "hayhooks":
        launcher = (
            "import sys; from hayhooks.cli import hayhooks_cli; sys.argv[0] = 'hayhooks'; sys.exit(hayhooks_cli())"
        )
        command = [sys.executable, "-c", launcher, "run", "--pipelines-dir", str(ROOT / "serving"), "--port", str(port)]
    else:
        command = [sys.executable, "-m", "extractive_qa.cli", "serve", "--port", str(port)]
    with log.open("wb") as handle:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if "ask" in requests.get(f"http://127.0.0.1:{port}/status", timeout=2).json().get("pipelines", []):
                return process
        except requests.RequestException:
            pass
        time.sleep(0.5)
    process.kill()
    sys.exit("the server did not start in 600 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=None, help="model id or directory, or random-roberta-base")
    parser.add_argument("--server", choices=["serve", "hayhooks"], default="serve", help="how to serve")
    parser.add_argument("--questions", type=int, default=20, help="questions timed each way (cycling the list)")
    parser.add_argument("--repeats", type=int, default=3, help="timings of each question each way")
    parser.add_argument("--warmup", type=int, default=3, help="untimed questions each way first")
    parser.add_argument("--retriever-top-k", type=int, default=10, help="passages read per question (default 10)")
    parser.add_argument("--top-k", type=int, default=5, help="answers returned per question")
    args = parser.parse_args()

    import requests

    from extractive_qa import QuestionAnswerer, Settings
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

    env = {k: v for k, v in os.environ.items() if not k.startswith(("EQA_", "HAYHOOKS_"))}
    env.update(
        PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p),
        EQA_STORE_PATH=str(store),
        HF_HUB_OFFLINE=os.environ.get("HF_HUB_OFFLINE", "1" if model and Path(model).exists() else "0"),
        XDG_CACHE_HOME=str(work / "cache"),
    )
    if model:
        env["EQA_MODEL"] = model
    port = free_port()
    server = start_server(args.server, env, port, work / "server.log")
    url = f"http://127.0.0.1:{port}/ask/run"
    session = requests.Session()

    def in_process(question: str) -> tuple[float, str | None]:
        started = time.perf_counter()
        result = qa.ask(question, top_k=args.top_k, retriever_top_k=args.retriever_top_k)
        return time.perf_counter() - started, result.answers[0].text

    def served(question: str) -> tuple[float, str | None]:
        started = time.perf_counter()
        body = {"question": question, "top_k": args.top_k, "retriever_top_k": args.retriever_top_k}
        response = session.post(url, json=body, timeout=600)
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
    finally:
        server.terminate()
        server.wait(timeout=30)

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


if __name__ == "__main__":
    main()
