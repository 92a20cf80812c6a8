"""
A BERT-family question-answering model run over windows of different lengths at once, without padding.

A padded batch computes every padding token through every layer; a batch of one length only (what the reader did on
CPU before) leaves most batches with one or two windows, too small for the matrix units to run at their pace.
`PackedEncoder` runs the windows of a batch as one sequence of tokens ("packed", or "varlen"): the linear layers,
the layer norms and the activation see all the batch's tokens at once (one large matrix product per layer), and only
the attention is computed window by window, each window attending to its own tokens. No padding is computed at all,
whatever the lengths.

It also does, once, what the generic mixed-precision copy (`runtime.mixed_bf16_copy`) cannot:

- the query, key and value projections are one matrix product (their weights concatenated), on one bfloat16 copy
  of the layer's input instead of three;
- the GELU runs inside the intermediate layer's matrix product (a oneDNN post-op), instead of as a pass of its own
  over a tensor four times the hidden size (a fifth of a forward pass on AMX, measured);
- the attention is PyTorch's fused `scaled_dot_product_attention` per window (no mask: a window sees only itself).

The precision is the reader's mixed bf16: bfloat16 products with fp32 accumulation, the residual stream, the layer
norms, the embeddings and the span head in fp32. It supports the encoders whose layers are laid out as BERT's
(`bert`, `roberta`, `xlm-roberta`, `camembert` with absolute positions and a GELU activation); `PackedEncoder.build`
returns `None` for any other model, which then runs as before. The embeddings are the model's own module, called
per window, so each family's position ids stay its own.

Usage example:
```python
import torch
from transformers import AutoModelForQuestionAnswering

from extractive_qa.components.reader.packed_encoder import PackedEncoder

model = AutoModelForQuestionAnswering.from_pretrained("deepset/roberta-base-squad2").eval()
encoder = PackedEncoder.build(model, torch.bfloat16)
(start, end), (start2, end2) = encoder.logits([[0, 713, 16, 2, 2, 6179, 2], [0, 713, 2, 2, 17, 2]])
```
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

#: `config.model_type` of the encoders laid out as BERT's (see the module description).
SUPPORTED_MODEL_TYPES = frozenset({"bert", "roberta", "xlm-roberta", "camembert"})

#: The activations it fuses into the intermediate product, and oneDNN's name for each one's algorithm.
_GELU_ALGORITHMS = {"gelu": "none", "gelu_new": "tanh", "gelu_pytorch_tanh": "tanh", "gelu_fast": "tanh"}

#: How many tokens oneDNN lays the packed weights out for; any number works.
_PACKED_FOR_TOKENS = 1024


class _Linear:
    """One linear layer in a low precision, its weights converted (and laid out for oneDNN) once."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None, dtype: torch.dtype, packed: bool, act: str):
        self.packed = packed
        self.act = act  # "" or a oneDNN GELU algorithm ("none": exact, "tanh")
        weight = weight.detach().to(dtype).contiguous()
        self.bias = bias.detach().to(dtype) if bias is not None else None
        self.weight = torch.ops.mkldnn._reorder_linear_weight(weight, _PACKED_FOR_TOKENS) if packed else weight

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.packed:
            if self.act:
                return torch.ops.mkldnn._linear_pointwise(x, self.weight, self.bias, "gelu", [], self.act)
            return torch.ops.mkldnn._linear_pointwise(x, self.weight, self.bias, "none", [], "")
        y = torch.nn.functional.linear(x, self.weight, self.bias)
        return torch.nn.functional.gelu(y, approximate=self.act) if self.act else y


@dataclass
class _Layer:
    qkv: _Linear
    attention_out: _Linear
    attention_norm: torch.nn.LayerNorm
    intermediate: _Linear
    output: _Linear
    output_norm: torch.nn.LayerNorm


def _encoder_parts(model: Any) -> tuple[Any, Any, Any] | None:
    """The model's embeddings module, encoder layers and span head, when it is laid out as BERT's."""
    config = getattr(model, "config", None)
    if config is None or getattr(config, "model_type", None) not in SUPPORTED_MODEL_TYPES:
        return None
    if getattr(config, "is_decoder", False) or getattr(config, "add_cross_attention", False):
        return None
    if getattr(config, "position_embedding_type", "absolute") not in (None, "absolute"):
        return None
    if not isinstance(getattr(config, "hidden_act", None), str) or config.hidden_act not in _GELU_ALGORITHMS:
        return None
    base = getattr(model, getattr(model, "base_model_prefix", ""), None)
    head = getattr(model, "qa_outputs", None)
    embeddings = getattr(base, "embeddings", None)
    layers = getattr(getattr(base, "encoder", None), "layer", None)
    if embeddings is None or layers is None or not isinstance(head, torch.nn.Linear) or head.out_features != 2:
        return None
    try:
        for layer in layers:
            attention = layer.attention
            for linear in (
                attention.self.query,
                attention.self.key,
                attention.self.value,
                attention.output.dense,
                layer.intermediate.dense,
                layer.output.dense,
            ):
                if not isinstance(linear, torch.nn.Linear):
                    return None
            if not isinstance(attention.output.LayerNorm, torch.nn.LayerNorm) or not isinstance(
                layer.output.LayerNorm, torch.nn.LayerNorm
            ):
                return None
    except AttributeError:
        return None
    return embeddings, layers, head


