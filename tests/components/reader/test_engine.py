"""
The reader's engine with the shared small QA model: windows of concurrent callers share batches, each caller gets its
own answers (the same as alone, to stated float tolerances), a window that fails fails only its caller, and a full
queue says so at once. The span search of a whole batch (the GPU path) is checked against the per-window one on CPU.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import torch
from haystack import Document

from extractive_qa.components.reader import ExtractiveQAReader
from extractive_qa.components.reader.engine import EngineLimits, ReaderBusyError, ReaderEngine, SpanSearch
from extractive_qa.components.reader.spans import best_spans, best_spans_batch
from extractive_qa.components.reader.windows import Window, tokenize_windows

pytestmark = pytest.mark.model

# Scores are sigmoids of span logits: batches of other sizes and compositions sum in another order, and in mixed bf16
# a sum that lands on the other side of a bfloat16 rounding step moves a logit by about 0.01 (a score by < 5e-3).
SCORE_TOLERANCE = 5e-3
LOGIT_TOLERANCE = 0.05


def heldout_items(heldout: dict, count: int) -> list[tuple[str, str]]:
    return [
        (qa["question"], paragraph["context"])
        for article in heldout["data"]
        for paragraph in article["paragraphs"][:3]
        for qa in paragraph["qas"][:2]
    ][:count]


@pytest.fixture(scope="module")
def alone(shared_model: Path) -> ExtractiveQAReader:
    reader = ExtractiveQAReader(model=str(shared_model), batch_requests=False)
    reader.warm_up()
    return reader


@pytest.fixture(scope="module")
def engine_reader(shared_model: Path) -> ExtractiveQAReader:
    reader = ExtractiveQAReader(model=str(shared_model))
    reader.warm_up()
    return reader


def assert_same_answers(got: list, want: list, question: str) -> None:
    assert {a.query for a in got} == {question}  # its own question, not a neighbour's
    assert [a.data for a in got[:3]] == [a.data for a in want[:3]], question
    for mine, theirs in zip(got[:3], want[:3], strict=True):
        assert mine.score == pytest.approx(theirs.score, abs=SCORE_TOLERANCE), question
    assert got[-1].data is None
    assert got[-1].meta["null_score_diff"] == pytest.approx(want[-1].meta["null_score_diff"], abs=LOGIT_TOLERANCE)


def test_concurrent_callers_share_batches_and_each_gets_its_own_answers(
    alone: ExtractiveQAReader, engine_reader: ExtractiveQAReader, heldout: dict
) -> None:
    items = heldout_items(heldout, 24)
    expected = [alone.run(query=q, documents=[Document(content=c)])["answers"] for q, c in items]
    before = dict(engine_reader.engine.stats)
    with ThreadPoolExecutor(8) as pool:
        got = list(
            pool.map(lambda item: engine_reader.run(query=item[0], documents=[Document(content=item[1])]), items)
        )
    for (question, _), want, result in zip(items, expected, got, strict=True):
        assert_same_answers(result["answers"], want, question)
    stats = engine_reader.engine.stats
    windows = stats["windows"] - before["windows"]
    assert windows >= len(items)
    assert stats["batches"] - before["batches"] < windows  # windows of different callers shared batches


def test_callers_with_different_settings_each_get_their_own(
    alone: ExtractiveQAReader, engine_reader: ExtractiveQAReader, heldout: dict
) -> None:
    """Span search follows each caller's settings, though their windows share batches."""
    items = heldout_items(heldout, 12)
    overrides = [{"max_answer_length": 3, "top_k": 2}, {"answers_per_seq": 1, "top_k": 5}, {}]
    jobs = [(q, c, overrides[i % 3]) for i, (q, c) in enumerate(items)]
    expected = [alone.run(query=q, documents=[Document(content=c)], **o)["answers"] for q, c, o in jobs]
    with ThreadPoolExecutor(6) as pool:
        got = list(pool.map(lambda j: engine_reader.run(query=j[0], documents=[Document(content=j[1])], **j[2]), jobs))
    for (question, _, override), want, result in zip(jobs, expected, got, strict=True):
        answers = result["answers"]
        assert len(answers) == len(want), (question, override)
        assert_same_answers(answers, want, question)
        if "max_answer_length" in override:
            assert all(len(a.data.split()) <= 3 for a in answers if a.data), answers


