"""Windows and padding-free batches: the plan, the arrays, and logits equal to those of one padded batch."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from haystack import Document

from extractive_qa.components.reader import ExtractiveQAReader
from extractive_qa.components.reader.windows import batch_arrays, plan_batches, spread_over_workers, tokenize_windows
from extractive_qa.testing.sample_texts import TEXTS


def test_plan_batches_without_padding_groups_only_equal_lengths() -> None:
    lengths = [5, 3, 5, 4, 3, 5]
    batches = plan_batches(lengths, max_batch_size=8)
    assert batches == [[1, 4], [3], [0, 2, 5]]
    for batch in batches:
        assert len({lengths[i] for i in batch}) == 1


def test_plan_batches_covers_every_window_once_and_respects_max_batch_size() -> None:
    rng = np.random.default_rng(0)
    lengths = rng.integers(20, 40, size=200).tolist()
    for max_padding in (0.0, 0.05, math.inf):
        batches = plan_batches(lengths, max_batch_size=7, max_padding=max_padding)
        assert sorted(i for batch in batches for i in batch) == list(range(200))
        assert max(len(batch) for batch in batches) <= 7
        for batch in batches:
            width = max(lengths[i] for i in batch)
            real = sum(lengths[i] for i in batch)
            assert width * len(batch) - real <= max_padding * real


def test_plan_batches_with_unlimited_padding_is_the_sorted_chunking() -> None:
    lengths = [9, 1, 8, 2, 7, 3, 6]
    assert plan_batches(lengths, max_batch_size=3, max_padding=math.inf) == [[1, 3, 5], [6, 4, 2], [0]]


@pytest.mark.parametrize(("max_batch_size", "max_padding"), [(0, 0.0), (4, -0.1)])
def test_plan_batches_rejects_bad_arguments(max_batch_size: int, max_padding: float) -> None:
    with pytest.raises(ValueError):
        plan_batches([3, 4], max_batch_size=max_batch_size, max_padding=max_padding)


def test_spread_over_workers_cuts_batches_to_an_even_share() -> None:
    assert spread_over_workers([[0, 1, 2, 3], [4]], workers=2) == [[0, 1, 2], [3], [4]]
    assert spread_over_workers([[0, 1, 2, 3], [4]], workers=1) == [[0, 1, 2, 3], [4]]


def test_padding_free_batches_give_the_padded_logits(tiny_roberta: Path) -> None:
    """Windows of different lengths, run without padding, get the logits they get in one padded batch (fp32)."""
    reader = ExtractiveQAReader(
        model=str(tiny_roberta), precision="fp32", max_seq_length=64, stride=16, max_query_length=24
    )
    reader.warm_up()
    windows, _ = tokenize_windows(
        reader.tokenizer, ["Who ruled Normandy?"] * len(TEXTS), [[Document(content=t)] for t in TEXTS], 64, 16
    )
    assert len({len(w.input_ids) for w in windows}) > 2
    lengths = [len(w.input_ids) for w in windows]
    plan = plan_batches(lengths, max_batch_size=16)
    unpadded = [None] * len(windows)
    logits = reader.runner.logits_many(batch_arrays(windows, plan, reader.tokenizer.pad_token_id))
    for batch, (s, e) in zip(plan, logits, strict=True):
        for row, index in enumerate(batch):
            unpadded[index] = (s[row, : lengths[index]], e[row, : lengths[index]])
    width = max(len(w.input_ids) for w in windows)
    ids = np.full((len(windows), width), reader.tokenizer.pad_token_id, dtype=np.int64)
    mask = np.zeros_like(ids)
    for row, window in enumerate(windows):
        ids[row, : len(window.input_ids)] = window.input_ids
        mask[row, : len(window.input_ids)] = 1
    start, end = reader.runner.logits({"input_ids": ids, "attention_mask": mask})
    for row, (s, e) in enumerate(unpadded):
        n = len(windows[row].input_ids)
        assert s.shape == (n,)
        np.testing.assert_allclose(s, start[row, :n], atol=1e-4)
        np.testing.assert_allclose(e, end[row, :n], atol=1e-4)
