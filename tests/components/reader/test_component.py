"""ExtractiveQAReader with real weights: the shared small BERT model and a tiny random RoBERTa."""

from __future__ import annotations

from pathlib import Path

import pytest
from haystack import Document, Pipeline
from haystack.utils import ComponentDevice, Secret

from extractive_qa.components.reader import ExtractiveQAReader
from extractive_qa.components.reader.windows import truncate_query
from extractive_qa.testing.haystack_major import TRUST_COMPONENTS

SOCAL = (
    "Southern California, often abbreviated SoCal, is a geographic and cultural region that generally comprises "
    'California\'s southernmost 10 counties. The region is traditionally described as "eight counties", based on '
    "demographics and economic ties: Imperial, Los Angeles, Orange, Riverside, San Bernardino, San Diego, Santa "
    "Barbara, and Ventura."
)


def test_yaml_round_trip_keeps_every_setting() -> None:
    reader = ExtractiveQAReader(
        model="some/model",
        device=ComponentDevice.from_str("cpu"),
        token=Secret.from_env_var("MY_TOKEN", strict=False),
        top_k=7,
        max_seq_length=256,
        stride=64,
        max_query_length=32,
        max_answer_length=12,
        answers_per_seq=5,
        max_batch_size=4,
        calibration_factor=0.2,
        context_window=40,
        no_answer=False,
        model_kwargs={"torch_dtype": "torch.float32"},
        precision="fp32",
        verify_margin=0.5,
        cpu_workers=1,
        batch_requests=False,
    )
    pipeline = Pipeline()
    pipeline.add_component("reader", reader)
    loaded = Pipeline.loads(pipeline.dumps(), **TRUST_COMPONENTS)
    assert loaded.dumps() == pipeline.dumps()
    again = loaded.get_component("reader")
    assert again.to_dict() == reader.to_dict()
    assert again.max_answer_length == 12 and again.no_answer is False and again.context_window == 40
    assert again.batch_requests is False and again.max_batch_size == 4


def test_a_yaml_of_an_earlier_version_still_loads(caplog: pytest.LogCaptureFixture) -> None:
    """`batch_wait_ms` and `max_batch_questions` batched questions; the engine batches windows: they are dropped."""
    data = ExtractiveQAReader(model="x").to_dict()
    data["init_parameters"].update(batch_wait_ms=2.0, max_batch_questions=16)
    reader = ExtractiveQAReader.from_dict(data)
    assert reader.to_dict() == ExtractiveQAReader(model="x").to_dict()
    assert "no longer used" in caplog.text


