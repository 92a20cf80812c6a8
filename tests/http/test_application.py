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