class PackedEncoder:
    """
    Runs a BERT-family question-answering model over windows of any lengths as one packed sequence of tokens;
    see the module description. Thread-safe: it keeps no state between calls, so several workers may run it at once.
    """

    def __init__(self, model: Any, dtype: torch.dtype, packed: bool) -> None:
        """
        Use `PackedEncoder.build`, which checks that the model is supported.

        :param model: A supported question-answering model in fp32 on CPU; its embeddings, layer norms and span head
            are shared, its linear layers copied in `dtype`.
        :param dtype: The precision of the matrix products (`torch.bfloat16`, or `torch.float32`).
        :param packed: Lay the low-precision weights out for oneDNN (see `runtime.mkldnn_packing_works`).
        """
        parts = _encoder_parts(model)
        if parts is None:
            raise ValueError(f"{type(model).__name__} is not laid out as a BERT-family encoder")
        embeddings, layers, head = parts
        config = model.config
        self.embeddings = embeddings
        self.head = head
        self.heads = int(config.num_attention_heads)
        self.hidden = int(config.hidden_size)
        self.head_size = self.hidden // self.heads
        self.dtype = dtype
        act = _GELU_ALGORITHMS[config.hidden_act]
        self.layers: list[_Layer] = []
        with torch.inference_mode():
            for layer in layers:
                attention = layer.attention.self
                qkv_weight = torch.cat([attention.query.weight, attention.key.weight, attention.value.weight])
                qkv_bias = torch.cat([attention.query.bias, attention.key.bias, attention.value.bias])
                self.layers.append(
                    _Layer(
                        qkv=_Linear(qkv_weight, qkv_bias, dtype, packed, ""),
                        attention_out=_Linear(
                            layer.attention.output.dense.weight, layer.attention.output.dense.bias, dtype, packed, ""
                        ),
                        attention_norm=layer.attention.output.LayerNorm,
                        intermediate=_Linear(
                            layer.intermediate.dense.weight, layer.intermediate.dense.bias, dtype, packed, act
                        ),
                        output=_Linear(layer.output.dense.weight, layer.output.dense.bias, dtype, packed, ""),
                        output_norm=layer.output.LayerNorm,
                    )
                )

    @classmethod
    def build(cls, model: Any, dtype: torch.dtype, packed: bool = False) -> PackedEncoder | None:
        """
        The packed encoder of a model, or `None` when the model is not a supported BERT-family encoder on CPU (it
        then runs as it is).

        :param model: A `transformers` question-answering model in fp32.
        :param dtype: The precision of the matrix products.
        :param packed: Lay the weights out for oneDNN (only where `runtime.mkldnn_packing_works()`).
        """
        if any(p.device.type != "cpu" for p in model.parameters()) or _encoder_parts(model) is None:
            return None
        return cls(model, dtype, packed)

    def logits(
        self, input_ids: Sequence[Sequence[int]], token_type_ids: Sequence[Sequence[int]] | None = None
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """
        Runs the windows through the model as one packed sequence.

        :param input_ids: Each window's token ids (any lengths, no padding).
        :param token_type_ids: Each window's token type ids, for the models that read them.
        :returns: Each window's start and end logits (fp32 numpy arrays of its length), in the order given.
        """
        lengths = [len(ids) for ids in input_ids]
        if not lengths:
            return []
        if min(lengths) < 1:
            raise ValueError("a window has no tokens")
        with torch.inference_mode():
            hidden = torch.cat(
                [
                    self.embeddings(
                        input_ids=torch.as_tensor(np.asarray(ids, dtype=np.int64))[None],
                        token_type_ids=(
                            torch.as_tensor(np.asarray(token_type_ids[i], dtype=np.int64))[None]
                            if token_type_ids is not None
                            else None
                        ),
                    )[0]
                    for i, ids in enumerate(input_ids)
                ]
            )
            bounds = np.concatenate([[0], np.cumsum(lengths)]).tolist()
            for layer in self.layers:
                hidden = self._layer(layer, hidden, bounds)
            scores = self.head(hidden).float()
            start_all = scores[:, 0].contiguous().numpy()
            end_all = scores[:, 1].contiguous().numpy()
        return [(start_all[a:b], end_all[a:b]) for a, b in itertools.pairwise(bounds)]

    def _layer(self, layer: _Layer, hidden: torch.Tensor, bounds: list[int]) -> torch.Tensor:
        tokens = hidden.shape[0]
        qkv = layer.qkv(hidden.to(self.dtype))  # (tokens, 3 x hidden)
        context = torch.empty(tokens, self.hidden, dtype=qkv.dtype)
        for a, b in itertools.pairwise(bounds):
            # (3, heads, n, head_size): each window attends to its own tokens only
            q, k, v = qkv[a:b].view(b - a, 3, self.heads, self.head_size).permute(1, 2, 0, 3)
            attended = torch.nn.functional.scaled_dot_product_attention(q, k, v)
            context[a:b] = attended.transpose(0, 1).reshape(b - a, self.hidden)
        hidden = layer.attention_norm(hidden + layer.attention_out(context))
        return layer.output_norm(hidden + layer.output(layer.intermediate(hidden.to(self.dtype))))
