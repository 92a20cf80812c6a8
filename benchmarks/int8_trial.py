"""
The int8 trial for the reader (not kept): would int8 linear layers on the CPU's VNNI / AMX-INT8 products keep the fp32
answers, and be faster than the mixed bf16 the reader uses?

int8 here means weights in int8 with a scale per output channel, and activations in int8 with a scale per token,
multiplied by `torch._int_mm` (int8 x int8 -> int32) and scaled back; optionally with SmoothQuant (activation
outliers moved into the weights, calibrated on other questions). Two measurements, in one run:

- accuracy (the shared small model, reader mode: each held-out question with its own paragraph): the share of
  questions whose best span (start and end token, at most 15 tokens, in the paragraph) is fp32's, the share with
  fp32's answer / no-answer decision (best span against the null score), and how many questions a re-check of close
  calls (best two candidates within a margin) would have to run again to reach 99.75%. Everything but the int8
  layers stays fp32 here, so the loss is int8's own.
- speed (a random model of roberta-base shape, one window, one thread): the int8 model against the reader's mixed
  bf16 model, timed interleaved. In the int8 model only the linear layers change; the rest is mixed bf16 as in
  the reader.

Usage:
```
flock /tmp/bench.lock python benchmarks/int8_trial.py                   # 400 questions, all variants (about 5 min)
python benchmarks/int8_trial.py --questions 100 --variants int8,smooth-0.5
```
The figures of a run are in docs/fast-reader.md ("What was tried and not kept").
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from extractive_qa.testing.machine import cpu_description, matmul_peaks
from extractive_qa.testing.paths import SHARED

ROOT = Path(__file__).resolve().parent.parent
MAX_ANSWER_TOKENS = 15
MARGINS = (0.1, 0.2, 0.3, 0.5)
#: Variants: int8 everywhere; with SmoothQuant at an alpha; int8 everywhere but one kind of layer (kept in fp32).
VARIANTS = {
    "int8": {},
    "smooth-0.5": {"alpha": 0.5},
    "smooth-0.8": {"alpha": 0.8},
    "keep-ffn-in": {"keep": r"intermediate\.dense"},
    "keep-ffn-out": {"keep": r"layer\.\d+\.output\.dense"},
    "keep-attention-out": {"keep": r"attention\.output\.dense"},
    "keep-query-key": {"keep": r"self\.(query|key)"},
}


class Int8Linear(torch.nn.Module):
    """A linear layer in int8: weights per output channel, activations per token, products by `torch._int_mm`."""

    def __init__(
        self,
        linear: torch.nn.Linear,
        input_max: torch.Tensor | None = None,
        alpha: float = 0.5,
        out_dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        self.out_dtype = out_dtype  # None: the input's
        weight = linear.weight.detach().float()
        self.smooth: torch.Tensor | None = None
        if input_max is not None:  # SmoothQuant: x / s and w * s, per input channel
            s = input_max.clamp(min=1e-5) ** alpha / weight.abs().amax(dim=0).clamp(min=1e-5) ** (1 - alpha)
            s = s.clamp(min=1e-5)
            self.smooth = 1.0 / s
            weight = weight * s
        scale = (weight.abs().amax(dim=1) / 127).clamp(min=1e-8)
        self.weight = torch.round(weight / scale[:, None]).to(torch.int8).t()  # (in, out), column-major
        self.scale = scale
        self.bias = linear.bias.detach().float() if linear.bias is not None else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dtype = self.out_dtype or x.dtype
        rows = x.reshape(-1, x.shape[-1]).float()
        if self.smooth is not None:
            rows = rows * self.smooth
        row_scale = rows.abs().amax(dim=1, keepdim=True).clamp_(min=1e-8).div_(127)
        quantized = (rows / row_scale).round_().to(torch.int8)
        count = quantized.shape[0]
        if count <= 16:  # _int_mm wants more than 16 rows
            quantized = torch.cat([quantized, quantized.new_zeros(17 - count, quantized.shape[1])])
        out = torch._int_mm(quantized, self.weight)[:count] * (row_scale * self.scale)
        if self.bias is not None:
            out = out + self.bias
        return out.reshape(*x.shape[:-1], -1).to(dtype)


def linear_input_maxima(model: Any, batches: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """The largest absolute input of each linear layer's input channels over `batches` (SmoothQuant's calibration)."""
    maxima: dict[str, torch.Tensor] = {}
    hooks = []
    for name, module in model.named_modules():
        if isinstance(module, torch.nn.Linear):

            def hook(module: Any, inputs: tuple, output: Any, name: str = name) -> None:
                seen = inputs[0].detach().reshape(-1, inputs[0].shape[-1]).abs().amax(dim=0).float()
                maxima[name] = torch.maximum(maxima[name], seen) if name in maxima else seen

            hooks.append(module.register_forward_hook(hook))
    with torch.inference_mode():
        for batch in batches:
            model(**batch)
    for handle in hooks:
        handle.remove()
    return maxima


def int8_model(
    model: Any,
    reference: Any,
    keep: str | None = None,
    maxima: dict | None = None,
    alpha: float = 0.5,
    out_dtype: torch.dtype | None = None,
) -> Any:
    """`model` (a copy of `reference`, changed in place) with its linear layers, but the span head and those matching
    `keep`, replaced by int8 versions of `reference`'s fp32 layers of the same name, giving `out_dtype` (None: their
    input's)."""
    originals = dict(reference.named_modules())
    for parent_name, parent in list(model.named_modules()):
        for name, _ in list(parent.named_children()):
            full = f"{parent_name}.{name}" if parent_name else name
            original = originals.get(full)
            if name == "qa_outputs" or not isinstance(original, torch.nn.Linear) or (keep and re.search(keep, full)):
                continue
            setattr(parent, name, Int8Linear(original, (maxima or {}).get(full), alpha, out_dtype))
    return model.eval()


