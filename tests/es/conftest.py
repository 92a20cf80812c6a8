"""
Fixtures for the tests against a real Elasticsearch node (the helpers are in `extractive_qa.testing.elasticsearch`).

The node's URL comes from `EQA_TEST_ELASTICSEARCH_URL` (`scripts/test.sh` starts a node with
`scripts/elasticsearch.sh start` and sets it). Without it, or when nothing answers there, these tests skip with
the reason; when `CI` is set they fail instead, so a CI run cannot pass without them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from extractive_qa.testing.elasticsearch import (
    CONFIGURED_URL,
    URL_VARIABLE,
    elasticsearch_client,
    new_index_name,
    unavailable,
)


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


@pytest.fixture
def es_index(es_client: Any) -> Iterator[str]:
    """A fresh index name for one test; the index is deleted afterwards."""
    name = new_index_name()
    yield name
    es_client.options(ignore_status=404).indices.delete(index=name)
