"""
What the tests against a real Elasticsearch node share: the node's URL (`EQA_TEST_ELASTICSEARCH_URL`, read when this
module is imported), a client, fresh index names, a URL where nothing listens, a `QuestionAnswerer` on an index.

Without a configured or answering node the tests skip with the reason (`unavailable`); when the environment
variable `CI` is set they fail instead, so a CI run cannot pass without them. `scripts/elasticsearch.sh start`
starts a local node.

Usage example:
```python
from pathlib import Path

from extractive_qa.testing.elasticsearch import CONFIGURED_URL, es_answerer, new_index_name

qa = es_answerer(CONFIGURED_URL, new_index_name(), Path("work"))
print(qa.count_documents())
```
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

from extractive_qa import QuestionAnswerer, Settings
from extractive_qa.testing.processes import free_port

URL_VARIABLE = "EQA_TEST_ELASTICSEARCH_URL"
# Read at import: the autouse fixture of tests/conftest.py removes EQA_* variables from every test's environment.
CONFIGURED_URL = os.environ.get(URL_VARIABLE, "").strip().rstrip("/")


def unavailable(reason: str) -> None:
    """Skips the running pytest test with `reason`, or fails it when the environment variable `CI` is set."""
    import pytest  # only ever called from a test

    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so the Elasticsearch tests must run)")
    pytest.skip(reason)


def elasticsearch_client(url: str) -> Any:
    """An `elasticsearch.Elasticsearch` client for `url`, with a 30 s request timeout."""
    from elasticsearch import Elasticsearch

    return Elasticsearch(url, request_timeout=30)


def new_index_name() -> str:
    """A fresh index name no other test uses."""
    return f"eqa-test-{uuid.uuid4().hex[:12]}"


def closed_port_url() -> str:
    """The URL of a local port nothing listens on."""
    return f"http://127.0.0.1:{free_port()}"


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
