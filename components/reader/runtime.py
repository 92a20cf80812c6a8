"""
How `ExtractiveQAReader` runs its question-answering model: the numeric precision, and batches side by side.

The reader tokenizes (question, passage) windows and batches them (`windows`); this module turns batches into start
and end logits as fast as the hardware allows while keeping the answers of the full-precision model:

- `resolve_precision` picks the precision for a device: on CUDA half precision (fp16), on a CPU with native
  bfloat16 dot products (AVX-512 BF16 or AMX) `bf16`, otherwise fp32.
- `bf16` on CPU is *mixed* precision: the matrix multiplications of the transformer (its linear layers and the
  attention products) take bfloat16 inputs and accumulate in fp32, while the residual stream, the layer norms,
  the embeddings and the start/end head stay in fp32. The bfloat16 copies of the weights are made once at
  warm-up, not at every call (as `torch.autocast` would). BERT-family models (BERT, RoBERTa, XLM-R, CamemBERT)
  then run *packed* (`packed_encoder.PackedEncoder`): the windows of a batch, whatever their lengths, as one
  sequence of tokens through the linear layers, attention window by window, so no work is spent on padding and
  windows of any lengths can share a batch (`window_logits`); other models run a padded batch row by row.
- `QAModelRunner.logits_many` runs the batches of a call side by side on CPU, one batch per core, each on a single
  thread: one forward pass of a few hundred tokens is too small for all cores to share it efficiently (layer
  norms, softmax and the small attention products barely speed up with a second thread), while separate batches
  need no coordination at all.

Usage example:
```python
from transformers import AutoModelForQuestionAnswering

from extractive_qa.components.reader.runtime import QAModelRunner, resolve_precision

model = AutoModelForQuestionAnswering.from_pretrained("deepset/roberta-base-squad2")
runner = QAModelRunner(model, device="cpu", precision=resolve_precision("auto", "cpu"))
start, end = runner.logits({"input_ids": [[0, 713, 16, 10, 1296, 2, 2, 6179, 2]]})
```
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import torch

from extractive_qa.components.reader.packed_encoder import PackedEncoder

PRECISIONS: tuple[str, ...] = ("auto", "fp32", "bf16", "fp16")


def cpu_has_native_bf16() -> bool:
    """True when this CPU multiplies bfloat16 natively (AVX-512 BF16 or AMX), so bf16 beats fp32 by 2x or more."""
    capabilities: Mapping[str, Any] = {}
    get_capabilities = getattr(torch.cpu, "get_capabilities", None)
    if get_capabilities is not None:
        try:
            capabilities = get_capabilities()
        except Exception:  # an unknown processor: fall back to oneDNN's own check
            capabilities = {}
    if capabilities:
        return bool(capabilities.get("avx512_bf16") or capabilities.get("amx_bf16"))
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported()) and _cpuinfo_has("avx512_bf16", "amx_bf16")
    except Exception:
        return False


def _cpuinfo_has(*flags: str) -> bool:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            text = cpuinfo.read()
    except OSError:
        return False
    words = set(text.split())
    return any(flag in words for flag in flags)


def resolve_precision(precision: str, device_type: str) -> str:
    """
    Turns a precision setting into the one used on a device.

    :param precision: `"auto"`, `"fp32"`, `"bf16"` or `"fp16"`.
    :param device_type: The torch device type: `"cpu"`, `"cuda"`, `"mps"`, ...
    :returns: `"fp32"`, `"bf16"` or `"fp16"`: `"auto"` gives `"fp16"` on CUDA, `"bf16"` on a CPU with native
        bfloat16 arithmetic (AVX-512 BF16 or AMX) and `"fp32"` elsewhere; any other value is returned as it is
        (on a CPU without native bfloat16, `"bf16"` is correct but slower than fp32).
    :raises ValueError: For an unknown precision.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}; got {precision!r}")
    if precision != "auto":
        return precision
    if device_type == "cuda":
        return "fp16"
    if device_type == "cpu" and cpu_has_native_bf16():
        return "bf16"
    return "fp32"


#: The window size (in tokens) that oneDNN lays the bfloat16 weights out for; any size still works.
PACKED_FOR_TOKENS = 256


