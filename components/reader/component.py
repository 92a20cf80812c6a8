"""An extractive reader that also reports the model's own no-answer evidence."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from haystack import Document, ExtractedAnswer, component, default_from_dict, default_to_dict, logging
from haystack.utils import ComponentDevice, Secret, deserialize_secrets_inplace
from haystack.utils.hf import deserialize_hf_model_kwargs, serialize_hf_model_kwargs

from extractive_qa.components.reader.engine import EngineLimits, ReaderEngine, SpanSearch
from extractive_qa.components.reader.runtime import PRECISIONS, QAModelRunner, resolve_precision
from extractive_qa.components.reader.spans import Span, answer_context, best_spans, close_calls
from extractive_qa.components.reader.windows import (
    Window,
    batch_arrays,
    plan_batches,
    spread_over_workers,
    tokenize_windows,
    truncate_query,
)
from extractive_qa.components.utils import sigmoid

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "deepset/roberta-base-squad2"
#: Settings of earlier versions that the engine made meaningless: a YAML naming them still loads, with a warning.
RETIRED_PARAMETERS = ("batch_wait_ms", "max_batch_questions")

# `verify_margin=None` sets the margin to this many times the fast precision's measured span-logit noise.
VERIFY_NOISE_FACTOR = 2.5
# The window whose noise is measured at warm-up (any ordinary text does; this one is the project's own).
_PROBE_QUESTION = "When did the ferry stop carrying cars across the river?"
_PROBE_TEXT = (
    "For most of the nineteenth century the only way across the river below the old mill was a chain ferry, "
    "run by the same family for three generations. It carried carts, cattle and, from 1911, the first motor cars "
    "of the district, at a toll of sixpence a wheel. When the county council opened the steel bridge upstream in "
    "May 1934, traffic fell away within a year; the ferry took its last car in the autumn of 1935 and was kept "
    "for foot passengers until the war, when its chain was requisitioned for scrap. The landing stages can still "
    "be seen at low water, and the ferryman's cottage is now a small museum about the river trades."
)


#: A window's start and end logits.
Logits = tuple[np.ndarray, np.ndarray]


def _stronger_evidence(
    evidence: dict[str, float] | None, null_logit: float, spans: list[Span]
) -> dict[str, float] | None:
    """The question's no-answer evidence after one more window: the smallest null-score difference seen so far."""
    if not spans:
        return evidence
    diff = null_logit - spans[0][2]
    if evidence is not None and diff >= evidence["null_score_diff"]:
        return evidence
    return {"null_score_diff": diff, "null_logit": null_logit, "best_span_logit": spans[0][2]}


def looks_like_local_path(model: str) -> bool:
    """True when ``model`` is meant as a directory on disk rather than a Hugging Face hub id."""
    return model.startswith((".", "/", "~")) or model.count("/") > 1 or Path(model).exists()


