"""The reader's model runtime: precision resolution, mixed bfloat16, side-by-side batches, close-call rechecks."""

from __future__ import annotations

import copy
import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from haystack import Document, Pipeline

from extractive_qa.components.reader import ExtractiveQAReader, runtime
from extractive_qa.components.reader.runtime import (
    LowPrecisionLinear,
    QAModelRunner,
    mixed_bf16_copy,
    mkldnn_packing_works,
    resolve_precision,
)
from extractive_qa.testing.haystack_major import TRUST_COMPONENTS
from extractive_qa.testing.paths import PIPELINES_DIR
from extractive_qa.testing.sample_texts import TEXTS

# ---- batching -------------------------------------------------------------------------------------------------------


# ---- precision ------------------------------------------------------------------------------------------------------


def test_resolve_precision(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_precision("auto", "cuda") == "fp16"
    assert resolve_precision("bf16", "cuda") == "bf16"
    assert resolve_precision("fp32", "cuda") == "fp32"
    assert resolve_precision("auto", "mps") == "fp32"
    monkeypatch.setattr(runtime, "cpu_has_native_bf16", lambda: True)
    assert resolve_precision("auto", "cpu") == "bf16"
    monkeypatch.setattr(runtime, "cpu_has_native_bf16", lambda: False)
    assert resolve_precision("auto", "cpu") == "fp32"
    assert resolve_precision("bf16", "cpu") == "bf16"  # asked for explicitly: honoured, even where slow
    with pytest.raises(ValueError, match="precision must be one of"):
        resolve_precision("int4", "cpu")


def test_cpu_has_native_bf16_reads_the_cpu_flags() -> None:
    flags = Path("/proc/cpuinfo").read_text(encoding="utf-8").split() if Path("/proc/cpuinfo").exists() else None
    if flags is None:
        pytest.skip("no /proc/cpuinfo to compare with")
    assert runtime.cpu_has_native_bf16() == ("avx512_bf16" in flags or "amx_bf16" in flags)


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


@pytest.mark.skipif(not mkldnn_packing_works(), reason="this PyTorch build cannot pack bfloat16 weights for oneDNN")
def test_packed_low_precision_linear_gives_the_plain_products() -> None:
    torch.manual_seed(0)
    linear = torch.nn.Linear(96, 200)
    plain = LowPrecisionLinear(linear, torch.bfloat16)
    packed = LowPrecisionLinear(linear, torch.bfloat16, packed=True)
    assert packed.packed and "packed=True" in repr(packed)
    for shape in [(1, 96), (3, 17, 96), (2, 300, 96)]:  # other widths than the layout was made for
        x = torch.randn(*shape)
        with torch.inference_mode():
            y, expected = packed(x), plain(x)
        assert y.dtype == torch.bfloat16 and y.shape == expected.shape
        # the same bfloat16 products, summed in fp32 perhaps in another order: within one bfloat16 rounding step
        scale = expected.float().abs().clamp(min=1.0)
        assert bool(((y.float() - expected.float()).abs() <= 2**-7 * scale).all())


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
    converted = [m for m in fast.modules() if isinstance(m, LowPrecisionLinear)]
    assert converted and all(m.packed == mkldnn_packing_works() for m in converted)


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
    from extractive_qa.pipeline_files import read_pipeline_yaml

    data = read_pipeline_yaml(PIPELINES_DIR / "query.yml")
    reader = data["components"]["reader"]
    assert reader["init_parameters"]["precision"] == "auto"
    pipeline = Pipeline.from_dict({"components": {"reader": reader}, "connections": []}, **TRUST_COMPONENTS)
    assert pipeline.get_component("reader").precision == "auto"


# ---- the tiny RoBERTa: byte-level BPE, no token type ids -------------------------------------------------------------


def test_tiny_roberta_bf16_offsets_map_back_to_the_text(tiny_roberta: Path) -> None:
    reader = ExtractiveQAReader(
        model=str(tiny_roberta), precision="bf16", max_seq_length=64, stride=16, max_query_length=24, top_k=50
    )
    reader.warm_up()
    assert reader.resolved_precision == "bf16"
    assert reader.runner.packs_windows  # a RoBERTa in mixed bf16 runs packed: the bfloat16 weights are the encoder's
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


def test_mixed_bf16_runner_runs_padded_rows_at_their_own_length(tiny_roberta: Path) -> None:
    from transformers import AutoModelForQuestionAnswering

    runner = QAModelRunner(AutoModelForQuestionAnswering.from_pretrained(str(tiny_roberta)), "cpu", "bf16")
    assert runner.unpadded_only and runner.packs_windows  # a RoBERTa: run packed
    rows = [[0, 713, 16, 10, 1296, 2, 2, 6179, 2], [0, 99, 98, 2, 2, 97, 2]]
    ids = np.full((2, 9), 1, dtype=np.int64)
    mask = np.zeros_like(ids)
    for r, row in enumerate(rows):
        ids[r, : len(row)] = row
        mask[r, : len(row)] = 1
    start, end = runner.logits({"input_ids": ids, "attention_mask": mask})
    assert np.isneginf(start[1, 7:]).all() and np.isneginf(end[1, 7:]).all()
    # Rows run packed (one token sequence, no padding): each row's logits are its logits alone, up to the order of
    # fp32 sums in the matrix products (a different blocking), well below one bf16 step of a logit.
    for r, row in enumerate(rows):
        alone_start, alone_end = runner.logits({"input_ids": [row]})
        np.testing.assert_allclose(start[r, : len(row)], alone_start[0], rtol=0, atol=1e-4)
        np.testing.assert_allclose(end[r, : len(row)], alone_end[0], rtol=0, atol=1e-4)


def test_mixed_bf16_runner_runs_other_models_row_by_row_at_their_own_length() -> None:
    """A model the packed encoder does not take (DistilBERT) runs a padded batch row by row, each row exactly as it
    runs alone; an all-padding row gets -inf."""
    from transformers import DistilBertConfig, DistilBertForQuestionAnswering

    torch.manual_seed(0)
    config = DistilBertConfig(vocab_size=100, dim=32, n_layers=1, n_heads=2, hidden_dim=64)
    runner = QAModelRunner(DistilBertForQuestionAnswering(config).eval(), "cpu", "bf16")
    assert runner.unpadded_only and not runner.packs_windows
    rows = [[1, 5, 6, 7, 2], [1, 9, 2], []]
    ids = np.zeros((3, 5), dtype=np.int64)
    mask = np.zeros_like(ids)
    for r, row in enumerate(rows):
        ids[r, : len(row)] = row
        mask[r, : len(row)] = 1
    start, end = runner.logits({"input_ids": ids, "attention_mask": mask})
    assert np.isneginf(start[1, 3:]).all() and np.isneginf(start[2]).all() and np.isneginf(end[2]).all()
    for r, row in enumerate(rows[:2]):
        alone_start, alone_end = runner.logits({"input_ids": [row]})
        np.testing.assert_array_equal(start[r, : len(row)], alone_start[0])
        np.testing.assert_array_equal(end[r, : len(row)], alone_end[0])


def test_verified_close_calls_give_the_fp32_answers(tiny_roberta: Path) -> None:
    """With a margin that makes every question a close call, bf16 + verification answers exactly as fp32 does."""
    settings = {"model": str(tiny_roberta), "max_seq_length": 64, "stride": 16, "max_query_length": 24}
    exact = ExtractiveQAReader(precision="fp32", **settings)
    checked = ExtractiveQAReader(precision="bf16", verify_margin=1e9, **settings)
    unchecked = ExtractiveQAReader(precision="bf16", verify_margin=0, **settings)
    for reader in (exact, checked, unchecked):
        reader.warm_up()
    assert checked.resolved_verify_margin == 1e9 and checked.runner.can_verify
    assert unchecked.resolved_verify_margin == 0.0 and not unchecked.runner.can_verify
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
    assert reader.runner.can_verify
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
    ran_on: set[threading.Thread] = set()  # the threads that ran the parallel runner's model
    parallel.model.base_model.embeddings.register_forward_hook(lambda *_: ran_on.add(threading.current_thread()))
    got = parallel.logits_many(batches)
    assert ran_on and threading.current_thread() not in ran_on  # the batches did run on the workers
    assert torch.get_num_threads() == threads  # the workers' own thread setting does not leak to the caller
    for (s1, e1), (s2, e2), batch in zip(expected, got, batches, strict=True):
        assert s2.shape == batch["input_ids"].shape
        np.testing.assert_allclose(s1, s2, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(e1, e2, rtol=1e-5, atol=1e-6)
    parallel.close()
    assert not any(thread.is_alive() for thread in ran_on)  # close stops the workers


def test_runner_workers_setting(tiny_roberta: Path) -> None:
    from transformers import AutoModelForQuestionAnswering

    model = AutoModelForQuestionAnswering.from_pretrained(str(tiny_roberta))
    assert QAModelRunner(model, "cpu", "fp32", workers=None).workers == torch.get_num_threads()
    assert QAModelRunner(model, "meta", "fp32", workers=4).workers == 1  # not a CPU: one batch at a time
    with pytest.raises(ValueError, match="workers"):
        QAModelRunner(model, "cpu", "fp32", workers=0)
    one = QAModelRunner(model, "cpu", "fp32", workers=3)
    ran_on: list[threading.Thread] = []
    one.model.base_model.embeddings.register_forward_hook(lambda *_: ran_on.append(threading.current_thread()))
    one.logits_many([{"input_ids": [[0, 713, 16, 2]]}])
    assert ran_on == [threading.current_thread()]  # a single batch runs on the caller's thread


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