def held_out(path: Path, count: int, skip: int = 0) -> list[tuple[str, str]]:
    articles = json.loads(path.read_text(encoding="utf-8"))["data"]
    pairs = [(qa["question"], p["context"]) for a in articles for p in a["paragraphs"] for qa in p["qas"]]
    return pairs[skip : skip + count]


def best_span(start: np.ndarray, end: np.ndarray, in_context: np.ndarray) -> tuple[tuple[int, int], float, float]:
    """The best span (start, end) in the context, its score, and its lead over the next best candidate."""
    scores = start[:, None] + end[None, :]
    n = len(start)
    allowed = np.triu(np.ones((n, n), bool)) & ~np.triu(np.ones((n, n), bool), MAX_ANSWER_TOKENS + 1)
    allowed &= in_context[:, None] & in_context[None, :]
    scores = np.where(allowed, scores, -np.inf)
    flat = int(np.argmax(scores))
    second, first = np.sort(scores.ravel())[-2:]
    return divmod(flat, n), float(first), float(first - second)


def accuracy(variants: list[str], questions: int, model_dir: Path, squad: Path) -> dict[str, dict[str, Any]]:
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    reference = AutoModelForQuestionAnswering.from_pretrained(model_dir).eval()

    def encode(pairs: list[tuple[str, str]]) -> list[dict[str, torch.Tensor]]:
        return [tokenizer(q, c, truncation="only_second", max_length=384, return_tensors="pt") for q, c in pairs]

    batches = encode(held_out(squad, questions))
    calibration = encode(held_out(squad, 32, skip=3000))  # SmoothQuant's, away from the measured questions
    maxima = linear_input_maxima(reference, calibration)
    with torch.inference_mode():
        exact = [reference(**batch) for batch in batches]
    results = {}
    for variant in variants:
        setting = VARIANTS[variant]
        alpha = setting.get("alpha")
        model = int8_model(
            copy.deepcopy(reference), reference, setting.get("keep"), maxima if alpha else None, alpha or 0.5
        )
        same_span, same_decision, leads, changed = 0, 0, [], []
        for batch, fp32 in zip(batches, exact, strict=True):
            with torch.inference_mode():
                out = model(**batch)
            in_context = (batch["token_type_ids"][0] == 1).numpy()
            runs = []
            for logits in (fp32, out):
                start, end = logits.start_logits[0].numpy(), logits.end_logits[0].numpy()
                span, score, lead = best_span(start, end, in_context)
                runs.append((span, score > start[0] + end[0], lead))
            same_span += runs[0][0] == runs[1][0]
            same_decision += runs[0][1] == runs[1][1]
            leads.append(runs[1][2])
            changed.append(runs[0][0] != runs[1][0])
        lead, flipped = np.array(leads), np.array(changed)
        results[variant] = {
            "same_span": same_span / len(batches),
            "same_decision": same_decision / len(batches),
            "recheck": {
                str(m): {"questions": float(np.mean(lead < m)), "same_span": float(1 - np.mean(flipped & (lead >= m)))}
                for m in MARGINS
            },
        }
        print(
            f"{variant:>20}: same best span {same_span / len(batches):.2%}, same decision "
            f"{same_decision / len(batches):.2%}; rechecking close calls: "
            + ", ".join(
                f"margin {m}: {r['questions']:.1%} of the questions -> {r['same_span']:.2%}"
                for m, r in results[variant]["recheck"].items()
            ),
            flush=True,
        )
    return results