def mkldnn_packing_works() -> bool:
    """
    Whether this PyTorch can keep bfloat16 linear weights in oneDNN's own blocked layout and multiply with them.

    oneDNN reorders a weight matrix into the layout its AVX-512 BF16 / AMX kernels read on every product with a plain
    tensor; reordering it once, at warm-up, saves that (3-20% of a linear layer on AVX-512 BF16, measured; more where
    the products themselves are faster, as with AMX). The operators are the ones `torch.compile` uses for the same
    purpose on CPU; when they are missing, or give other numbers than a plain product, the plain product is used.
    """
    ops = getattr(torch.ops, "mkldnn", None)
    if ops is None or not torch.backends.mkldnn.is_available():
        return False
    try:
        generator = torch.Generator().manual_seed(0)
        weight = torch.randn(48, 32, generator=generator).to(torch.bfloat16)
        bias = torch.randn(48, generator=generator).to(torch.bfloat16)
        x = torch.randn(2, 5, 32, generator=generator).to(torch.bfloat16)
        with torch.inference_mode():
            packed = ops._reorder_linear_weight(weight, PACKED_FOR_TOKENS)
            fast = ops._linear_pointwise(x, packed, bias, "none", [], "")
            plain = torch.nn.functional.linear(x, weight, bias)
        return fast.shape == plain.shape and bool(torch.allclose(fast.float(), plain.float(), rtol=1e-2, atol=1e-2))
    except Exception:  # an operator missing from this build, or refused by this CPU
        return False