@pytest.mark.parametrize(
    "kwargs",
    [
        {"top_k": 0},
        {"max_answer_length": 0},
        {"max_seq_length": 128, "stride": 64, "max_query_length": 64},
        {"max_batch_size": 0},
        {"cpu_workers": 0},
    ],
)
def test_invalid_settings_are_rejected(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        ExtractiveQAReader(model="x", **kwargs)


def test_missing_model_directory_is_a_clear_error(tmp_path: Path) -> None:
    reader = ExtractiveQAReader(model=str(tmp_path / "no-such-model"))
    with pytest.raises(FileNotFoundError, match="model directory not found"):
        reader.warm_up()


def test_windows_go_through_the_shared_engine_by_default(shared_model: Path) -> None:
    reader = ExtractiveQAReader(model=str(shared_model), device=ComponentDevice.from_str("cpu"))
    assert reader.batch_requests is None and reader.resolved_batch_requests is None
    reader.warm_up()
    assert reader.resolved_batch_requests is True and reader.engine is not None
    answers = reader.run(query="What is SoCal short for?", documents=[Document(content=SOCAL)])["answers"]
    assert answers[0].data and reader.engine.stats["windows"] == reader.stats["windows"] > 0


@pytest.fixture(scope="module")
def small_reader(shared_model: Path) -> ExtractiveQAReader:
    reader = ExtractiveQAReader(model=str(shared_model))
    reader.warm_up()
    return reader


def test_answers_with_null_evidence_and_context(small_reader: ExtractiveQAReader) -> None:
    doc = Document(content=SOCAL)
    answers = small_reader.run(query="What is Southern California often abbreviated as?", documents=[doc])["answers"]
    best, no_answer = answers[0], answers[-1]
    assert best.data == "SoCal"
    assert SOCAL[best.document_offset.start : best.document_offset.end] == "SoCal"
    assert best.context[best.context_offset.start : best.context_offset.end] == "SoCal"
    assert best.meta["null_score_diff"] == pytest.approx(best.meta["null_logit"] - best.meta["span_logit"])
    assert no_answer.data is None and no_answer.meta["null_score_diff"] < 0 and no_answer.score < 0.5
    scores = [a.score for a in answers[:-1]]
    assert scores == sorted(scores, reverse=True)


def test_run_time_overrides_honour_zero(small_reader: ExtractiveQAReader) -> None:
    doc = Document(content=SOCAL)
    answers = small_reader.run(query="What is SoCal?", documents=[doc], top_k=0)["answers"]
    assert [a.data for a in answers] == [None]
    assert small_reader.run(query="What is SoCal?", documents=[doc], top_k=2, no_answer=False)["answers"][-1].data


def test_max_answer_length_limits_spans_in_tokens(small_reader: ExtractiveQAReader) -> None:
    doc = Document(content=SOCAL)
    answers = small_reader.run(query="Which counties?", documents=[doc], max_answer_length=2, no_answer=False)
    for answer in answers["answers"]:
        tokens = small_reader.tokenizer(answer.data, add_special_tokens=False)["input_ids"]
        assert len(tokens) <= 2, answer.data


def test_long_questions_are_cut_to_max_query_length(small_reader: ExtractiveQAReader) -> None:
    question = "What is Southern California often abbreviated as? " + "please " * 5000
    cut = truncate_query(small_reader.tokenizer, question, small_reader.max_query_length)
    count = len(small_reader.tokenizer(cut, add_special_tokens=False)["input_ids"])
    assert question.startswith(cut) and count <= small_reader.max_query_length
    long_answers = small_reader.run(query=question, documents=[Document(content=SOCAL)])["answers"]
    cut_answers = small_reader.run(query=cut, documents=[Document(content=SOCAL)])["answers"]
    # the long question is read as its cut: the same spans with the same scores (float tolerance: 1e-5)
    assert [a.data for a in long_answers] == [a.data for a in cut_answers]
    assert [a.score for a in long_answers] == pytest.approx([a.score for a in cut_answers], abs=1e-5)


def test_empty_documents_and_no_documents(small_reader: ExtractiveQAReader) -> None:
    assert [a.data for a in small_reader.run(query="q?", documents=[])["answers"]] == [None]
    answers = small_reader.run(query="q?", documents=[Document(content="   "), Document(content=None)])["answers"]
    assert [a.data for a in answers] == [None]
    assert answers[0].meta["reason"] == "no documents"


def test_batch_answers_match_single_answers(small_reader: ExtractiveQAReader) -> None:
    docs = [Document(content=SOCAL), Document(content="Paris is the capital and most populous city of France.")]
    questions = ["What is Southern California often abbreviated as?", "What is the capital of France?"]
    batch = small_reader.answer_batch(questions, [[docs[0]], [docs[1]]])
    for question, doc, answers in zip(questions, docs, batch, strict=True):
        single = small_reader.run(query=question, documents=[doc])["answers"]
        # The same spans with the same scores, to float rounding: in a batch the model's products run over other
        # shapes (and in bf16 on CPUs that have it), which moves span logits by ~0.05 at most; a score is
        # sigmoid(0.1 * logit), so it moves by well under 2e-3. Near-equal scores may swap places, so compare by span.
        assert answers[0].data == single[0].data
        batch_scores = {(a.data, a.document_offset.start if a.document_offset else None): a.score for a in answers}
        single_scores = {(a.data, a.document_offset.start if a.document_offset else None): a.score for a in single}
        shared = batch_scores.keys() & single_scores.keys()
        assert len(shared) >= len(single_scores) - 2  # at most the last places differ, where near-ties are cut
        for key in shared:
            assert batch_scores[key] == pytest.approx(single_scores[key], abs=2e-3), key


def test_roberta_offsets_map_back_to_the_exact_text(tiny_roberta: Path) -> None:
    """Byte-level BPE (no token type ids): every span, in every window of a long text, is exact document text."""
    reader = ExtractiveQAReader(model=str(tiny_roberta), max_seq_length=64, stride=16, max_query_length=16)
    reader.warm_up()
    text = " ".join([SOCAL, "Café naïve — “quoted” text, 10,000 km² and emoji 🙂 here."] * 4)
    docs = [Document(content=text), Document(content="  leading and trailing spaces  ")]
    answers = reader.run(query="Which region is SoCal?", documents=docs, top_k=200, no_answer=False)["answers"]
    assert len(answers) > 50
    windows = set()
    for answer in answers:
        content = answer.document.content
        start, end = answer.document_offset.start, answer.document_offset.end
        assert content[start:end] == answer.data
        assert answer.data == answer.data.strip() and answer.data
        assert answer.context[answer.context_offset.start : answer.context_offset.end] == answer.data
        windows.add(start // 100)
    assert len(windows) > 3  # answers come from all over the long text, not only the first window