@component
class ExtractiveQAReader:
    """
    Extracts answer spans from Documents with a SQuAD-style question-answering model.

    Answers are scored like Haystack's `ExtractiveReader` (`sigmoid(calibration_factor * (start + end logit))`,
    independently for every span, so scores compare across documents). On top of that the reader:

    - reports the model's own no-answer evidence, the SQuAD 2.0 *null score*: for every window the model reads,
      the start+end logit of the CLS token against the best span's. Every answer carries
      `meta["null_score_diff"]` (its window's null logit minus the answer's span logit), and the
      no-answer entry (`data=None`) carries the query-level evidence: the smallest difference over all windows.
      Its `score` is `sigmoid(null_score_diff)`, the model's probability of "no answer" against its best span.
    - limits answers to `max_answer_length` tokens and questions to `max_query_length` tokens (as the
      SQuAD 2.0 evaluation of deepset/roberta-base-squad2 does: 30 and 64),
    - fills each answer's `context` with the text around the span,
    - passes token type ids to models that use them (BERT-style), and honours run-time overrides of 0,
    - runs fast: on CPU, batches carry no padding at all (windows of one length go together) and `precision="auto"`
      runs the transformer's matrix multiplications in bfloat16 where the CPU has native bfloat16 arithmetic
      (AVX-512 BF16 / AMX; the residual stream, layer norms and span head stay fp32); on CUDA it runs in fp16.
      Close calls are checked in full precision: when the best and the next-best answer of a question lie within
      `verify_margin` logits of each other, the windows holding them are run again in fp32, so the fast path keeps
      the fp32 answers. On CPU, batches run side by side, one per core (`cpu_workers`).
      See `extractive_qa.components.reader.runtime` and `docs/fast-reader.md`.
    - batches windows, not questions: every caller's windows (one `run()`, an `answer_batch()`, a server's
      concurrent requests) go to one queue per model, whose workers form batches of windows of similar length from
      all of them (`extractive_qa.components.reader.engine`); each caller gets its own answers.

    Usage example:
    ```python
    from haystack import Document
    from extractive_qa.components.reader import ExtractiveQAReader

    reader = ExtractiveQAReader(model="deepset/roberta-base-squad2", precision="auto")
    reader.warm_up()
    docs = [Document(content="The Normans gave their name to Normandy, a region in France.")]
    result = reader.run(query="In what country is Normandy?", documents=docs)
    print(result["answers"][0].data)  # "France"
    ```
    """

    def __init__(
        self,
        model: Path | str = DEFAULT_MODEL,
        device: ComponentDevice | None = None,
        token: Secret | None = Secret.from_env_var(["HF_API_TOKEN", "HF_TOKEN"], strict=False),  # noqa: B008
        top_k: int = 20,
        max_seq_length: int = 384,
        stride: int = 128,
        max_query_length: int = 64,
        max_answer_length: int = 30,
        answers_per_seq: int = 20,
        max_batch_size: int | None = None,
        calibration_factor: float = 0.1,
        context_window: int = 150,
        no_answer: bool = True,
        model_kwargs: dict[str, Any] | None = None,
        precision: str = "auto",
        verify_margin: float | None = None,
        cpu_workers: int | None = None,
        batch_requests: bool | None = None,
        max_queued_windows: int | None = None,
    ) -> None:
        """
        Creates an ExtractiveQAReader.

        :param model: A Hugging Face question-answering model: a hub id or a local directory.
        :param device: The device to run the model on; `None` picks a GPU when there is one.
        :param token: The token used to download private models from the Hugging Face hub.
        :param top_k: The maximum number of answers returned per query (besides the no-answer entry).
        :param max_seq_length: The maximum number of tokens in one window (question + passage + special tokens).
        :param stride: The number of tokens neighbouring windows of one long document share.
        :param max_query_length: Questions are cut to this many tokens.
        :param max_answer_length: The longest answer span considered, in tokens.
        :param answers_per_seq: The number of answer candidates taken from each window.
        :param max_batch_size: The most windows fed through the model at once. `None` (default): the engine's
            default for the device, 16 on CPU (where windows of one length go together) and 128 on a GPU.
        :param calibration_factor: Scales span logits before the sigmoid that turns them into scores.
        :param context_window: The number of characters of text kept on each side of an answer as its context.
        :param no_answer: Whether to add the no-answer entry (with the null-score evidence) to the answers.
        :param model_kwargs: Extra keyword arguments for `AutoModelForQuestionAnswering.from_pretrained`.
        :param precision: The arithmetic the model runs in: `"auto"` (fp16 on CUDA; mixed bfloat16 on a CPU with
            native bfloat16 arithmetic, AVX-512 BF16 or AMX; fp32 elsewhere), `"fp32"` (the reference, slowest),
            `"bf16"` or `"fp16"`. Run `python benchmarks/reader_accuracy_guard.py` to see what a precision costs in
            answers on your model.
        :param verify_margin: In mixed bf16 on CPU, when a question's best and next-best answers (by span logit)
            are closer than this, the windows holding candidates that close to the best are run again in fp32 and
            their spans taken from there. `None` (default): 2.5 times the span-logit noise of bf16 against fp32,
            measured at warm-up on one window of text; `0`: never. Costs the fp32 linear weights in memory.
        :param cpu_workers: On CPU, how many batches of windows run at once, each on a thread of its own (a single
            window is too small a task to share out over several cores well). `None` (default): one per torch
            thread, i.e. per core; `1`: one batch after the other, each spread over all of torch's threads. The
            answers are the same either way (scores to float rounding). Ignored on GPUs.
        :param batch_requests: Whether the windows of all callers go through the shared engine, which batches them
            across questions and concurrent calls. `None` or `True` (default): yes. `False`: each call runs its own
            windows in its own thread, batched only among themselves (the reader before the engine, kept to
            measure the engine against).
        :param max_queued_windows: The most windows waiting in the engine's queue; a caller whose windows do not
            fit gets `ReaderBusyError` at once (a server answers 503). `None` (default): the device's, at least 4,096
            on CPU and 16,384 on a GPU.
        """
        if max_query_length + stride + 4 > max_seq_length:
            raise ValueError(
                f"max_seq_length ({max_seq_length}) must exceed max_query_length ({max_query_length}) + "
                f"stride ({stride}) + 4 special tokens"
            )
        for name, value in (
            ("top_k", top_k),
            ("max_answer_length", max_answer_length),
            ("answers_per_seq", answers_per_seq),
            ("max_batch_size", 1 if max_batch_size is None else max_batch_size),
        ):
            if value < 1:
                raise ValueError(f"{name} must be at least 1, got {value}")
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}; got {precision!r}")
        if verify_margin is not None and not verify_margin >= 0:
            raise ValueError(f"verify_margin must be None or at least 0, got {verify_margin}")
        if max_queued_windows is not None and max_queued_windows < 1:
            raise ValueError(f"max_queued_windows must be None or at least 1, got {max_queued_windows}")
        if cpu_workers is not None and cpu_workers < 1:
            raise ValueError(f"cpu_workers must be None or at least 1, got {cpu_workers}")
        self.model_name_or_path = str(model)
        self.device = device
        self.token = token
        self.top_k = top_k
        self.max_seq_length = max_seq_length
        self.stride = stride
        self.max_query_length = max_query_length
        self.max_answer_length = max_answer_length
        self.answers_per_seq = answers_per_seq
        self.max_batch_size = max_batch_size
        self.calibration_factor = calibration_factor
        self.context_window = context_window
        self.no_answer = no_answer
        self.model_kwargs = model_kwargs or {}
        self.precision = precision
        self.verify_margin = verify_margin
        self.cpu_workers = cpu_workers
        self.batch_requests = batch_requests
        self.max_queued_windows = max_queued_windows
        self._engine: ReaderEngine | None = None
        self.model: Any = None
        self.tokenizer: Any = None
        self._torch_device: Any = None
        self._runner: QAModelRunner | None = None
        self._verify_margin = 0.0
        #: since warm-up: windows run through the model and those run again in fp32 (close calls); counted under a
        #: lock, since a server's threads call the reader side by side (the engine's own: `engine.stats`)
        self.stats = {"windows": 0, "rechecked_windows": 0}
        self._stats_lock = threading.Lock()

    def _count(self, **increments: int) -> None:
        with self._stats_lock:
            for name, increment in increments.items():
                self.stats[name] += increment

    def _get_telemetry_data(self) -> dict[str, Any]:
        return {"model": self.model_name_or_path}

    def to_dict(self) -> dict[str, Any]:
        """
        Serializes the component to a dictionary.

        :returns: Dictionary with serialized data.
        """
        data = default_to_dict(
            self,
            model=self.model_name_or_path,
            device=self.device.to_dict() if self.device else None,
            token=self.token.to_dict() if self.token else None,
            top_k=self.top_k,
            max_seq_length=self.max_seq_length,
            stride=self.stride,
            max_query_length=self.max_query_length,
            max_answer_length=self.max_answer_length,
            answers_per_seq=self.answers_per_seq,
            max_batch_size=self.max_batch_size,
            calibration_factor=self.calibration_factor,
            context_window=self.context_window,
            no_answer=self.no_answer,
            model_kwargs=dict(self.model_kwargs),
            precision=self.precision,
            verify_margin=self.verify_margin,
            cpu_workers=self.cpu_workers,
            batch_requests=self.batch_requests,
            max_queued_windows=self.max_queued_windows,
        )
        serialize_hf_model_kwargs(data["init_parameters"]["model_kwargs"])
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ExtractiveQAReader:
        """
        Deserializes the component from a dictionary.

        :param data: Dictionary to deserialize from.
        :returns: Deserialized component.
        """
        init_params = data.get("init_parameters", {})
        for retired in RETIRED_PARAMETERS:
            if retired in init_params:
                init_params.pop(retired)
                logger.warning(
                    "ExtractiveQAReader: '{parameter}' is no longer used (the engine batches windows, not "
                    "questions); remove it from the YAML",
                    parameter=retired,
                )
        deserialize_secrets_inplace(init_params, keys=["token"])
        if init_params.get("device") is not None:
            init_params["device"] = ComponentDevice.from_dict(init_params["device"])
        if init_params.get("model_kwargs"):
            deserialize_hf_model_kwargs(init_params["model_kwargs"])
        return default_from_dict(cls, data)

    def warm_up(self) -> None:
        """
        Loads the model and its tokenizer, and prepares the model in the reader's precision.

        :raises FileNotFoundError: When the model is given as a local path that does not exist.
        """
        if self.model is not None:
            return
        from transformers import AutoModelForQuestionAnswering, AutoTokenizer

        path = Path(self.model_name_or_path).expanduser()
        if looks_like_local_path(self.model_name_or_path) and not path.is_dir():
            raise FileNotFoundError(f"model directory not found: {self.model_name_or_path}")
        token = self.token.resolve_value() if self.token else None
        source = str(path) if path.is_dir() else self.model_name_or_path
        self.tokenizer = AutoTokenizer.from_pretrained(source, token=token, use_fast=True)
        if not getattr(self.tokenizer, "is_fast", False):
            raise ValueError(f"{source}: a fast tokenizer is required (offsets map answers back to the text)")
        model = AutoModelForQuestionAnswering.from_pretrained(source, token=token, **self.model_kwargs)
        device = (self.device or ComponentDevice.resolve_device(None)).to_torch()
        self._torch_device = device
        precision = resolve_precision(self.precision, device.type)
        keep_reference = self.verify_margin != 0 and device.type == "cpu" and precision == "bf16"
        self._runner = QAModelRunner(
            model.to(device), device, precision, keep_reference=keep_reference, workers=self.cpu_workers
        )
        self.model = self._runner.model
        if self.batch_requests is not False:
            limits = EngineLimits.for_device(device.type, self._runner.workers, self.max_batch_size)
            if self.max_queued_windows is not None:
                limits = replace(limits, max_pending=self.max_queued_windows)
            self._engine = ReaderEngine(self._runner, self.tokenizer.pad_token_id or 0, limits)
        self._verify_margin = 0.0
        if self._runner.can_verify:
            if self.verify_margin is None:
                probe, _ = tokenize_windows(
                    self.tokenizer, [_PROBE_QUESTION], [[Document(content=_PROBE_TEXT)]], self.max_seq_length, 0
                )
                noise = self._runner.span_noise(probe[0].model_inputs())
                self._verify_margin = VERIFY_NOISE_FACTOR * noise
            else:
                self._verify_margin = float(self.verify_margin)

    @property
    def runner(self) -> QAModelRunner:
        """The model runner (the model in its precision, and the kept fp32 one); available after `warm_up`."""
        if self._runner is None:
            raise RuntimeError("the reader is not warmed up; call warm_up() first")
        return self._runner

    @property
    def resolved_verify_margin(self) -> float:
        """The margin in use after `warm_up` (0.0: close calls are not checked, e.g. in fp32)."""
        return self._verify_margin

    @property
    def resolved_cpu_workers(self) -> int | None:
        """How many batches run at once after `warm_up` (1 on GPUs), or `None` before."""
        return self._runner.workers if self._runner is not None else None

    @property
    def resolved_batch_requests(self) -> bool | None:
        """Whether callers' windows go through the shared engine after `warm_up` (see `batch_requests`)."""
        return None if self._runner is None else self._engine is not None

    @property
    def engine(self) -> ReaderEngine | None:
        """The shared engine that batches every caller's windows (after `warm_up`; `None` with `batch_requests`
        off)."""
        return self._engine

    @property
    def resolved_precision(self) -> str | None:
        """The precision the model runs in after `warm_up` (`"fp32"`, `"bf16"` or `"fp16"`); `None` before."""
        return self._runner.precision if self._runner is not None else None

    # ---- model --------------------------------------------------------------------------------------------------

    def _forward(self, windows: list[Window], max_batch_size: int | None, reference: bool = False) -> list[Logits]:
        """
        Runs the model (the kept fp32 one with `reference=True`) over all windows in this thread, without the
        engine (`batch_requests=False`), and returns each window's start and end logits (without padding).

        On CPU only windows of one length share a batch, so no token of padding is computed, and batches run side by
        side on `cpu_workers` threads; on GPUs windows are sorted by length and batched `max_batch_size` at a time,
        padded to the longest of their batch.
        """
        runner = self.runner
        on_cpu = runner.device.type == "cpu"
        lengths = [len(w.input_ids) for w in windows]
        size = max_batch_size or EngineLimits.for_device(runner.device.type, runner.workers, None).max_batch_size
        plan = plan_batches(lengths, size, max_padding=0.0 if on_cpu else float("inf"))
        plan = spread_over_workers(plan, runner.workers)
        batches = batch_arrays(windows, plan, pad_id=self.tokenizer.pad_token_id or 0)
        results: list[Logits] = [(np.empty(0), np.empty(0))] * len(windows)
        for batch_indices, (start, end) in zip(plan, runner.logits_many(batches, reference), strict=True):
            for row, window_index in enumerate(batch_indices):
                n = lengths[window_index]
                results[window_index] = (start[row, :n], end[row, :n])
        return results

    # ---- public API ---------------------------------------------------------------------------------------------

    def answer_batch(
        self,
        queries: list[str],
        documents: list[list[Document]],
        top_k: int | None = None,
        max_seq_length: int | None = None,
        stride: int | None = None,
        max_answer_length: int | None = None,
        answers_per_seq: int | None = None,
        max_batch_size: int | None = None,
        no_answer: bool | None = None,
    ) -> list[list[ExtractedAnswer]]:
        """
        Answers several questions at once, each over its own documents; all their windows go to the engine together.

        Takes the same parameters as `run`, with a list of documents per query. Returns the answers per query.
        """
        if self.model is None:
            self.warm_up()
        top_k = self.top_k if top_k is None else top_k
        max_seq_length = self.max_seq_length if max_seq_length is None else max_seq_length
        stride = self.stride if stride is None else stride
        max_answer_length = self.max_answer_length if max_answer_length is None else max_answer_length
        answers_per_seq = self.answers_per_seq if answers_per_seq is None else answers_per_seq
        max_batch_size = self.max_batch_size if max_batch_size is None else max_batch_size
        no_answer = self.no_answer if no_answer is None else no_answer
        if (
            top_k < 0
            or max_answer_length < 1
            or answers_per_seq < 1
            or (max_batch_size is not None and max_batch_size < 1)
        ):
            raise ValueError("top_k must be >= 0; max_answer_length, answers_per_seq, max_batch_size >= 1")

        truncated = [truncate_query(self.tokenizer, q, self.max_query_length) for q in queries]
        windows, flat_documents = tokenize_windows(self.tokenizer, truncated, documents, max_seq_length, stride)
        window_spans = self._read_windows(windows, max_batch_size, max_answer_length, answers_per_seq)
        candidates: list[dict[tuple[int, int, int], ExtractedAnswer]] = [{} for _ in queries]
        evidence: list[dict[str, float] | None] = [None] * len(queries)
        for window, (null_logit, spans) in zip(windows, window_spans, strict=True):
            q = window.query_index
            evidence[q] = _stronger_evidence(evidence[q], null_logit, spans)
            self._add_candidates(
                candidates[q], queries[q], window, flat_documents[window.document_index], null_logit, spans
            )
        return [
            self._ranked(query, found, found_evidence, top_k, no_answer)
            for query, found, found_evidence in zip(queries, candidates, evidence, strict=True)
        ]

    def _read_windows(
        self, windows: list[Window], max_batch_size: int | None, max_answer_length: int, answers_per_seq: int
    ) -> list[tuple[float, list[Span]]]:
        """Each window's null logit and best spans; close calls are taken from a second run in fp32."""
        search = SpanSearch(max_answer_length, answers_per_seq)
        window_spans = self._spans_of(windows, search, max_batch_size)
        self._count(windows=len(windows))
        if self._verify_margin > 0:
            recheck = close_calls(windows, window_spans, self._verify_margin)
            self._count(rechecked_windows=len(recheck))
            if recheck:
                exact = self._spans_of([windows[i] for i in recheck], search, max_batch_size, reference=True)
                for i, spans in zip(recheck, exact, strict=True):
                    window_spans[i] = spans
        return window_spans

    def _spans_of(
        self, windows: list[Window], search: SpanSearch, max_batch_size: int | None, reference: bool = False
    ) -> list[tuple[float, list[Span]]]:
        """The windows' null logits and best spans: through the shared engine, or in this thread without it."""
        if not windows:
            return []
        if self._engine is not None:
            return self._engine.read(windows, search, reference=reference, max_batch_size=max_batch_size)
        logits = self._forward(windows, max_batch_size, reference=reference)
        return [
            best_spans(start, end, window, search.max_answer_length, search.answers_per_seq)
            for window, (start, end) in zip(windows, logits, strict=True)
        ]

    def _add_candidates(
        self,
        found: dict[tuple[int, int, int], ExtractedAnswer],
        query: str,
        window: Window,
        document: Document,
        null_logit: float,
        spans: list[Span],
    ) -> None:
        """Adds a window's spans to its question's answers; a span seen in an earlier window keeps its best score."""
        text = document.content or ""
        for start_token, end_token, span_logit in spans:
            char_start = window.offsets[start_token][0]
            char_end = window.offsets[end_token][1]
            if char_end <= char_start:
                continue
            key = (window.document_index, char_start, char_end)
            score = sigmoid(self.calibration_factor * span_logit)
            known = found.get(key)
            if known is not None and known.score >= score:
                continue
            context, context_start, context_end = answer_context(text, char_start, char_end, self.context_window)
            found[key] = ExtractedAnswer(
                query=query,
                score=score,
                data=text[char_start:char_end],
                document=document,
                context=context,
                document_offset=ExtractedAnswer.Span(char_start, char_end),
                context_offset=ExtractedAnswer.Span(context_start, context_end),
                meta={"span_logit": span_logit, "null_logit": null_logit, "null_score_diff": null_logit - span_logit},
            )

    @staticmethod
    def _ranked(
        query: str,
        found: dict[tuple[int, int, int], ExtractedAnswer],
        evidence: dict[str, float] | None,
        top_k: int,
        no_answer: bool,
    ) -> list[ExtractedAnswer]:
        """The question's best `top_k` answers, then the no-answer entry carrying the query-level evidence."""
        answers = sorted(found.values(), key=lambda a: a.score, reverse=True)[:top_k]
        if no_answer:
            if evidence is None:
                answers.append(ExtractedAnswer(query=query, score=1.0, data=None, meta={"reason": "no documents"}))
            else:
                answers.append(
                    ExtractedAnswer(query=query, score=sigmoid(evidence["null_score_diff"]), data=None, meta=evidence)
                )
        return answers

    @component.output_types(answers=list[ExtractedAnswer])
    def run(
        self,
        query: str,
        documents: list[Document],
        top_k: int | None = None,
        max_seq_length: int | None = None,
        stride: int | None = None,
        max_answer_length: int | None = None,
        answers_per_seq: int | None = None,
        max_batch_size: int | None = None,
        no_answer: bool | None = None,
    ) -> dict[str, list[ExtractedAnswer]]:
        """
        Extracts answers to the query from the documents.

        Every parameter except `query` and `documents` overrides the value given at initialization for this run;
        `None` keeps that value, and 0 is honoured where it is meaningful (`top_k=0` returns only the no-answer entry).

        :param query: The question.
        :param documents: The documents to search for the answer.
        :param top_k: The maximum number of answers to return, besides the no-answer entry.
        :param max_seq_length: The maximum number of tokens in one window.
        :param stride: The number of tokens neighbouring windows share.
        :param max_answer_length: The longest answer span considered, in tokens.
        :param answers_per_seq: The number of answer candidates taken from each window.
        :param max_batch_size: The most windows fed through the model at once. `None` (default): the engine's
            default for the device, 16 on CPU (where windows of one length go together) and 128 on a GPU.
        :param no_answer: Whether to add the no-answer entry.
        :returns: A dictionary with `answers`: the answers in descending score order, then the no-answer entry
            (`data=None`) whose `meta` holds `null_score_diff`, `null_logit` and `best_span_logit`.
        """
        return {
            "answers": self.answer_batch(
                [query],
                [documents],
                top_k=top_k,
                max_seq_length=max_seq_length,
                stride=stride,
                max_answer_length=max_answer_length,
                answers_per_seq=answers_per_seq,
                max_batch_size=max_batch_size,
                no_answer=no_answer,
            )[0]
        }
