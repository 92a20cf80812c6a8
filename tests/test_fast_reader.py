"""The fast reader path: precision resolution, padding-free batching, mixed bfloat16, and its accuracy guard."""

from __future__ import annotations

import copy
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from haystack import Document, Pipeline

from components import reader_backends
from components.reader import ExtractiveQAReader, _Window
from components.reader_backends import (
    LowPrecisionLinear,
    QAModelRunner,
    mixed_bf16_copy,
    plan_batches,
    resolve_precision,
)

ROOT = Path(__file__).resolve().parent.parent

# ---- batching -------------------------------------------------------------------------------------------------------


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


# ---- precision ------------------------------------------------------------------------------------------------------


def test_resolve_precision(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_precision("auto", "cuda") == "fp16"
    assert resolve_precision("bf16", "cuda") == "bf16"
    assert resolve_precision("fp32", "cuda") == "fp32"
    assert resolve_precision("auto", "mps") == "fp32"
    monkeypatch.setattr(reader_backends, "cpu_has_native_bf16", lambda: True)
    assert resolve_precision("auto", "cpu") == "bf16"
    monkeypatch.setattr(reader_backends, "cpu_has_native_bf16", lambda: False)
    assert resolve_precision("auto", "cpu") == "fp32"
    assert resolve_precision("bf16", "cpu") == "bf16"  # asked for explicitly: honoured, even where slow
    with pytest.raises(ValueError, match="precision must be one of"):
        resolve_precision("int4", "cpu")


def test_cpu_has_native_bf16_reads_the_cpu_flags() -> None:
    flags = Path("/proc/cpuinfo").read_text(encoding="utf-8").split() if Path("/proc/cpuinfo").exists() else None
    if flags is None:
        pytest.skip("no /proc/cpuinfo to compare with")
    assert reader_backends.cpu_has_native_bf16() == ("avx512_bf16" in flags or "amx_bf16" in flags)


def test_low_precision_linear_matches_the_full_precision_layer() -> None:
    torch.manual_seed(0)
    linear = torch.nn.Linear(64, 32)
    low = LowPrecisionLinear(linear, torch.bfloat16)
    x = torch.randn(5, 64)
    y = low(x)
    assert y.dtype == torch.bfloat16
    assert low.weight.dtype == torch.bfloat16 and not low.weight.requires_grad
    expected = linear(x)
    assert torch.allclose(y.float(), expected, atol=0.05), (y.float() - expected).abs().max()


def test_mixed_bf16_copy_shares_all_but_the_linear_layers(tiny_roberta: Path) -> None:
    from transformers import AutoModelForQuestionAnswering

    model = AutoModelForQuestionAnswering.from_pretrained(str(tiny_roberta))
    linear_before = sum(isinstance(m, torch.nn.Linear) for m in model.modules())
    fast = mixed_bf16_copy(model)
    assert sum(isinstance(m, torch.nn.Linear) for m in model.modules()) == linear_before  # the original is intact
    assert sum(isinstance(m, torch.nn.Linear) for m in fast.modules()) == 1  # only the span head
    assert fast.qa_outputs.weight is model.qa_outputs.weight
    embeddings = model.roberta.embeddings.word_embeddings.weight
    assert fast.roberta.embeddings.word_embeddings.weight is embeddings
    fast.set_attn_implementation("eager")
    assert model.config._attn_implementation != "eager"


def test_reader_validates_and_serializes_precision() -> None:
    with pytest.raises(ValueError, match="precision"):
        ExtractiveQAReader(model="some/model", precision="int8")
    reader = ExtractiveQAReader(model="some/model", precision="bf16")
    data = reader.to_dict()
    assert data["init_parameters"]["precision"] == "bf16"
    again = ExtractiveQAReader.from_dict(copy.deepcopy(data))
    assert again.precision == "bf16"
    assert again.to_dict() == data
    assert ExtractiveQAReader(model="some/model").to_dict()["init_parameters"]["precision"] == "auto"
    assert data["init_parameters"]["verify_margin"] is None
    assert (
        ExtractiveQAReader(model="some/model", verify_margin=0.5).to_dict()["init_parameters"]["verify_margin"] == 0.5
    )
    with pytest.raises(ValueError, match="verify_margin"):
        ExtractiveQAReader(model="some/model", verify_margin=-1.0)


def test_query_pipeline_yaml_sets_the_precision() -> None:
    from extractive_qa.pipelines import read_pipeline_yaml

    data = read_pipeline_yaml(ROOT / "pipelines" / "query.yml")
    reader = data["components"]["reader"]
    assert reader["init_parameters"]["precision"] == "auto"
    pipeline = Pipeline.from_dict({"components": {"reader": reader}, "connections": []})
    assert pipeline.get_component("reader").precision == "auto"


# ---- the tiny RoBERTa: byte-level BPE, no token type ids -------------------------------------------------------------

TEXTS = [
    "The Normans were the people who in the 10th and 11th centuries gave their name to Normandy, a region in France.",
    "Rollo, a Viking leader, agreed to swear fealty to King Charles III of West Francia in 911.",
    "Short text.",
    "The Duchy of Normandy, which they formed by treaty with the French crown, was a great fief of medieval France. "
    * 6,
]


def test_tiny_roberta_bf16_offsets_map_back_to_the_text(tiny_roberta: Path) -> None:
    reader = ExtractiveQAReader(
        model=str(tiny_roberta), precision="bf16", max_seq_length=64, stride=16, max_query_length=24, top_k=50
    )
    reader.warm_up()
    assert reader.resolved_precision == "bf16"
    assert any(isinstance(m, LowPrecisionLinear) for m in reader.model.modules())
    assert reader.model.qa_outputs.weight.dtype == torch.float32
    docs = [Document(content=t) for t in TEXTS]
    answers = reader.run(query="Who gave their name to Normandy?", documents=docs)["answers"]
    spans = [a for a in answers if a.data is not None]
    assert spans
    for answer in spans:
        text = answer.document.content
        assert text[answer.document_offset.start : answer.document_offset.end] == answer.data
        assert answer.context[answer.context_offset.start : answer.context_offset.end] == answer.data
        assert np.isfinite(answer.meta["span_logit"])
    assert answers[-1].data is None and np.isfinite(answers[-1].meta["null_score_diff"])


def test_padding_free_batches_give_the_padded_logits(tiny_roberta: Path) -> None:
    """Windows of different lengths, run without padding, get the logits they get in one padded batch (fp32)."""
    reader = ExtractiveQAReader(
        model=str(tiny_roberta), precision="fp32", max_seq_length=64, stride=16, max_query_length=24
    )
    reader.warm_up()
    windows, _ = reader._windows(["Who ruled Normandy?"] * len(TEXTS), [[Document(content=t)] for t in TEXTS], 64, 16)
    assert len({len(w.input_ids) for w in windows}) > 2
    unpadded = reader._forward(windows, max_batch_size=16)
    width = max(len(w.input_ids) for w in windows)
    ids = np.full((len(windows), width), reader.tokenizer.pad_token_id, dtype=np.int64)
    mask = np.zeros_like(ids)
    for row, window in enumerate(windows):
        ids[row, : len(window.input_ids)] = window.input_ids
        mask[row, : len(window.input_ids)] = 1
    start, end = reader._runner.logits({"input_ids": ids, "attention_mask": mask})
    for row, (s, e) in enumerate(unpadded):
        n = len(windows[row].input_ids)
        assert s.shape == (n,)
        np.testing.assert_allclose(s, start[row, :n], atol=1e-4)
        np.testing.assert_allclose(e, end[row, :n], atol=1e-4)


def test_mixed_bf16_runner_runs_padded_rows_at_their_own_length(tiny_roberta: Path) -> None:
    from transformers import AutoModelForQuestionAnswering

    runner = QAModelRunner(AutoModelForQuestionAnswering.from_pretrained(str(tiny_roberta)), "cpu", "bf16")
    assert runner.unpadded_only
    assert runner.model.config._attn_implementation == "eager"
    rows = [[0, 713, 16, 10, 1296, 2, 2, 6179, 2], [0, 99, 98, 2, 2, 97, 2]]
    ids = np.full((2, 9), 1, dtype=np.int64)
    mask = np.zeros_like(ids)
    for r, row in enumerate(rows):
        ids[r, : len(row)] = row
        mask[r, : len(row)] = 1
    start, end = runner.logits({"input_ids": ids, "attention_mask": mask})
    assert np.isneginf(start[1, 7:]).all() and np.isneginf(end[1, 7:]).all()
    for r, row in enumerate(rows):
        alone_start, alone_end = runner.logits({"input_ids": [row]})
        np.testing.assert_array_equal(start[r, : len(row)], alone_start[0])
        np.testing.assert_array_equal(end[r, : len(row)], alone_end[0])


def _window(query_index: int, document_index: int, n: int = 8) -> _Window:
    # token i covers characters [10 i, 10 i + 5)
    return _Window(query_index, document_index, [0] * n, None, [(10 * i, 10 * i + 5) for i in range(n)], [1] * n)


def test_close_calls_picks_the_windows_holding_near_ties() -> None:
    windows = [_window(0, 0), _window(0, 1), _window(0, 2), _window(1, 3), _window(1, 4)]
    spans = [
        (0.0, [(1, 2, 5.00), (3, 3, 1.0)]),  # question 0: best span
        (0.0, [(2, 2, 4.98)]),  # question 0: within 0.05 of the best -> both rechecked
        (0.0, [(4, 5, 4.50)]),  # question 0: far below -> kept
        (0.0, [(1, 1, 7.0), (1, 2, 6.0)]),  # question 1: clear winner -> nothing to check
        (0.0, []),
    ]
    assert ExtractiveQAReader._close_calls(windows, spans, margin=0.05) == [0, 1]
    assert ExtractiveQAReader._close_calls(windows, spans, margin=0.6) == [0, 1, 2]
    assert ExtractiveQAReader._close_calls(windows, spans, margin=1.5) == [0, 1, 2, 3]
    # the same span seen in two overlapping windows is one answer, not a near tie with itself
    same = [_window(0, 0), _window(0, 0)]
    assert ExtractiveQAReader._close_calls(same, [(0.0, [(1, 2, 3.0)]), (0.0, [(1, 2, 3.01)])], margin=0.05) == []


def test_verified_close_calls_give_the_fp32_answers(tiny_roberta: Path) -> None:
    """With a margin that makes every question a close call, bf16 + verification answers exactly as fp32 does."""
    settings = {"model": str(tiny_roberta), "max_seq_length": 64, "stride": 16, "max_query_length": 24}
    exact = ExtractiveQAReader(precision="fp32", **settings)
    checked = ExtractiveQAReader(precision="bf16", verify_margin=1e9, **settings)
    unchecked = ExtractiveQAReader(precision="bf16", verify_margin=0, **settings)
    for reader in (exact, checked, unchecked):
        reader.warm_up()
    assert checked.resolved_verify_margin == 1e9 and checked._runner.can_verify
    assert unchecked.resolved_verify_margin == 0.0 and not unchecked._runner.can_verify
    queries = ["Who gave their name to Normandy?", "When did Rollo swear fealty?", "What was Normandy?"]
    documents = [[Document(content=t) for t in TEXTS]] * len(queries)
    for a, b in zip(exact.answer_batch(queries, documents), checked.answer_batch(queries, documents), strict=True):
        best_a = next(x for x in a if x.data is not None)
        best_b = next(x for x in b if x.data is not None)
        assert (best_a.document_offset, best_a.data) == (best_b.document_offset, best_b.data)
        assert best_b.meta["span_logit"] == pytest.approx(best_a.meta["span_logit"], abs=1e-4)


def test_auto_verify_margin_is_measured_from_bf16_noise(tiny_roberta: Path) -> None:
    reader = ExtractiveQAReader(model=str(tiny_roberta), precision="bf16")
    reader.warm_up()
    assert reader._runner.can_verify
    # tiny random weights give tiny logits, hence a tiny but nonzero noise
    assert 0 < reader.resolved_verify_margin < 0.1
    assert ExtractiveQAReader(model=str(tiny_roberta), precision="fp32").resolved_verify_margin == 0.0


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_batches_side_by_side_give_the_same_logits(tiny_roberta: Path, precision: str) -> None:
    """Two workers, each on one thread, give what one batch after the other gives (on all threads: a matrix product
    split over threads may sum in another order, so fp32 agrees to rounding)."""
    from transformers import AutoModelForQuestionAnswering

    model = AutoModelForQuestionAnswering.from_pretrained(str(tiny_roberta))
    serial = QAModelRunner(model, "cpu", precision, workers=1)
    parallel = QAModelRunner(model, "cpu", precision, workers=2)
    rng = np.random.default_rng(0)
    batches = [{"input_ids": rng.integers(5, 200, size=(rows, n))} for rows, n in [(1, 9), (3, 40), (2, 17), (1, 60)]]
    threads = torch.get_num_threads()
    expected = serial.logits_many(batches)
    got = parallel.logits_many(batches)
    assert parallel._pool is not None  # the batches did run on the workers
    assert torch.get_num_threads() == threads  # the workers' own thread setting does not leak to the caller
    for (s1, e1), (s2, e2), batch in zip(expected, got, batches, strict=True):
        assert s2.shape == batch["input_ids"].shape
        np.testing.assert_allclose(s1, s2, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(e1, e2, rtol=1e-5, atol=1e-6)
    parallel.close()
    assert parallel._pool is None


def test_runner_workers_setting(tiny_roberta: Path) -> None:
    from transformers import AutoModelForQuestionAnswering

    model = AutoModelForQuestionAnswering.from_pretrained(str(tiny_roberta))
    assert QAModelRunner(model, "cpu", "fp32", workers=None).workers == torch.get_num_threads()
    assert QAModelRunner(model, "meta", "fp32", workers=4).workers == 1  # not a CPU: one batch at a time
    with pytest.raises(ValueError, match="workers"):
        QAModelRunner(model, "cpu", "fp32", workers=0)
    one = QAModelRunner(model, "cpu", "fp32", workers=3)
    one.logits_many([{"input_ids": [[0, 713, 16, 2]]}])  # a single batch runs on the caller's thread
    assert one._pool is None


def test_reader_answers_do_not_depend_on_cpu_workers(tiny_roberta: Path) -> None:
    settings = {"model": str(tiny_roberta), "max_seq_length": 64, "stride": 16, "max_query_length": 24, "top_k": 50}
    readers = [ExtractiveQAReader(precision="bf16", cpu_workers=n, **settings) for n in (1, 2)]
    for reader in readers:
        reader.warm_up()
    assert [r.resolved_cpu_workers for r in readers] == [1, 2]
    queries = ["Who gave their name to Normandy?", "When did Rollo swear fealty?"]
    documents = [[Document(content=t) for t in TEXTS]] * len(queries)
    one, two = (reader.answer_batch(queries, documents) for reader in readers)
    for a, b in zip(one, two, strict=True):
        assert [(x.data, x.document_offset) for x in a] == [(x.data, x.document_offset) for x in b]
        for x, y in zip(a, b, strict=True):
            assert x.meta == pytest.approx(y.meta, rel=1e-5, abs=1e-5)
    assert readers[1].stats == readers[0].stats
    data = readers[1].to_dict()
    assert data["init_parameters"]["cpu_workers"] == 2
    assert ExtractiveQAReader.from_dict(data).cpu_workers == 2
    with pytest.raises(ValueError, match="cpu_workers"):
        ExtractiveQAReader(model="some/model", cpu_workers=0)


def test_runner_rejects_unresolved_precision(tiny_roberta: Path) -> None:
    from transformers import AutoModelForQuestionAnswering

    model = AutoModelForQuestionAnswering.from_pretrained(str(tiny_roberta))
    with pytest.raises(ValueError, match="resolve 'auto'"):
        QAModelRunner(model, "cpu", "auto")


# ---- the accuracy guard, on the shared real model -------------------------------------------------------------------

GUARD_QUESTIONS = 40
GUARD_MIN_AGREEMENT = 39  # of 40 (97.5%); benchmarks/reader_accuracy_guard.py measures all 5,566 questions


@pytest.mark.model
def test_bf16_keeps_the_fp32_answers_on_held_out_questions(shared_model: Path, heldout: dict) -> None:
    """Reader mode (each question with its own paragraph): bf16's best span is fp32's on >= 39 of 40 questions."""
    items = [
        (qa["question"], paragraph["context"])
        for article in heldout["data"]
        for paragraph in article["paragraphs"]
        for qa in paragraph["qas"]
    ]
    step = len(items) // GUARD_QUESTIONS
    sample = items[::step][:GUARD_QUESTIONS]
    queries = [q for q, _ in sample]
    documents = [[Document(content=c)] for _, c in sample]
    results = {}
    for precision in ("fp32", "bf16"):
        reader = ExtractiveQAReader(model=str(shared_model), precision=precision)
        reader.warm_up()
        assert reader.resolved_precision == precision
        results[precision] = reader.answer_batch(queries, documents)

    def best(answers: list) -> tuple[int, int] | None:
        spans = [a for a in answers if a.data is not None]
        return (spans[0].document_offset.start, spans[0].document_offset.end) if spans else None

    agree = sum(best(a) == best(b) for a, b in zip(results["fp32"], results["bf16"], strict=True))
    assert agree >= GUARD_MIN_AGREEMENT, f"bf16 kept fp32's best span on only {agree} of {GUARD_QUESTIONS} questions"
    # the no-answer evidence moves by rounding only
    diffs = [
        abs(a[-1].meta["null_score_diff"] - b[-1].meta["null_score_diff"])
        for a, b in zip(results["fp32"], results["bf16"], strict=True)
    ]
    assert float(np.median(diffs)) < 0.2, diffs
