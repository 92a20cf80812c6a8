"""
The useful work of the reader's model: the floating-point operations of one forward pass of a BERT/RoBERTa-style
encoder with a span head, so that a benchmark can turn seconds into effective GFLOP/s.

Counted, at 2 FLOPs per multiply-add, for every layer: the Q, K, V and output projections (`4 * h * h`
multiply-adds per token), the two feed-forward layers (`2 * h * i` per token) and the attention products `Q K^T` and
`A V` (`2 * tokens^2 * h`); then the span head (`h * 2` per token: the start and end logits). Embedding lookups,
biases, layer norms, softmax and activations are not counted: they are a few percent of the work and no matrix
product. Padding is not counted either: a window of `tokens` tokens is the work a reader has to do for it.

Usage example:
```python
from transformers import AutoConfig

from extractive_qa.testing.model_flops import window_flops

config = AutoConfig.from_pretrained("deepset/roberta-base-squad2")
print(window_flops(config, 225) / 1e9)  # about 40.1 (GFLOP for one window of 225 tokens)
```
"""

from __future__ import annotations

from typing import Any

#: Outputs of the span head per token: the start and the end logit.
SPAN_HEAD_OUTPUTS = 2


def window_flops(config: Any, tokens: int) -> float:
    """
    The FLOPs of one forward pass of the encoder and span head over one window of `tokens` tokens.

    :param config: A transformers config of a BERT/RoBERTa-style encoder (anything with `hidden_size`,
        `intermediate_size` and `num_hidden_layers`).
    :param tokens: The window's length in tokens (question, passage and special tokens; no padding).
    :returns: The floating-point operations, 2 per multiply-add.
    :raises ValueError: For a negative token count.
    """
    if tokens < 0:
        raise ValueError(f"tokens must not be negative, got {tokens}")
    hidden = int(config.hidden_size)
    intermediate = int(config.intermediate_size)
    layers = int(config.num_hidden_layers)
    projections = 4 * hidden * hidden  # Q, K, V, attention output: multiply-adds per token
    feed_forward = 2 * hidden * intermediate  # up and down: multiply-adds per token
    attention = 2 * tokens * tokens * hidden  # Q K^T and A V over the whole window: multiply-adds
    per_layer = 2 * (tokens * (projections + feed_forward) + attention)
    span_head = 2 * tokens * hidden * SPAN_HEAD_OUTPUTS
    return float(layers * per_layer + span_head)