def test_answer_batch_through_the_engine_equals_one_question_at_a_time(
    alone: ExtractiveQAReader, engine_reader: ExtractiveQAReader, heldout: dict
) -> None:
    items = heldout_items(heldout, 10)
    documents = [
        [Document(content=c), Document(content=items[(i + 1) % len(items)][1])] for i, (_, c) in enumerate(items)
    ]
    batched = engine_reader.answer_batch([q for q, _ in items], documents)
    for (question, _), docs, answers in zip(items, documents, batched, strict=True):
        assert_same_answers(answers, alone.run(query=question, documents=docs)["answers"], question)


def broken_window(window: Window) -> Window:
    """A real window whose token ids lie outside the model's vocabulary: its model run raises."""
    return Window(
        window.query_index,
        window.document_index,
        [10**9] * len(window.input_ids),
        window.token_type_ids,
        window.offsets,
        window.sequence_ids,
    )


def test_a_failing_window_fails_only_its_caller(engine_reader: ExtractiveQAReader, heldout: dict) -> None:
    engine = engine_reader.engine
    items = heldout_items(heldout, 6)
    windows, _ = tokenize_windows(
        engine_reader.tokenizer, [q for q, _ in items], [[Document(content=c)] for _, c in items], 384, 128
    )
    same_length = [w for w in windows if len(w.input_ids) == len(windows[0].input_ids)] or windows[:1]
    search = SpanSearch(30, 20)
    expected = engine.read(windows, search)
    bad = broken_window(same_length[0])
    errors: list[BaseException] = []
    results: list[list] = []

    def good_caller() -> None:
        results.append(engine.read(windows, search))

    def bad_caller() -> None:
        try:
            engine.read([bad], search)
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=bad_caller), *(threading.Thread(target=good_caller) for _ in range(3))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(errors) == 1 and isinstance(errors[0], IndexError)
    assert len(results) == 3
    for result in results:
        for (null, spans), (want_null, want_spans) in zip(result, expected, strict=True):
            assert null == pytest.approx(want_null, abs=LOGIT_TOLERANCE)
            assert spans[0][:2] == want_spans[0][:2]


def test_a_full_queue_refuses_at_once(engine_reader: ExtractiveQAReader, heldout: dict) -> None:
    runner = engine_reader.runner
    limits = EngineLimits(max_batch_size=1, max_batch_tokens=4096, max_padding=0.0, max_pending=40, workers=1)
    engine = ReaderEngine(runner, engine_reader.tokenizer.pad_token_id, limits)
    items = heldout_items(heldout, 40)
    windows, _ = tokenize_windows(
        engine_reader.tokenizer, [q for q, _ in items], [[Document(content=c)] for _, c in items], 384, 128
    )
    first = threading.Thread(target=engine.read, args=(windows[:40], SpanSearch(30, 20)))
    first.start()
    while engine.stats["batches"] == 0:  # the first caller's 40 windows are queued; the worker takes one at a time
        time.sleep(0.001)
    started = time.perf_counter()
    with pytest.raises(ReaderBusyError, match="the reader is busy"):  # 40 more do not fit beside those still waiting
        engine.read(windows[:40], SpanSearch(30, 20))
    assert time.perf_counter() - started < 0.5  # refused at once, not after waiting
    first.join()
    assert len(engine.read(windows[:5], SpanSearch(30, 20))) == 5  # room again
    engine.close()


def test_batches_hold_windows_of_one_length_on_cpu_within_the_size_limit(engine_reader: ExtractiveQAReader) -> None:
    limits = EngineLimits(max_batch_size=4, max_batch_tokens=100_000, max_padding=0.0, max_pending=1000, workers=1)
    engine = ReaderEngine(engine_reader.runner, engine_reader.tokenizer.pad_token_id, limits)
    text = "The lighthouse keeper lit the lamp at dusk every evening. " * 3
    windows, _ = tokenize_windows(
        engine_reader.tokenizer, ["Who lit the lamp?"] * 10, [[Document(content=text)]] * 10, 384, 128
    )
    assert len({len(w.input_ids) for w in windows}) == 1
    results = engine.read(windows, SpanSearch(30, 20))
    assert engine.stats["windows"] == 10 and engine.stats["largest_batch"] == 4 and engine.stats["batches"] == 3
    assert len({tuple(spans[0][:2]) for _, spans in results}) == 1  # the same window gives the same answer
    engine.close()