def speed(tokens: int, repeats: int, rounds: int) -> dict[str, Any]:
    from transformers import AutoModelForQuestionAnswering

    from extractive_qa.components.reader.runtime import QAModelRunner, mixed_bf16_copy
    from extractive_qa.testing.model_flops import window_flops
    from extractive_qa.testing.random_model import build_random_roberta

    with tempfile.TemporaryDirectory() as work:
        model_dir = build_random_roberta(Path(work) / "roberta-base", sorted((ROOT / "data").glob("*.txt")), "base")
        reference = AutoModelForQuestionAnswering.from_pretrained(model_dir).eval()
        mixed = QAModelRunner(reference, "cpu", "bf16").model  # the reader's mixed bf16 model (eager attention)
        # the same, its linear layers in int8; they give bf16 as the mixed ones do, so attention runs in bf16 in both
        int8 = int8_model(mixed_bf16_copy(reference), reference, out_dtype=torch.bfloat16)
        int8.set_attn_implementation("eager")
        models = {"mixed bf16": mixed, "int8": int8}
        flops = window_flops(reference.config, tokens)
    ids = torch.randint(5, 7000, (1, tokens), generator=torch.Generator().manual_seed(0))
    times: dict[str, list[float]] = {name: [] for name in models}
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.inference_mode():
            for _ in range(rounds):
                for name, model in models.items():
                    for _ in range(2):
                        model(input_ids=ids)
                    started = time.perf_counter()
                    for _ in range(repeats):
                        model(input_ids=ids)
                    times[name].append((time.perf_counter() - started) / repeats)
    finally:
        torch.set_num_threads(previous)
    seconds = {name: float(np.median(t)) for name, t in times.items()}
    for name, s in seconds.items():
        print(f"{name:>20}: {s:.3f} s a window of {tokens} tokens, {flops / s / 1e9:.0f} GFLOP/s (1 thread)")
    print(f"{'int8 / mixed bf16':>20}: {seconds['int8'] / seconds['mixed bf16']:.2f} of the time")
    return {"tokens": tokens, "seconds": seconds, "ratio": seconds["int8"] / seconds["mixed bf16"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=400, help="held-out questions for the accuracy part")
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated, of: {', '.join(VARIANTS)}")
    parser.add_argument("--model", type=Path, default=SHARED / "models" / "minilm-squad-mini")
    parser.add_argument("--squad", type=Path, default=SHARED / "data" / "squad2" / "dev-v2.0-heldout.json")
    parser.add_argument("--tokens", type=int, default=234, help="the window length for the speed part")
    parser.add_argument("--repeats", type=int, default=10, help="windows per timed round")
    parser.add_argument("--rounds", type=int, default=4, help="timed rounds, each model in turn")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)
    variants = [v for v in args.variants.split(",") if v]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown or args.questions < 1:
        print(f"unknown variant(s) {', '.join(unknown)}" if unknown else "--questions must be >= 1", file=sys.stderr)
        return 2
    for path in (args.model, args.squad):
        if not path.exists():
            print(f"not found: {path} (see ../shared/README.md)", file=sys.stderr)
            return 2
    print(cpu_description())
    peaks = matmul_peaks(threads=1)
    print("matrix-product peaks, 1 thread (GFLOP/s): " + ", ".join(f"{k} {v:,.0f}" for k, v in peaks.items()))
    print(f"accuracy: {args.questions} held-out questions, {args.model.name}, fp32 against int8", flush=True)
    results = {"cpu": cpu_description(), "peaks_1_thread": peaks}
    results["accuracy"] = accuracy(variants, args.questions, args.model, args.squad)
    print("speed: a random roberta-base, one window, one thread, interleaved", flush=True)
    results["speed"] = speed(args.tokens, args.repeats, args.rounds)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