class LowPrecisionLinear(torch.nn.Module):
    """
    A linear layer that multiplies in a low precision (bfloat16), with its weights converted once.

    Its input is cast to the low precision; its output stays in it (the next operation decides what to do with it).
    With `packed=True` the weights are also laid out once in oneDNN's blocked format (see `mkldnn_packing_works`),
    which gives the same numbers as the plain product, faster.

    Usage example:
    ```python
    import torch

    layer = LowPrecisionLinear(torch.nn.Linear(8, 4), torch.bfloat16)
    layer(torch.randn(2, 8)).dtype  # torch.bfloat16
    ```
    """

    def __init__(self, linear: torch.nn.Linear, dtype: torch.dtype, packed: bool = False) -> None:
        """
        :param linear: The full-precision layer to copy.
        :param dtype: The precision of the multiplication, e.g. `torch.bfloat16`.
        :param packed: Lay the weights out for oneDNN (bfloat16 on CPU, where `mkldnn_packing_works()`).
        """
        super().__init__()
        self.in_features = linear.in_features
        self.out_features = linear.out_features
        self.packed = packed
        weight = linear.weight.detach().to(dtype)
        if packed:
            # oneDNN's layout is opaque: kept as a buffer (not a parameter), read only by `_linear_pointwise`
            with torch.inference_mode():
                weight = torch.ops.mkldnn._reorder_linear_weight(weight, PACKED_FOR_TOKENS)
            self.register_buffer("weight", weight, persistent=False)
        else:
            self.weight = torch.nn.Parameter(weight, requires_grad=False)
        self.bias = (
            torch.nn.Parameter(linear.bias.detach().to(dtype), requires_grad=False) if linear.bias is not None else None
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Applies the layer in its precision."""
        x = x.to(self.weight.dtype)
        if self.packed:
            return torch.ops.mkldnn._linear_pointwise(x, self.weight, self.bias, "none", [], "")
        return torch.nn.functional.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, dtype={self.weight.dtype}, "
            f"packed={self.packed}"
        )


def _batch_tokens(batch: Mapping[str, Any]) -> int:
    """The size of a batch in tokens (windows x width), to hand out the largest batches first."""
    return int(np.asarray(batch["input_ids"]).size)


def _head(model: Any) -> Any:
    """The model's span head (the last linear layer, giving start and end logits), kept in full precision."""
    return getattr(model, "qa_outputs", None)


def mixed_bf16_copy(model: Any) -> Any:
    """
    A copy of a question-answering model in mixed bfloat16: its linear layers multiply in bfloat16 (their weights
    converted once), everything else is fp32 and *shared* with `model`, which is left as it was.

    A linear layer's bfloat16 output flows into attention (whose products then run in bfloat16 too) or into the
    activation function, and is added back to the fp32 residual stream before each layer norm, so rounding does
    not accumulate over the layers. The span head stays fp32. The copy costs the bfloat16 weights only (half the
    fp32 ones), and `model` can still be run in fp32, e.g. to check close calls.

    :param model: A `transformers` question-answering model in fp32.
    :returns: The mixed-precision copy (with its own config, so that its attention can be set apart).
    """
    head = _head(model)
    on_cpu = all(p.device.type == "cpu" for p in model.parameters())
    packed = on_cpu and mkldnn_packing_works()
    # deepcopy shares what the memo holds: every parameter and buffer, so nothing big is copied
    memo: dict[int, Any] = {id(t): t for t in [*model.parameters(), *model.buffers()]}
    fast = copy.deepcopy(model, memo)
    fast_head = _head(fast)
    replaced = 0
    for parent in list(fast.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, torch.nn.Linear) and child is not fast_head:
                setattr(parent, name, LowPrecisionLinear(child, torch.bfloat16, packed=packed))
                replaced += 1
    if replaced == 0:
        raise ValueError(f"{type(model).__name__} has no linear layers to convert to bfloat16")
    if head is not None and fast_head is not None and fast_head.weight is not head.weight:
        raise RuntimeError("the span head was copied instead of shared")
    return fast.eval()


def release_checkpoint_memory(model: Any) -> None:
    """
    Copies a model's fp32 tensors into memory of their own.

    Weights loaded from disk may be views of the memory-mapped checkpoint; once the fp32 linear weights are no
    longer needed, copying the few fp32 tensors left (embeddings, layer norms, head) lets the mapping, and the
    fp32 weights read through it, go (about 300 MB for roberta-base).
    """
    with torch.no_grad():
        for tensor in [*model.parameters(), *model.buffers()]:
            if tensor.dtype == torch.float32:
                tensor.data = tensor.data.clone()


class QAModelRunner:
    """
    Runs a question-answering model in a given precision on batches of token ids and returns start and end logits.

    In mixed bf16 on CPU it can keep the fp32 model too (`keep_reference=True`), to run chosen windows again in
    full precision (`logits(..., reference=True)`): the reader does so for close calls (see `verify_margin` in
    `ExtractiveQAReader`). On CPU with `workers` above 1, `logits_many` runs that many batches at once, each on
    one thread of its own; the results are those of one batch after the other (to the rounding of sums that a
    matrix product split over threads adds up in another order).

    Usage example:
    ```python
    from transformers import AutoModelForQuestionAnswering

    from extractive_qa.components.reader.runtime import QAModelRunner

    model = AutoModelForQuestionAnswering.from_pretrained("deepset/roberta-base-squad2")
    runner = QAModelRunner(model, device="cpu", precision="bf16", keep_reference=True)
    ids = {"input_ids": [[0, 713, 16, 10, 1296, 2, 2, 6179, 2]]}
    start, end = runner.logits(ids)
    start32, end32 = runner.logits(ids, reference=True)
    ```
    """

    def __init__(
        self, model: Any, device: Any, precision: str, keep_reference: bool = False, workers: int | None = 1
    ) -> None:
        """
        :param model: A `transformers` question-answering model, in fp32, already on `device`.
        :param device: The torch device (or its name) the model runs on.
        :param precision: A resolved precision: `"fp32"`, `"bf16"` or `"fp16"` (see `resolve_precision`).
        :param keep_reference: In mixed bf16 on CPU, keep the fp32 model to run windows again in full precision
            (it shares all but the linear layers with the fast copy, so this costs the fp32 linear weights).
        :param workers: On CPU, how many batches `logits_many` runs at once, each on its own thread; `None`: one
            per torch thread (`torch.get_num_threads()`, by default one per core); 1: one batch at a time, on all
            of torch's threads. Ignored on GPUs.
        """
        if precision not in ("fp32", "bf16", "fp16"):
            raise ValueError(f"precision must be fp32, bf16 or fp16 (resolve 'auto' first), got {precision!r}")
        if workers is not None and workers < 1:
            raise ValueError(f"workers must be None or at least 1, got {workers}")
        self.device = torch.device(device)
        if self.device.type != "cpu":
            workers = 1
        self.workers = max(1, torch.get_num_threads()) if workers is None else workers
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self.precision = precision
        # Mixed bf16 on CPU: plain ("eager") attention, as bf16 batched products (faster here than PyTorch's fused
        # CPU attention kernel, and as accurate); it never sees padding (see `logits`), so it needs no mask.
        self.unpadded_only = self.device.type == "cpu" and precision == "bf16"
        self.reference_model: Any = None
        #: In mixed bf16 on CPU, BERT-family models run packed: windows of any lengths at once, with no padding
        self.packed_encoder: PackedEncoder | None = None
        model = model.eval()
        if self.unpadded_only:
            self.packed_encoder = PackedEncoder.build(model, torch.bfloat16, packed=mkldnn_packing_works())
        if self.packed_encoder is not None:
            # The packed encoder holds the bfloat16 weights; the fp32 model stays only as the reference (and for
            # the embeddings, which the encoder calls), so no mixed copy is made (about 300 MB for roberta-base).
            if keep_reference:
                self.reference_model = model
        elif self.unpadded_only:
            fast = mixed_bf16_copy(model)
            set_attention = getattr(fast, "set_attn_implementation", None)
            if set_attention is not None:
                set_attention("eager")
            if keep_reference:
                self.reference_model = model
            else:
                release_checkpoint_memory(fast)
            model = fast
        elif precision != "fp32":
            # GPUs: the usual half-precision inference, the whole model in fp16 or bf16.
            model = model.to(torch.float16 if precision == "fp16" else torch.bfloat16)
        self.model = model

    @property
    def packs_windows(self) -> bool:
        """Whether windows of different lengths run together without padding (`window_logits`)."""
        return self.packed_encoder is not None

    @property
    def can_verify(self) -> bool:
        """Whether an fp32 model is kept to run windows again in full precision."""
        return self.reference_model is not None

    def logits(self, inputs: Mapping[str, Any], reference: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """
        Runs the model on one batch.

        :param inputs: `input_ids` and optionally `attention_mask` and `token_type_ids`, each shaped
            (windows, tokens): numpy arrays, tensors or nested lists of integers.
        :param reference: Run the kept fp32 model instead of the fast one (needs `keep_reference=True`).
        :returns: The start and end logits as fp32 numpy arrays shaped (windows, tokens). In mixed bf16 on CPU a
            padded batch runs without its padding (packed, or row by row, each row at its own length), and padded
            positions get `-inf`.
        """
        if reference and self.reference_model is None:
            raise RuntimeError("no fp32 reference model is kept (keep_reference=False, or not mixed bf16 on CPU)")
        model = self.reference_model if reference else self.model
        arrays = {name: np.asarray(value, dtype=np.int64) for name, value in inputs.items() if value is not None}
        mask = arrays.get("attention_mask")
        if mask is not None and mask.all():
            del arrays["attention_mask"]  # no padding: the model needs no mask
            mask = None
        packed = self.packed_encoder if not reference else None
        if packed is None and (mask is None or not self.unpadded_only):
            return self._run(model, arrays)
        # Mixed bf16 on CPU: the rows without their padding, packed into one run or one run per row
        shape = arrays["input_ids"].shape
        keeps = [np.ones(shape[1], dtype=bool) if mask is None else mask[row].astype(bool) for row in range(shape[0])]
        filled = [row for row, keep in enumerate(keeps) if keep.any()]
        names = [name for name in arrays if name != "attention_mask"]
        rows = [{name: arrays[name][row, keeps[row]] for name in names} for row in filled]
        if packed is not None:
            types = [row["token_type_ids"] for row in rows] if "token_type_ids" in arrays else None
            per_row = packed.logits([row["input_ids"] for row in rows], types)
        else:
            runs = (self._run(model, {name: value[None] for name, value in row.items()}) for row in rows)
            per_row = [(row_start[0], row_end[0]) for row_start, row_end in runs]
        start = np.full(shape, -np.inf, dtype=np.float32)
        end = np.full(shape, -np.inf, dtype=np.float32)
        for row, (row_start, row_end) in zip(filled, per_row, strict=True):
            start[row, keeps[row]] = row_start
            end[row, keeps[row]] = row_end
        return start, end

    def window_logits(
        self, windows: Sequence[Mapping[str, Sequence[int]]], reference: bool = False
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """
        Runs the model on windows of any lengths: packed, as one sequence of tokens, where the runner packs windows
        (`packs_windows`), otherwise one window at a time.

        :param windows: Each window's `input_ids` and, for models that read them, `token_type_ids` (no padding).
        :param reference: Run the kept fp32 model instead of the fast one (window by window).
        :returns: Each window's start and end logits, fp32 numpy arrays of its length, in the order given.
        """
        if self.packed_encoder is not None and not reference:
            types = [window.get("token_type_ids") for window in windows]
            return self.packed_encoder.logits(
                [window["input_ids"] for window in windows], None if any(t is None for t in types) else types
            )
        results = []
        for window in windows:
            start, end = self.logits({name: [value] for name, value in window.items() if value is not None}, reference)
            results.append((start[0], end[0]))
        return results

    def device_logits(self, inputs: Mapping[str, Any], reference: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """
        Runs the model on one batch and leaves the start and end logits where they are (on a GPU: on the device, so
        that the span search runs there too). The batch is copied to the device from pinned memory, without
        waiting. Not for mixed bf16 on CPU, which runs batches without their padding (`logits`, `window_logits`).

        :param inputs: As for `logits`.
        :param reference: Run the kept fp32 model instead of the fast one (needs `keep_reference=True`).
        :returns: The start and end logits, float tensors shaped (windows, tokens), on the model's device.
        """
        model = self.reference_model if reference else self.model
        pin = self.device.type == "cuda"
        tensors = {}
        for name, value in inputs.items():
            tensor = torch.from_numpy(np.asarray(value, dtype=np.int64))
            tensors[name] = (tensor.pin_memory() if pin else tensor).to(self.device, non_blocking=pin)
        with torch.inference_mode():
            output = model(**tensors)
        return output.start_logits.float(), output.end_logits.float()

    def logits_many(
        self, batches: Sequence[Mapping[str, Any]], reference: bool = False
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """
        Runs the model on several batches: with `workers` above 1 (CPU only), that many at a time, each on one thread
        of its own, the largest first; otherwise one after the other. The results do not depend on `workers` beyond
        float rounding (a product split over threads may sum in another order).

        :param batches: Inputs as for `logits`, one mapping per batch.
        :param reference: Run the kept fp32 model instead of the fast one (needs `keep_reference=True`).
        :returns: The start and end logits of each batch, in the order of `batches`.
        """
        if self.workers == 1 or len(batches) < 2:
            return [self.logits(batch, reference=reference) for batch in batches]
        largest_first = sorted(range(len(batches)), key=lambda i: -_batch_tokens(batches[i]))
        pool = self._worker_pool()
        futures = {i: pool.submit(self.logits, batches[i], reference) for i in largest_first}
        return [futures[i].result() for i in range(len(batches))]

    def _worker_pool(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                threads = max(1, torch.get_num_threads() // self.workers)
                self._pool = ThreadPoolExecutor(
                    self.workers,
                    thread_name_prefix="qa-model",
                    initializer=torch.set_num_threads,  # per thread: the caller's own setting stays as it is
                    initargs=(threads,),
                )
            return self._pool

    def close(self) -> None:
        """Stops the worker threads (they are started again when needed)."""
        with self._pool_lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None

    def span_noise(self, inputs: Mapping[str, Any]) -> float:
        """
        How far the fast model's span logits (start + end) stray from the fp32 model's on `inputs`: the root mean
        square of the difference, over all tokens (start and end errors taken as independent).

        :param inputs: A batch as for `logits`, e.g. a window of real text.
        :returns: The noise, in logits; 0.0 when the fast model is the fp32 one.
        """
        if self.reference_model is None:
            return 0.0
        start, end = self.logits(inputs)
        start32, end32 = self.logits(inputs, reference=True)
        finite = np.isfinite(start32)
        return float(np.sqrt(np.mean((start - start32)[finite] ** 2) + np.mean((end - end32)[finite] ** 2)))

    def _run(self, model: Any, arrays: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        tensors = {name: torch.from_numpy(value).to(self.device) for name, value in arrays.items()}
        with torch.inference_mode():
            output = model(**tensors)
        return output.start_logits.float().cpu().numpy(), output.end_logits.float().cpu().numpy()
