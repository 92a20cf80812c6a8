"""The FLOP count of one window through a BERT/RoBERTa-style encoder with a span head."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from extractive_qa.testing.model_flops import window_flops


def test_window_flops_matches_a_hand_count_for_a_small_config() -> None:
    config = SimpleNamespace(hidden_size=4, intermediate_size=8, num_hidden_layers=2)
    tokens = 3
    # per layer and token: Q, K, V, output 4 * 4*4 = 64, feed-forward 2 * 4*8 = 64 multiply-adds -> 128
    # per layer: 3 tokens * 128 + attention 2 * 3*3*4 = 72 -> 456 multiply-adds = 912 FLOPs; 2 layers: 1824
    # span head: 3 tokens * 4 * 2 = 24 multiply-adds = 48 FLOPs
    assert window_flops(config, tokens) == 1824 + 48


def test_window_flops_of_roberta_base_at_225_tokens_is_about_40_gflop() -> None:
    transformers = pytest.importorskip("transformers")
    config = transformers.RobertaConfig(hidden_size=768, intermediate_size=3072, num_hidden_layers=12)
    assert window_flops(config, 225) == pytest.approx(40e9, rel=0.01)


def test_window_flops_is_zero_for_no_tokens_and_refuses_negative_counts() -> None:
    config = SimpleNamespace(hidden_size=768, intermediate_size=3072, num_hidden_layers=12)
    assert window_flops(config, 0) == 0.0
    with pytest.raises(ValueError, match="negative"):
        window_flops(config, -1)
