"""
What machine a benchmark ran on: the CPU model, its core count and the instruction-set flags that decide the reader's
speed (bfloat16 and int8 dot products), printed beside every figure; and what its matrix products reach
(`matmul_peaks`), the ceiling a reader's effective GFLOP/s is compared with.

Usage example:
```python
from extractive_qa.testing.machine import cpu_description, matmul_peaks

print(cpu_description())  # "Intel(R) Xeon(R) Processor, 2 cores, flags: avx512_bf16 avx512_vnni"
print(matmul_peaks(threads=2))  # {"fp32": 170.0, "bf16": 660.0, "int8": 800.0}  (GFLOP/s)
```
"""

from __future__ import annotations

import contextlib
import math
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path

#: The CPU flags that matter to the reader: native bfloat16 (AVX-512 BF16, AMX) and int8 (VNNI, AMX) arithmetic.
SPEED_FLAGS = ("avx512_bf16", "amx_bf16", "amx_int8", "avx512_vnni", "avx_vnni")

#: (m, k, n) of the matrix product `matmul_peaks` times: 2048 tokens through a roberta-base feed-forward layer
#: (768 -> 3072), the shape that dominates the reader's work.
MATMUL_SHAPE = (2048, 768, 3072)


def _cpuinfo() -> dict[str, str]:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return {}
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    return fields


def cpu_model() -> str:
    """The CPU's model name (`/proc/cpuinfo`), or what the platform says where there is none."""
    return _cpuinfo().get("model name") or platform.processor() or platform.machine()


def cpu_flags() -> list[str]:
    """Which of `SPEED_FLAGS` this CPU has."""
    flags = set(_cpuinfo().get("flags", "").split())
    return [flag for flag in SPEED_FLAGS if flag in flags]


def cpu_description() -> str:
    """One line: model, cores and the speed flags."""
    return (
        f"{cpu_model()}, {os.cpu_count()} cores, flags: {' '.join(cpu_flags()) or 'none of ' + ', '.join(SPEED_FLAGS)}"
    )


def _best_gflops(product: Callable[[], object], flops: int, warmup: int, loops: int, min_loop_seconds: float) -> float:
    """The best rate over `loops` timed loops of `product()`, each loop at least about `min_loop_seconds` long."""
    started = time.perf_counter()
    for _ in range(warmup):
        product()
    per_call = (time.perf_counter() - started) / max(1, warmup)
    calls = max(1, math.ceil(min_loop_seconds / max(per_call, 1e-9)))
    best = math.inf
    for _ in range(loops):
        started = time.perf_counter()
        for _ in range(calls):
            product()
        best = min(best, (time.perf_counter() - started) / calls)
    return flops / best / 1e9


def matmul_peaks(
    threads: int | None = None, *, warmup: int = 3, loops: int = 5, min_loop_seconds: float = 0.1
) -> dict[str, float]:
    """
    Measures the GFLOP/s of a plain matrix product of `MATMUL_SHAPE` ((2048 x 768) @ (768 x 3072)) on this CPU.

    `"fp32"` is always measured; `"bf16"` only where the CPU has native bfloat16 arithmetic (the reader's own test,
    `cpu_has_native_bf16`, which decides what `precision: auto` runs in);
    `"int8"` (int8 x int8 -> int32, `torch._int_mm`) where this torch build runs it. A missing key means the
    precision was not measured. Each figure is the best of `loops` timed loops after `warmup` untimed calls, counting
    2 FLOPs per multiply-add (int8 "FLOPs" are integer operations, comparable with the others).

    :param threads: Torch threads during the measurement (`torch.set_num_threads`); `None`: torch's current setting.
        The previous setting is restored afterwards.
    :param warmup: Untimed calls before timing, per precision.
    :param loops: Timed loops per precision; the fastest counts.
    :param min_loop_seconds: Each timed loop repeats the product until it lasts about this long.
    :returns: GFLOP/s by precision: `"fp32"`, and `"bf16"`, `"int8"` where measured.
    """
    import torch

    from extractive_qa.components.reader.runtime import cpu_has_native_bf16

    previous = torch.get_num_threads()
    if threads is not None:
        if threads < 1:
            raise ValueError(f"threads must be at least 1, got {threads}")
        torch.set_num_threads(threads)
    try:
        m, k, n = MATMUL_SHAPE
        flops = 2 * m * k * n
        generator = torch.Generator().manual_seed(0)
        a = torch.randn(m, k, generator=generator)
        b = torch.randn(k, n, generator=generator)
        with torch.inference_mode():
            peaks = {"fp32": _best_gflops(lambda: torch.mm(a, b), flops, warmup, loops, min_loop_seconds)}
            if cpu_has_native_bf16():
                a16, b16 = a.bfloat16(), b.bfloat16()
                peaks["bf16"] = _best_gflops(lambda: torch.mm(a16, b16), flops, warmup, loops, min_loop_seconds)
            a8 = torch.randint(-128, 128, (m, k), dtype=torch.int8, generator=generator)
            b8 = torch.randint(-128, 128, (k, n), dtype=torch.int8, generator=generator)
            # no key where this torch build (or this CPU) has no int8 matrix product
            with contextlib.suppress(AttributeError, NotImplementedError, RuntimeError):
                peaks["int8"] = _best_gflops(lambda: torch._int_mm(a8, b8), flops, warmup, loops, min_loop_seconds)
        return peaks
    finally:
        torch.set_num_threads(previous)


#: (m, k, n) of the GPU's matrix product: 16,384 tokens (a batch of about 64 windows) through the same feed-forward
#: layer; a GPU needs a larger product than a CPU to reach its peak.
GPU_MATMUL_SHAPE = (16384, 768, 3072)


def gpu_description() -> str | None:
    """One line: the CUDA device's name and memory, or `None` where torch sees no GPU."""
    import torch

    if not torch.cuda.is_available():
        return None
    properties = torch.cuda.get_device_properties(0)
    return f"{properties.name}, {properties.total_memory / 2**30:.0f} GiB, {properties.multi_processor_count} SMs"


def gpu_matmul_peaks(*, warmup: int = 5, loops: int = 5, calls: int = 50) -> dict[str, float]:
    """
    Measures the GFLOP/s of a plain matrix product of `GPU_MATMUL_SHAPE` on the CUDA device in fp16, bf16 and fp32
    (fp32 as torch runs it by default: without TF32), timed with CUDA events over `calls` products per loop, the
    fastest of `loops` loops. `{}` where there is no GPU.
    """
    import torch

    if not torch.cuda.is_available():
        return {}
    m, k, n = GPU_MATMUL_SHAPE
    flops = 2 * m * k * n
    generator = torch.Generator(device="cuda").manual_seed(0)
    peaks = {}
    for name, dtype in (("fp16", torch.float16), ("bf16", torch.bfloat16), ("fp32", torch.float32)):
        a = torch.randn(m, k, device="cuda", dtype=dtype, generator=generator)
        b = torch.randn(k, n, device="cuda", dtype=dtype, generator=generator)
        with torch.inference_mode():
            for _ in range(warmup):
                torch.mm(a, b)
            best = math.inf
            for _ in range(loops):
                begin, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                begin.record()
                for _ in range(calls):
                    torch.mm(a, b)
                end.record()
                end.synchronize()
                best = min(best, begin.elapsed_time(end) / 1000 / calls)
        peaks[name] = flops / best / 1e9
    return peaks
