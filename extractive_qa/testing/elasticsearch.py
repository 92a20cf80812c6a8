"""
What the tests against a real Elasticsearch node share: the node's URL (`EQA_TEST_ELASTICSEARCH_URL`, read when this
module is imported), a client, fresh index names, a URL where nothing listens, a `QuestionAnswerer` on an index, and
a `RecordingProxy` in front of the node that keeps the headers of every request (what the application sends).

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

import http.client
import os
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

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


class RecordingProxy:
    """
    A proxy on a free port of 127.0.0.1 that forwards every request to `target` (an Elasticsearch node) and keeps
    each request's headers in `headers` (names in lower case), in order: use `url` where the application takes the
    node's URL.

    ```python
    with RecordingProxy(CONFIGURED_URL) as proxy:
        es_answerer(proxy.url, new_index_name(), Path("work")).count_documents()
    print(proxy.headers[0].get("authorization"))
    ```
    """

    #: Hop-by-hop headers that are the proxy's own business, not forwarded either way.
    HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "host", "content-length"})

    def __init__(self, target: str) -> None:
        self.target = urlsplit(target)
        self.headers: list[dict[str, str]] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                sent = {k: v for k, v in self.headers.items() if k.lower() not in proxy.HOP_BY_HOP}
                proxy.headers.append({name.lower(): value for name, value in sent.items()})
                connection = http.client.HTTPConnection(proxy.target.hostname, proxy.target.port, timeout=60)
                try:
                    connection.request(self.command, self.path, body=body, headers=sent)
                    response = connection.getresponse()
                    data = response.read()
                finally:
                    connection.close()
                self.send_response(response.status)
                for name, value in response.getheaders():
                    if name.lower() not in proxy.HOP_BY_HOP:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

            def log_message(self, format: str, *args: Any) -> None:  # quiet: the test reads `headers`
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> RecordingProxy:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
