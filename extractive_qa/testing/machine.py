"""
What machine a benchmark ran on: the CPU model, its core count and the instruction-set flags that decide the reader's
speed (bfloat16 and int8 dot products), printed beside every figure.

Usage example:
```python
from extractive_qa.testing.machine import cpu_description

print(cpu_description())  # "Intel(R) Xeon(R) Processor, 2 cores, flags: avx512_bf16 avx512_vnni"
```
"""

from __future__ import annotations

import os
import platform
from pathlib import Path

#: The CPU flags that matter to the reader: native bfloat16 (AVX-512 BF16, AMX) and int8 (VNNI, AMX) arithmetic.
SPEED_FLAGS = ("avx512_bf16", "amx_bf16", "amx_int8", "avx512_vnni", "avx_vnni")


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
