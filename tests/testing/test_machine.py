"""The machine description and the matrix-product peaks benchmarks print beside their figures."""

from __future__ import annotations

import math

import pytest

from extractive_qa.testing.machine import cpu_description, matmul_peaks


def test_cpu_description_names_the_cores_and_flags() -> None:
    assert "cores, flags:" in cpu_description()


def test_matmul_peaks_measures_each_available_precision_and_restores_the_threads() -> None:
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    peaks = matmul_peaks(threads=1, warmup=1, loops=1, min_loop_seconds=0.0)
    assert torch.get_num_threads() == before
    assert "fp32" in peaks
    assert set(peaks) <= {"fp32", "bf16", "int8"}
    # bf16 is measured exactly where the reader's `auto` runs bf16 (that test reads the CPU flags, see test_runtime)
    from extractive_qa.components.reader.runtime import cpu_has_native_bf16

    assert ("bf16" in peaks) == cpu_has_native_bf16()
    for precision, gflops in peaks.items():
        assert math.isfinite(gflops) and gflops > 0, precision


def test_matmul_peaks_refuses_no_threads() -> None:
    pytest.importorskip("torch")
    with pytest.raises(ValueError, match="threads"):
        matmul_peaks(threads=0)
