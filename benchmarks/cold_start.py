"""
What a user waits for when a command starts cold: `extractive-qa --help`, `count` and one `ask`, and where a cold
`ask` spends its time (imports, store open, importing the model's code from transformers, loading the model with
the reader's warm-up, i.e. its bf16 copy and noise probe, and the answer itself).

Each figure comes from a fresh Python process (the best of `--repeats`), with the bundled data/ indexed into a fresh
store first. `--code-root` runs the same measurements on another checkout of the project (e.g. a `git worktree` of
an earlier commit) for a before/after comparison in one run; its processes get that checkout on `PYTHONPATH`.

Reproduce:
    python benchmarks/cold_start.py --model ../shared/models/minilm-squad-mini
    python benchmarks/cold_start.py --model roberta-base-random      # a random model of roberta-base shape
    git worktree add /tmp/before <commit>; python benchmarks/cold_start.py --code-root /tmp/before ...
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "What is the atomic number of oxygen?"

# One cold `ask`, in stages; works with the layouts before and after the package moved (same public API).
BREAKDOWN = """
import json, sys, time
started = time.perf_counter()
from extractive_qa import QuestionAnswerer, Settings
import haystack, torch, transformers  # what any answer needs; counted as imports in both layouts
imported = time.perf_counter()
qa = QuestionAnswerer(Settings(model=sys.argv[1], store_path=sys.argv[2]))
qa.document_store
opened = time.perf_counter()
import importlib
from transformers import AutoConfig
model_type = AutoConfig.from_pretrained(sys.argv[1]).model_type  # the model's code: transformers imports it on load
importlib.import_module(f"transformers.models.{model_type}.modeling_{model_type}")
model_code = time.perf_counter()
qa.query_pipeline
loaded = time.perf_counter()
result = qa.ask(sys.argv[3])
answered = time.perf_counter()
import resource
print(json.dumps({
    "imports": imported - started, "store_open": opened - imported, "model_code_import": model_code - opened,
    "model_load_and_warm_up": loaded - model_code,
    "answer": answered - loaded, "total": answered - started,
    "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "best": result.answers[0].text,
}))
"""


def _env(code_root: Path, store: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EQA_")}
    env.update(EQA_STORE_PATH=str(store), HF_HUB_OFFLINE="1", PYTHONPATH=str(code_root))
    return env


def _run(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, str]:
    started = time.perf_counter()
    completed = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=900)
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"{command} failed:\n{completed.stderr[-3000:]}")
    return seconds, completed.stdout


def measure(code_root: Path, model: str, repeats: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store" / "store.json"
        env = _env(code_root, store)
        cli = [sys.executable, "-c", "import sys; from extractive_qa.cli import main; sys.exit(main())"]
        _run([*cli, "index", str(ROOT / "data"), "--no-progress"], env, Path(tmp))
        result: dict[str, object] = {"code_root": str(code_root)}
        for name, args in (
            ("help", ["--help"]),
            ("count", ["count"]),
            ("ask", ["ask", QUESTION, "--model", model, "--threshold", "100"]),
        ):
            result[f"cli_{name}_s"] = min(_run([*cli, *args], env, Path(tmp))[0] for _ in range(repeats))
        stages = [
            json.loads(_run([sys.executable, "-c", BREAKDOWN, model, str(store), QUESTION], env, Path(tmp))[1])
            for _ in range(repeats)
        ]
        result["ask_breakdown_s"] = min(stages, key=lambda s: s["total"])
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="a local model directory, or roberta-base-random")
    parser.add_argument("--code-root", action="append", type=Path, help="another checkout to measure (repeatable)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    model = args.model
    if model == "roberta-base-random":
        from extractive_qa.testing.random_model import build_random_roberta

        target = Path(tempfile.gettempdir()) / "eqa-roberta-base-random"
        if not (target / "config.json").exists():
            build_random_roberta(target, sorted((ROOT / "data").glob("*.txt")), size="base", vocab_size=50265)
        model = str(target)
    elif Path(model).expanduser().is_dir():
        model = str(Path(model).expanduser().resolve())  # the processes run in a temporary folder
    from extractive_qa.testing.machine import cpu_description

    print(f"# CPU: {cpu_description()}; model {args.model}")
    for root in [*(args.code_root or []), ROOT]:
        figures = measure(root.resolve(), model, args.repeats)
        print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
