"""
The reader's engine: one queue of windows per model, shared by every caller, and model workers that batch them.

Windows, not questions, are the unit of batching. A caller (one `run()`, an `answer_batch()`, a server's concurrent
requests) tokenizes its questions itself and hands its windows to `ReaderEngine.read`, which blocks until each of them
has been through the model and its best spans found. Meanwhile the engine's workers take batches from the queue:

- a batch starts with the oldest waiting window (no caller waits behind an endless stream of others), and is filled
  with the waiting windows closest to it in length, up to `max_batch_size` windows and `max_batch_tokens` tokens
  (padded), with at most `max_padding` padding (0 on CPU: windows of one length only, so no padding is computed);
  where the runner packs windows (`QAModelRunner.packs_windows`: BERT-family models in mixed bf16 on CPU), lengths
  do not matter: a batch takes the oldest caller's windows, longest first, then other callers' windows, up to an
  even share per worker of the waiting tokens, so the workers finish a caller's windows together;
- several workers run at once: on CPU one per core, each on its own torch thread (a forward pass of a few hundred
  tokens is too small to share over cores well); on a GPU two, so that one prepares and decodes a batch while the
  device computes the other's;
- the span search runs where the logits are: on a GPU in batch on the device (`spans.best_spans_batch`), and only
  each window's best spans come back; on CPU per window (`spans.best_spans`);
- a window's span search follows its own caller's settings (`SpanSearch`), so callers with different settings still
  share batches; a batch whose model run fails is run again window by window, so that one bad window fails only its
  own caller;
- the queue is bounded (`max_pending` windows): a caller whose windows do not fit gets `ReaderBusyError` at once.

Usage example:
```python
from transformers import AutoModelForQuestionAnswering, AutoTokenizer
from haystack import Document

from extractive_qa.components.reader.engine import ReaderEngine, SpanSearch
from extractive_qa.components.reader.runtime import QAModelRunner
from extractive_qa.components.reader.windows import tokenize_windows

tokenizer = AutoTokenizer.from_pretrained("deepset/roberta-base-squad2")
model = AutoModelForQuestionAnswering.from_pretrained("deepset/roberta-base-squad2")
engine = ReaderEngine(QAModelRunner(model, "cpu", "fp32"), pad_id=tokenizer.pad_token_id)
windows, _ = tokenize_windows(tokenizer, ["Who wrote it?"], [[Document(content="Ada wrote it.")]], 384, 128)
null_logit, spans = engine.read(windows, SpanSearch(max_answer_length=30, answers_per_seq=20))[0]
engine.close()
```
"""

from __future__ import annotations

import bisect
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import torch

from extractive_qa.components.reader.runtime import QAModelRunner
from extractive_qa.components.reader.spans import Span, best_spans, best_spans_batch
from extractive_qa.components.reader.windows import Window, batch_arrays

#: A window's null logit and its best spans, best first.
WindowSpans = tuple[float, list[Span]]


class ReaderBusyError(RuntimeError):
    """The engine's queue has no room for a caller's windows; the caller should retry later."""


class SpanSearch(NamedTuple):
    """How a caller's windows are searched for spans (each window by its own caller's settings)."""

    max_answer_length: int
    answers_per_seq: int


@dataclass(frozen=True)
class EngineLimits:
    """How the engine forms batches and how much it queues; `for_device` gives the measured defaults."""

    max_batch_size: int
    max_batch_tokens: int
    max_padding: float
    max_pending: int
    workers: int

    @classmethod
    def for_device(cls, device_type: str, cpu_workers: int, max_batch_size: int | None) -> EngineLimits:
        """
        The defaults of a device: on CPU windows of one length only (no padding), batches of at most 16 windows, a
        worker per core; on a GPU batches of up to 128 windows and 64k tokens with a quarter padding allowed, and
        two workers (see docs/fast-reader.md for the measurements behind them).
        """
        if device_type == "cpu":
            size = max_batch_size or 16
            return cls(size, size * 512, 0.0, max(4096, 64 * size * cpu_workers), cpu_workers)
        size = max_batch_size or 128
        return cls(size, 65_536, 0.25, max(16_384, 64 * size), 2)


class _Request:
    """One caller's windows and what became of them."""

    __slots__ = ("done", "error", "left", "results", "search")

    def __init__(self, count: int, search: SpanSearch) -> None:
        self.search = search
        self.results: list[WindowSpans | None] = [None] * count
        self.left = count
        self.error: BaseException | None = None
        self.done = threading.Event()
        if count == 0:
            self.done.set()

    def finish(self, position: int, spans: WindowSpans | None, error: BaseException | None) -> None:
        """Records one window's outcome (called under the engine's lock)."""
        if error is not None and self.error is None:
            self.error = error
        self.results[position] = spans
        self.left -= 1
        if self.left == 0:
            self.done.set()


