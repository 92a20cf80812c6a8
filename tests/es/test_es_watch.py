"""`extractive-qa index --watch` on Elasticsearch: an added file is searchable and a deleted one gone within seconds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractive_qa.testing.processes import run_cli
from extractive_qa.testing.watch import WatchProcess

pytestmark = pytest.mark.elasticsearch


def test_a_watch_on_elasticsearch_follows_an_addition_and_a_deletion(
    es_url: str, es_index: str, tmp_path: Path
) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "plant.txt").write_text("The Quorvex plant was opened in 1911 in Tallinn.", "utf-8")
    options = ("--store", "elasticsearch", "--elasticsearch-url", es_url, "--elasticsearch-index", es_index)
    watch = WatchProcess(folder, tmp_path, *options)
    try:

        def names() -> set[str]:
            done = run_cli("sources", "--json", *options)
            assert done.returncode == 0, done.stderr
            return {source["name"] for source in json.loads(done.stdout)}

        assert names() == {"plant.txt"}
        (folder / "lake.txt").write_text("Lake Peipus lies on the border of Estonia.", "utf-8")
        watch.wait_for(lambda: names() == {"plant.txt", "lake.txt"}, "lake.txt in the index")
        (folder / "plant.txt").unlink()
        watch.wait_for(lambda: names() == {"lake.txt"}, "plant.txt gone from the index")
        summary = watch.stop()
        assert "(2 new, 0 changed, 0 unchanged); removed 1 file(s) gone from the folders" in summary, summary
        assert run_cli("count", *options).stdout.strip() == "1"
    finally:
        watch.kill()
