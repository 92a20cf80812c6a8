"""
The packed encoder: windows of different lengths run as one sequence of tokens give each window the logits the
model gives it alone (exactly the same arithmetic in fp32; within bfloat16's rounding in bf16), on a BERT model (the
shared small model, with token types) and a RoBERTa one; models laid out otherwise are left to the plain path.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import AutoModelForQuestionAnswering, DistilBertConfig, DistilBertForQuestionAnswering

from extractive_qa.components.reader.packed_encoder import PackedEncoder
from extractive_qa.components.reader.runtime import QAModelRunner, mkldnn_packing_works

# fp32: the same products in the same order per token, but a matrix product of more rows may block its sums
# differently; bf16: the fast model's rounding, of the size the HF mixed-precision copy shows on these windows.
FP32_TOLERANCE = 1e-4
BF16_TOLERANCE = 0.15
LENGTHS = [61, 12, 128, 3, 97]


def windows(model: torch.nn.Module) -> tuple[list[list[int]], list[list[int]] | None]:
    rng = np.random.default_rng(7)
    vocab = model.config.vocab_size
    ids = [[1, *rng.integers(5, vocab, n - 2).tolist(), 2] for n in LENGTHS]
    if model.config.model_type != "bert":
        return ids, None
    return ids, [[0] * (n // 3) + [1] * (n - n // 3) for n in LENGTHS]


def alone(model: torch.nn.Module, ids: list[int], types: list[int] | None) -> np.ndarray:
    inputs = {"input_ids": torch.tensor([ids])}
    if types is not None:
        inputs["token_type_ids"] = torch.tensor([types])
    with torch.inference_mode():
        output = model(**inputs)
    return np.stack([output.start_logits[0].numpy(), output.end_logits[0].numpy()])


@pytest.fixture(params=["shared", "roberta"])
def model(request: pytest.FixtureRequest) -> torch.nn.Module:
    path: Path = request.getfixturevalue("shared_model" if request.param == "shared" else "tiny_roberta")
    return AutoModelForQuestionAnswering.from_pretrained(path).eval()


def test_fp32_packed_windows_get_the_logits_of_each_window_alone(model: torch.nn.Module) -> None:
    ids, types = windows(model)
    packed = PackedEncoder.build(model, torch.float32)
    assert packed is not None
    results = packed.logits(ids, types)
    assert [len(start) for start, _ in results] == LENGTHS
    for i, (start, end) in enumerate(results):
        want = alone(model, ids[i], None if types is None else types[i])
        np.testing.assert_allclose(np.stack([start, end]), want, atol=FP32_TOLERANCE, rtol=0)


def test_bf16_packed_windows_stay_within_rounding_of_the_fp32_model(model: torch.nn.Module) -> None:
    ids, types = windows(model)
    packed = PackedEncoder.build(model, torch.bfloat16, packed=mkldnn_packing_works())
    assert packed is not None
    together = packed.logits(ids, types)
    for i, (start, end) in enumerate(together):
        want = alone(model, ids[i], None if types is None else types[i])
        assert np.abs(np.stack([start, end]) - want).max() < BF16_TOLERANCE
        # the neighbours in the packed sequence change nothing: the window alone gives the same numbers
        (start_alone, end_alone), *_ = packed.logits([ids[i]], None if types is None else [types[i]])
        np.testing.assert_allclose(start, start_alone, atol=0.02, rtol=0)
        np.testing.assert_allclose(end, end_alone, atol=0.02, rtol=0)


def test_runner_pads_nothing_and_masks_padding_in_mixed_bf16(model: torch.nn.Module) -> None:
    runner = QAModelRunner(model, "cpu", "bf16", keep_reference=True)
    assert runner.packs_windows
    ids, types = windows(model)
    width = max(LENGTHS)
    batch = {
        "input_ids": [row + [0] * (width - len(row)) for row in ids],
        "attention_mask": [[1] * len(row) + [0] * (width - len(row)) for row in ids],
    }
    if types is not None:
        batch["token_type_ids"] = [row + [0] * (width - len(row)) for row in types]
    start, end = runner.logits(batch)
    per_window = runner.window_logits(
        [{"input_ids": row, "token_type_ids": None if types is None else types[i]} for i, row in enumerate(ids)]
    )
    for row, n in enumerate(LENGTHS):
        assert np.isneginf(start[row, n:]).all() and np.isneginf(end[row, n:]).all()
        np.testing.assert_allclose(start[row, :n], per_window[row][0], atol=0.02, rtol=0)
        reference = runner.window_logits([{"input_ids": ids[row], "token_type_ids": None}], reference=True)
        assert reference[0][0].shape == (n,)


def test_other_layouts_are_left_to_the_plain_path() -> None:
    config = DistilBertConfig(vocab_size=100, dim=32, n_layers=1, n_heads=2, hidden_dim=64)
    model = DistilBertForQuestionAnswering(config).eval()
    assert PackedEncoder.build(model, torch.bfloat16) is None
    runner = QAModelRunner(model, "cpu", "bf16")
    assert not runner.packs_windows
    (start, end), (start2, _) = runner.window_logits([{"input_ids": [1, 5, 6, 2]}, {"input_ids": [1, 7, 2]}])
    assert start.shape == end.shape == (4,) and start2.shape == (3,)


def test_a_window_without_tokens_is_refused(shared_model: Path) -> None:
    model = AutoModelForQuestionAnswering.from_pretrained(shared_model).eval()
    packed = PackedEncoder.build(model, torch.float32)
    assert packed is not None
    assert packed.logits([]) == []
    with pytest.raises(ValueError, match="no tokens"):
        packed.logits([[101, 102], []])
