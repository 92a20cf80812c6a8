"""
Fixtures for the tests against a real Elasticsearch node.

The node's URL comes from `EQA_TEST_ELASTICSEARCH_URL` (`scripts/test.sh` starts a node with
`scripts/elasticsearch.sh start` and sets it). Without it, or when nothing answers there, these tests skip with
the reason; when `CI` is set they fail instead, so a CI run cannot pass without them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from extractive_qa import QuestionAnswerer, Settings
from extractive_qa.testing.processes import free_port

URL_VARIABLE = "EQA_TEST_ELASTICSEARCH_URL"
# Read at import: the autouse fixture of tests/conftest.py removes EQA_* variables from every test's environment.
CONFIGURED_URL = os.environ.get(URL_VARIABLE, "").strip().rstrip("/")


def unavailable(reason: str) -> None:
    """Skips the test with `reason`, or fails it when the environment variable `CI` is set."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so the Elasticsearch tests must run)")
    pytest.skip(reason)


def elasticsearch_client(url: str) -> Any:
    from elasticsearch import Elasticsearch

    return Elasticsearch(url, request_timeout=30)


@pytest.fixture(scope="session")
def es_url() -> str:
    """The URL of the test node; skips (fails under CI) when none is configured or it does not answer."""
    if not CONFIGURED_URL:
        unavailable(f"{URL_VARIABLE} is not set (scripts/test.sh starts a local node and sets it)")
    try:
        health = elasticsearch_client(CONFIGURED_URL).cluster.health(wait_for_status="yellow", timeout="10s")
    except Exception as error:
        unavailable(f"no Elasticsearch answers at {CONFIGURED_URL} ({URL_VARIABLE}): {type(error).__name__}")
    if health["status"] not in ("green", "yellow"):
        unavailable(f"Elasticsearch at {CONFIGURED_URL} is {health['status']}")
    return CONFIGURED_URL


@pytest.fixture(scope="session")
def es_client(es_url: str) -> Any:
    return elasticsearch_client(es_url)


def new_index_name() -> str:
    return f"eqa-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def es_index(es_client: Any) -> Iterator[str]:
    """A fresh index name for one test; the index is deleted afterwards."""
    name = new_index_name()
    yield name
    es_client.options(ignore_status=404).indices.delete(index=name)


def closed_port_url() -> str:
    """The URL of a local port nothing listens on."""
    return f"http://127.0.0.1:{free_port()}"


def copy_collection(source: Path, target: Path, copies: int = 1) -> list[Path]:
    """Copies the .txt files of `source` into `target`, `copies` times under different names."""
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for n in range(copies):
        for path in sorted(source.glob("*.txt")):
            name = path.name if copies == 1 else f"{path.stem} ({n + 1}).txt"
            destination = target / name
            destination.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
            written.append(destination)
    return written


def es_answerer(url: str, index: str, tmp_path: Path, **overrides: Any) -> QuestionAnswerer:
    """A QuestionAnswerer on the Elasticsearch index `index` at `url` (its store path unused)."""
    return QuestionAnswerer(
        Settings(
            store="elasticsearch",
            elasticsearch_url=url,
            elasticsearch_index=index,
            store_path=tmp_path / "unused.json",
            **overrides,
        )
    )
