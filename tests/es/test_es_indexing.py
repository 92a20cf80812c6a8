"""Batch indexing into a real Elasticsearch node: stable ids, re-indexing, removal, interruption, refused batches."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest

from extractive_qa import QuestionAnswerer, Settings
from extractive_qa.cli import main
from extractive_qa.errors import QAError, StoreWriteFailed
from extractive_qa.indexing.indexer import index_files
from extractive_qa.testing.collection_copies import copy_collection
from extractive_qa.testing.elasticsearch import RecordingProxy, es_answerer
from extractive_qa.testing.paths import DATA_DIR, ROOT
from extractive_qa.testing.processes import process_environment, run_cli

pytestmark = pytest.mark.elasticsearch


def memory_ids(paths: list[Path], tmp_path: Path) -> set[str]:
    """The passage ids the in-memory store gets for the same files (an independent reference)."""
    qa = QuestionAnswerer(Settings(store_path=tmp_path / f"memory-{time.monotonic_ns()}.json"))
    qa.index(paths)
    return {d.id for d in qa.document_store.filter_documents()}


def stored_ids(client: Any, index: str) -> set[str]:
    from elasticsearch import helpers

    client.indices.refresh(index=index)
    return {hit["_id"] for hit in helpers.scan(client, index=index, _source=False)}


def count_of(client: Any, index: str, file_path: Path | None = None) -> int:
    query = {"term": {"file_path": str(file_path)}} if file_path else {"match_all": {}}
    return client.count(index=index, query=query)["count"]


def written_so_far(client: Any, index: str) -> int:
    """The passages a running indexer has made visible so far (0 while the index is being created)."""
    from elasticsearch import ApiError

    try:
        return count_of(client, index)
    except ApiError:  # no index yet (404), or its shard is not started yet (503)
        return 0


def test_data_indexes_into_the_same_passages_as_in_memory_and_reindexing_keeps_them(
    es_url: str, es_index: str, es_client: Any, tmp_path: Path
) -> None:
    qa = es_answerer(es_url, es_index, tmp_path)
    report = qa.index([DATA_DIR])
    assert (report.files_read, report.skipped) == (35, [])
    # Exact right after indexing: the indexer refreshes the index at the end.
    assert count_of(es_client, es_index) == qa.count_documents() == report.passages_written
    reference = memory_ids([DATA_DIR], tmp_path)
    assert stored_ids(es_client, es_index) == reference  # content+meta hashes, same as the in-memory store
    hit = es_client.search(index=es_index, size=1, query={"term": {"file_name": "Oxygen.txt"}})["hits"]["hits"][0]
    assert hit["_source"]["file_path"] == str((DATA_DIR / "Oxygen.txt").resolve())

    unchanged = qa.index([DATA_DIR])
    assert (unchanged.unchanged, unchanged.passages_written) == (35, 0)  # incremental: nothing changed
    again = qa.index([DATA_DIR], full=True)
    assert (again.files_read, again.passages_written, again.passages_removed) == (35, len(reference), 0)
    assert qa.count_documents() == len(reference)
    assert stored_ids(es_client, es_index) == reference


def test_changed_file_replaces_its_passages_and_remove_deletes_them(
    es_url: str, es_index: str, es_client: Any, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    copy_collection(docs)
    qa = es_answerer(es_url, es_index, tmp_path)
    qa.index([docs])
    oxygen = docs / "Oxygen.txt"
    before = count_of(es_client, es_index, oxygen)
    assert before > 10

    text = oxygen.read_text(encoding="utf-8")
    oxygen.write_text(text[: len(text) // 3], encoding="utf-8")
    report = qa.index([docs])
    assert report.passages_removed >= before - count_of(es_client, es_index, oxygen) > 0
    assert stored_ids(es_client, es_index) == memory_ids([docs], tmp_path)

    total = qa.count_documents()
    remaining = count_of(es_client, es_index, oxygen)
    assert qa.remove([oxygen]) == remaining > 0
    assert qa.count_documents() == total - remaining
    assert count_of(es_client, es_index, oxygen) == 0
    with pytest.raises(QAError, match="nothing removed: no source "):  # said so, nothing changed
        qa.remove([docs / "never-indexed.txt"])
    assert qa.count_documents() == total - remaining
    # Passages of the other files are untouched.
    assert count_of(es_client, es_index, docs / "Normans.txt") > 0


def test_run_killed_halfway_then_run_again_ends_with_exactly_the_right_count(
    es_url: str, es_index: str, es_client: Any, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    files = copy_collection(docs, copies=6)  # 210 files, about 5,800 passages
    expected = memory_ids([docs], tmp_path)
    command = [
        sys.executable,
        "-m",
        "extractive_qa.cli",
        "index",
        str(docs),
        "--store",
        "elasticsearch",
        "--elasticsearch-url",
        es_url,
        "--elasticsearch-index",
        es_index,
        "--batch-size",
        "2",
        "--no-progress",
    ]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=process_environment(inherit_settings=True),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            if written_so_far(es_client, es_index) > 0:
                break
            time.sleep(0.05)
        assert process.poll() is None, f"the run ended before it could be interrupted: {process.communicate()}"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL
    es_client.indices.refresh(index=es_index)
    interrupted = count_of(es_client, es_index)
    assert 0 < interrupted < len(expected), f"{interrupted} of {len(expected)} passages after the kill"

    report = es_answerer(es_url, es_index, tmp_path).index([docs])
    assert report.files_read + report.unchanged == len(files)  # the files indexed before the kill are unchanged
    assert report.passages_written == len(expected) - interrupted
    assert count_of(es_client, es_index) == len(expected)
    assert stored_ids(es_client, es_index) == expected


def test_refused_batch_names_its_files_and_keeps_the_earlier_batches(
    es_url: str, es_index: str, es_client: Any, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    files = sorted(p.resolve() for p in copy_collection(docs))
    qa = es_answerer(es_url, es_index, tmp_path)
    pipeline = qa.indexing_pipeline
    run_batch = pipeline.run
    batches_done = 0

    def run_then_block(*args: Any, **kwargs: Any) -> Any:  # the index turns read-only after two batches (disk full)
        nonlocal batches_done
        result = run_batch(*args, **kwargs)
        batches_done += 1
        if batches_done == 2:
            es_client.indices.put_settings(index=es_index, settings={"index.blocks.write": True})
        return result

    try:
        with pytest.raises(StoreWriteFailed) as failure, patch.object(pipeline, "run", run_then_block):
            index_files(pipeline, qa.document_store, [docs], batch_size=5, progress=False)
        assert qa.count_documents() == len(memory_ids(files[:10], tmp_path))  # batches 1 and 2, exactly
    finally:
        es_client.indices.put_settings(index=es_index, settings={"index.blocks.write": None})
    message = str(failure.value)
    assert "\n" not in message
    assert "refused the passages of 5 file(s)" in message and "cluster_block_exception" in message
    for path in files[10:15]:
        assert str(path) in message
    for path in files[:10] + files[15:]:
        assert str(path) not in message
    assert "the 10 file(s) indexed before" in message

    report = qa.index([docs])
    assert (report.unchanged, report.files_read) == (10, 25)  # the 10 files of the earlier batches are kept
    assert stored_ids(es_client, es_index) == memory_ids(files, tmp_path)


def test_cli_reports_a_mapping_conflict_in_one_line_naming_the_file(
    es_url: str, es_index: str, es_client: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # An index created elsewhere with a narrower type for a field the splitter writes: split_id as a byte (< 128).
    es_client.indices.create(
        index=es_index,
        mappings={
            "properties": {"content": {"type": "text"}, "split_id": {"type": "byte"}},
            "dynamic_templates": [{"strings": {"match_mapping_type": "string", "mapping": {"type": "keyword"}}}],
        },
    )
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text((DATA_DIR / "Oxygen.txt").read_text(encoding="utf-8"), encoding="utf-8")
    (docs / "b.txt").write_text((DATA_DIR / "Normans.txt").read_text(encoding="utf-8"), encoding="utf-8")
    everything = "\n\n".join(p.read_text(encoding="utf-8") for p in sorted(DATA_DIR.glob("*.txt")))
    (docs / "c-long.txt").write_text(everything, encoding="utf-8")  # several hundred passages
    (docs / "d.txt").write_text((DATA_DIR / "Ctenophora.txt").read_text(encoding="utf-8"), encoding="utf-8")

    common = ["--store", "elasticsearch", "--elasticsearch-url", es_url, "--elasticsearch-index", es_index]
    result = run_cli("index", str(docs), "--batch-size", "2", "--no-progress", *common)
    assert result.returncode == 4, result
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("error: the document store refused the passages of 1 file(s): ")
    assert str((docs / "c-long.txt").resolve()) in lines[0]
    assert "failed to parse field [split_id] of type [byte]" in lines[0]
    assert "the 2 file(s) indexed before" in lines[0]
    for name in ("a.txt", "b.txt"):  # the batch before the failed one is whole
        path = (docs / name).resolve()
        assert count_of(es_client, es_index, path) == len(memory_ids([path], tmp_path))

    assert main(["count", *common]) == 0
    assert int(capsys.readouterr().out) == count_of(es_client, es_index)


def test_report_as_json_and_api_key_from_the_environment(
    es_url: str, es_index: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ELASTIC_API_KEY", "a-secret-api-key")  # ignored by the test node (security off)
    with RecordingProxy(es_url) as proxy:  # what the application sends to the node
        qa = es_answerer(proxy.url, es_index, tmp_path)
        assert qa.count_documents() == 0
    assert proxy.headers and all(h.get("authorization") == "ApiKey a-secret-api-key" for h in proxy.headers)
    assert "a-secret-api-key" not in qa.indexing_pipeline.dumps()  # only the variable's name is serialized
    (tmp_path / "empty.txt").write_text("")
    result = run_cli(
        "index",
        str(DATA_DIR / "Oxygen.txt"),
        str(tmp_path / "empty.txt"),
        "--json",
        "--no-progress",
        *("--store", "elasticsearch", "--elasticsearch-url", es_url, "--elasticsearch-index", es_index),
        env={"ELASTIC_API_KEY": "a-secret-api-key"},
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    written = es_answerer(es_url, es_index, tmp_path).count_documents()
    assert report["files_read"] == 1 and report["passages_written"] == written > 0
    assert report["skipped"] == [{"path": str((tmp_path / "empty.txt").resolve()), "reason": "empty file"}]
