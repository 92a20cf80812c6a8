"""The application object the wrappers call: the checks that come before any model work."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from extractive_qa import Settings
from extractive_qa.http.config import ServeConfig


def _http_error(call: Any) -> Any:
    from fastapi import HTTPException

    with pytest.raises(HTTPException) as caught:
        call()
    return caught.value


def test_served_application_validates_before_working(tmp_path: Path) -> None:
    from extractive_qa.http.application import ServedApplication

    application = ServedApplication(Settings(store_path=tmp_path / "s.json"), ServeConfig(max_documents=2))
    error = _http_error(lambda: application.ask("   "))
    assert error.status_code == 422 and error.detail[0]["loc"] == ["body", "question"]
    error = _http_error(lambda: application.ask("Who?", threshold=float("inf")))
    assert error.status_code == 422 and error.detail[0]["loc"] == ["body", "threshold"]
    error = _http_error(lambda: application.index(["a", "b", "c"]))
    assert error.status_code == 413 and "the limit is 2" in error.detail[0]["msg"]
    error = _http_error(lambda: application.index([{"name": "x", "content": "a"}, {"name": "x", "content": "b"}]))
    assert error.status_code == 422 and "documents[0] and documents[1]" in error.detail[0]["msg"]
    assert not application.qa.model_loaded and application.qa.count_documents() == 0


@pytest.mark.model
def test_a_full_reader_queue_is_503_with_retry_after(shared_model: Path, tmp_path: Path) -> None:
    """The reader engine's queue is bounded (`max_queued_windows`): a question that does not fit gets 503 at once."""
    import threading

    from extractive_qa import QuestionAnswerer
    from extractive_qa.http.application import ServedApplication
    from extractive_qa.testing.paths import DATA_DIR, PIPELINES_DIR

    pipelines = tmp_path / "pipelines"
    pipelines.mkdir()
    for source in PIPELINES_DIR.glob("*.yml"):
        (pipelines / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    query = pipelines / "query.yml"
    query.write_text(
        query.read_text(encoding="utf-8").replace(
            "      precision: auto\n", "      precision: auto\n      max_queued_windows: 20\n"
        ),
        encoding="utf-8",
    )
    settings = Settings(model=str(shared_model), store_path=tmp_path / "store", pipelines_dir=pipelines)
    assert QuestionAnswerer(settings).index([DATA_DIR]).files_read == 35
    application = ServedApplication(settings, ServeConfig())
    application.load()
    reader = application.qa.query_pipeline.get_component("reader")
    assert reader.engine.limits.max_pending == 20
    first: list[Any] = []
    worker = threading.Thread(
        target=lambda: first.append(application.ask("Who ruled the Yuan dynasty?", retriever_top_k=50))
    )
    worker.start()
    refused = None
    for _ in range(200):  # while the first question's 50 windows wait for the model
        if reader.engine.stats["batches"] > 0:
            refused = _http_error(lambda: application.ask("Where is the Amazon rainforest?", retriever_top_k=50))
            break
        threading.Event().wait(0.01)
    worker.join()
    assert refused is not None and refused.status_code == 503
    assert "the reader is busy" in refused.detail and refused.headers["Retry-After"] == "1"
    assert first and first[0].answers  # the first question was answered
    assert application.ask("Where is the Amazon rainforest?", retriever_top_k=5).answers  # room again