@dataclass(order=True)
class _Item:
    """One waiting window: ordered by length, then arrival."""

    length: int
    arrival: int
    window: Window = field(compare=False)
    request: _Request = field(compare=False)
    position: int = field(compare=False)
    reference: bool = field(compare=False)
    cap: int = field(compare=False)


class ReaderEngine:
    """
    The shared queue of windows of one model and the workers that batch them; see the module description.

    `read` may be called from any number of threads at once; each call gets its own windows' spans.
    """

    def __init__(self, runner: QAModelRunner, pad_id: int, limits: EngineLimits | None = None) -> None:
        """
        :param runner: The model in its precision (see `QAModelRunner`).
        :param pad_id: The tokenizer's padding token id.
        :param limits: How batches are formed and how much is queued; default `EngineLimits.for_device`.
        """
        self.runner = runner
        self.pad_id = pad_id
        self.limits = limits or EngineLimits.for_device(runner.device.type, runner.workers, None)
        self.on_device_search = runner.device.type != "cpu"
        #: windows of any lengths share a batch, run packed without padding (mixed bf16 on CPU, BERT-family models)
        self.packed = runner.packs_windows
        self._condition = threading.Condition()
        self._pending: list[_Item] = []  # sorted by (length, arrival)
        self._arrivals = 0
        self._workers: list[threading.Thread] = []
        self._closed = False
        #: since creation: batches run, windows run, the largest batch, and batches re-run window by window
        self.stats = {"batches": 0, "windows": 0, "largest_batch": 0, "split_batches": 0}

    # ---- callers ------------------------------------------------------------------------------------------------

    def read(
        self,
        windows: Sequence[Window],
        search: SpanSearch,
        *,
        reference: bool = False,
        max_batch_size: int | None = None,
    ) -> list[WindowSpans]:
        """
        Runs the windows through the model (with other callers' windows) and finds each one's best spans.

        :param windows: The caller's windows.
        :param search: How their spans are searched.
        :param reference: Run the runner's kept fp32 model (close-call rechecks) instead of the fast one.
        :param max_batch_size: The most windows of a batch holding any of these windows (`None`: the engine's).
        :returns: Each window's null logit and best spans, in the order of `windows`.
        :raises ReaderBusyError: When the queue has no room for the windows.
        :raises Exception: The error of a window's model run, when it failed alone.
        """
        request = _Request(len(windows), search)
        if not windows:
            return []
        cap = min(self.limits.max_batch_size, max_batch_size or self.limits.max_batch_size)
        with self._condition:
            if self._closed:
                raise RuntimeError("the reader engine is closed")
            if self._pending and len(self._pending) + len(windows) > self.limits.max_pending:
                raise ReaderBusyError(
                    f"the reader is busy: {len(self._pending)} windows are waiting for the model "
                    f"(the limit is {self.limits.max_pending}); retry shortly"
                )
            for position, window in enumerate(windows):
                self._arrivals += 1
                item = _Item(len(window.input_ids), self._arrivals, window, request, position, reference, cap)
                bisect.insort(self._pending, item)
            self._start_workers()
            self._condition.notify_all()
        request.done.wait()
        if request.error is not None:
            raise request.error
        return request.results  # type: ignore[return-value]

    def close(self) -> None:
        """Stops the workers after the windows already queued."""
        with self._condition:
            self._closed = True
            self._condition.notify_all()
        for worker in self._workers:
            worker.join()
        self._workers = []

    # ---- workers ------------------------------------------------------------------------------------------------

    def _start_workers(self) -> None:
        """Starts the workers on first use (called under the lock)."""
        if self._workers:
            return
        threads = max(1, torch.get_num_threads() // self.limits.workers) if self.runner.device.type == "cpu" else 0
        for number in range(self.limits.workers):
            worker = threading.Thread(target=self._work, args=(threads,), name=f"qa-engine-{number}", daemon=True)
            worker.start()
            self._workers.append(worker)

    def _work(self, threads: int) -> None:
        if threads:
            torch.set_num_threads(threads)  # per thread: the callers' own setting stays as it is
        while True:
            with self._condition:
                while not self._pending and not self._closed:
                    self._condition.wait()
                if not self._pending:
                    return
                batch = self._take_batch()
            self._run(batch)

    def _take_batch(self) -> list[_Item]:
        """The next batch (called under the lock): packed when the runner packs windows, else padded."""
        return self._take_packed_batch() if self.packed else self._take_padded_batch()

    def _take_packed_batch(self) -> list[_Item]:
        """
        The next batch of windows of any lengths (called under the lock): the oldest caller's windows, longest first,
        then other callers' windows of the same kind (`reference`), longest first, up to an even share of the waiting
        tokens per worker (so the workers finish a caller's windows together) and the token and size limits.
        """
        pending = self._pending
        first = min(pending, key=lambda item: item.arrival)
        kind, request = first.reference, first.request
        waiting = sum(item.length for item in pending if item.reference == kind)
        budget = min(self.limits.max_batch_tokens, math.ceil(waiting / self.limits.workers))
        chosen: list[int] = []
        total = 0
        cap = first.cap
        for own in (True, False):
            for index in range(len(pending) - 1, -1, -1):  # longest first
                item = pending[index]
                if item.reference != kind or (item.request is request) != own:
                    continue
                if len(chosen) >= min(cap, item.cap):
                    break
                if chosen and total + item.length > budget:
                    continue
                chosen.append(index)
                total += item.length
                cap = min(cap, item.cap)
        taken = set(chosen)
        batch = [pending[i] for i in chosen]
        self._pending = [item for i, item in enumerate(pending) if i not in taken]
        return batch

    def _take_padded_batch(self) -> list[_Item]:
        """
        The next batch (called under the lock): the oldest waiting window, and the waiting windows of its kind
        (`reference`) nearest to it in length while the batch stays within its size, token and padding limits.
        """
        pending = self._pending
        oldest = min(range(len(pending)), key=lambda i: pending[i].arrival)
        first = pending[oldest]
        limits = self.limits
        chosen = [oldest]
        cap = first.cap
        longest = total = first.length
        below, above = oldest - 1, oldest + 1
        while len(chosen) < cap:
            # the nearer of the next shorter and the next longer window of the same kind
            while below >= 0 and pending[below].reference != first.reference:
                below -= 1
            while above < len(pending) and pending[above].reference != first.reference:
                above += 1
            options = [i for i in (below, above) if 0 <= i < len(pending)]
            if not options:
                break
            pick = min(options, key=lambda i: abs(pending[i].length - first.length))
            item = pending[pick]
            width = max(longest, item.length)
            size = len(chosen) + 1
            new_total = total + item.length
            if (
                size > item.cap
                or width * size > limits.max_batch_tokens
                or width * size - new_total > limits.max_padding * new_total
            ):
                if pick == below:
                    below = -1
                else:
                    above = len(pending)
                continue
            chosen.append(pick)
            cap = min(cap, item.cap)
            longest, total = width, new_total
            if pick == below:
                below -= 1
            else:
                above += 1
        taken = set(chosen)
        batch = [pending[i] for i in sorted(chosen)]
        self._pending = [item for i, item in enumerate(pending) if i not in taken]
        return batch

    def _run(self, batch: list[_Item]) -> None:
        """Runs a batch and hands each window's spans to its caller; a failed batch is re-run window by window."""
        try:
            outcomes: list[tuple[WindowSpans | None, BaseException | None]] = [
                (spans, None) for spans in self._spans(batch)
            ]
        except Exception as error:
            if len(batch) == 1:
                outcomes = [(None, error)]
            else:
                with self._condition:
                    self.stats["split_batches"] += 1
                outcomes = []
                for item in batch:
                    try:
                        outcomes.append((self._spans([item])[0], None))
                    except Exception as error:
                        outcomes.append((None, error))
        with self._condition:
            self.stats["batches"] += 1
            self.stats["windows"] += len(batch)
            self.stats["largest_batch"] = max(self.stats["largest_batch"], len(batch))
            for item, (spans, error) in zip(batch, outcomes, strict=True):
                item.request.finish(item.position, spans, error)

    def _spans(self, batch: list[_Item]) -> list[WindowSpans]:
        """Each window's null logit and best spans: the model run, then the span search where the logits are."""
        windows = [item.window for item in batch]
        reference = batch[0].reference
        if self.packed:
            logits = self.runner.window_logits(
                [{"input_ids": w.input_ids, "token_type_ids": w.token_type_ids} for w in windows], reference=reference
            )
            return [
                best_spans(
                    start, end, item.window, item.request.search.max_answer_length, item.request.search.answers_per_seq
                )
                for item, (start, end) in zip(batch, logits, strict=True)
            ]
        arrays = batch_arrays(windows, [list(range(len(windows)))], pad_id=self.pad_id)[0]
        if self.on_device_search:
            start, end = self.runner.device_logits(arrays, reference=reference)
            return best_spans_batch(start, end, windows, [item.request.search for item in batch])
        start_np, end_np = self.runner.logits(arrays, reference=reference)
        results = []
        for row, item in enumerate(batch):
            n = len(item.window.input_ids)
            search = item.request.search
            results.append(
                best_spans(
                    start_np[row, :n], end_np[row, :n], item.window, search.max_answer_length, search.answers_per_seq
                )
            )
        return results