def test_packed_batches_mix_lengths_and_callers_and_keep_each_windows_answer(shared_model: Path) -> None:
    """In mixed bf16 (any CPU runs it, fast or not) a BERT-family model runs packed: windows of different lengths and
    of different callers share one batch, and each window's spans are those it gets alone, to float tolerance."""
    reader = ExtractiveQAReader(model=str(shared_model), precision="bf16", batch_requests=False)
    reader.warm_up()
    assert reader.runner.packs_windows
    limits = EngineLimits(max_batch_size=16, max_batch_tokens=100_000, max_padding=0.0, max_pending=1000, workers=1)
    texts = [
        "The lighthouse keeper lit the lamp at dusk.",
        "The lighthouse keeper, a man named Elias Hart, lit the lamp at dusk every evening for forty years. " * 2,
        "Ships passed the rocks safely because Elias Hart lit the lamp. " * 4,
    ]
    windows, _ = tokenize_windows(
        reader.tokenizer, ["Who lit the lamp?"] * 3, [[Document(content=text)] for text in texts], 384, 128
    )
    assert len({len(w.input_ids) for w in windows}) == 3
    alone = []
    for window in windows:
        engine = ReaderEngine(reader.runner, reader.tokenizer.pad_token_id, limits)
        alone.append(engine.read([window], SpanSearch(30, 20))[0])
        engine.close()
    engine = ReaderEngine(reader.runner, reader.tokenizer.pad_token_id, limits)
    callers = [windows[:1], windows[1:]]  # two callers at once
    with ThreadPoolExecutor(2) as pool:
        together = [spans for part in pool.map(lambda w: engine.read(w, SpanSearch(30, 20)), callers) for spans in part]
    assert engine.stats["windows"] == 3
    for (null_mixed, spans_mixed), (null_alone, spans_alone) in zip(together, alone, strict=True):
        assert null_mixed == pytest.approx(null_alone, abs=LOGIT_TOLERANCE)
        assert spans_mixed[0][:2] == spans_alone[0][:2]  # the same best span, its logit within rounding
        assert spans_mixed[0][2] == pytest.approx(spans_alone[0][2], abs=LOGIT_TOLERANCE)
    # one caller's windows of three lengths: the one worker takes them all in one batch
    engine.close()
    engine = ReaderEngine(reader.runner, reader.tokenizer.pad_token_id, limits)
    engine.read(windows, SpanSearch(30, 20))
    assert engine.stats["batches"] == 1 and engine.stats["largest_batch"] == 3
    engine.close()


def test_the_batch_span_search_finds_what_the_per_window_one_finds(
    engine_reader: ExtractiveQAReader, heldout: dict
) -> None:
    """`best_spans_batch` (the GPU path, here on CPU tensors) against `best_spans` on padded rows of real logits."""
    items = heldout_items(heldout, 8)
    windows, _ = tokenize_windows(
        engine_reader.tokenizer, [q for q, _ in items], [[Document(content=c)] for _, c in items], 384, 128
    )
    width = max(len(w.input_ids) for w in windows)
    start = torch.full((len(windows), width), -3.0)
    end = torch.full((len(windows), width), -3.0)
    searches = [SpanSearch(30, 20), SpanSearch(5, 3)] * (len(windows) // 2) + [SpanSearch(30, 20)] * (len(windows) % 2)
    for row, window in enumerate(windows):
        s, e = engine_reader.runner.logits(window.model_inputs())
        start[row, : len(window.input_ids)] = torch.from_numpy(s[0])
        end[row, : len(window.input_ids)] = torch.from_numpy(e[0])
    batched = best_spans_batch(start, end, windows, searches)
    for row, (window, search) in enumerate(zip(windows, searches, strict=True)):
        n = len(window.input_ids)
        null, spans = best_spans(start[row, :n].numpy(), end[row, :n].numpy(), window, *search)
        got_null, got_spans = batched[row]
        assert got_null == pytest.approx(null, abs=1e-5)
        assert [s[:2] for s in got_spans] == [s[:2] for s in spans]
        assert np.allclose([s[2] for s in got_spans], [s[2] for s in spans], atol=1e-4)
