"""
A store indexed under one Haystack major, used and re-indexed under the other.

Haystack 3 computes a document's default id from its meta differently (sorted JSON instead of the dict's repr), so
the same passage has another id under each major. The passages of a store made under the other major are simulated
here by rewriting them with that major's ids (content and meta kept, as they would be): the store reads and answers
as it is, and re-indexing the same files replaces every passage with this major's, leaving no duplicate.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from haystack import Document

from extractive_qa import QuestionAnswerer, Settings
from extractive_qa.store.configured_store import persist
from extractive_qa.testing.haystack_major import HAYSTACK_MAJOR
from extractive_qa.testing.paths import ROOT
from extractive_qa.testing.processes import run_cli


def haystack_2_id(document: Document) -> str:
    """The default id Haystack 2.x gives a text document (the meta dict's repr)."""
    return hashlib.sha256(f"{document.content or None}NoneNoneNone{document.meta or {}}None".encode()).hexdigest()


def haystack_3_id(document: Document) -> str:
    """The default id Haystack 3 gives a text document (the meta as sorted JSON)."""
    meta = json.dumps(document.meta, sort_keys=True, default=str) if document.meta else "{}"
    return hashlib.sha256(f"{document.content or None}NoneNoneNone{meta}None".encode()).hexdigest()


THIS_MAJOR, OTHER_MAJOR = (haystack_2_id, haystack_3_id) if HAYSTACK_MAJOR < 3 else (haystack_3_id, haystack_2_id)


def test_this_majors_ids_are_the_ones_computed_here() -> None:
    document = Document(content="Berlin is the capital.", meta={"file_path": "a.txt", "split_id": 0, "page": 1})
    assert document.id == THIS_MAJOR(document)
    assert THIS_MAJOR(document) != OTHER_MAJOR(document)
    assert haystack_2_id(Document(content="x")) == haystack_3_id(Document(content="x"))  # empty meta: the same


@pytest.mark.parametrize("store", ["embedded", "memory"])
def test_a_store_from_the_other_major_is_read_and_reindexed_without_duplicates(tmp_path: Path, store: str) -> None:
    files = tmp_path / "docs"
    files.mkdir()
    (files / "berlin.txt").write_text("Berlin is the capital of Germany.\n\nIt has 3.7 million people.", "utf-8")
    (files / "paris.txt").write_text("Paris is the capital of France.", "utf-8")
    path = tmp_path / ("index" if store == "embedded" else "store.json")
    qa = QuestionAnswerer(Settings(store=store, store_path=path))
    qa.index([str(files)])
    ours = {d.id: d for d in qa.document_store.filter_documents()}
    assert len(ours) >= 2

    # the store as the other major wrote it: the same passages under that major's ids
    theirs = [Document(id=OTHER_MAJOR(d), content=d.content, meta=d.meta) for d in ours.values()]
    qa.document_store.delete_documents(list(ours))
    qa.document_store.write_documents(theirs)
    persist(qa.document_store, qa.settings)  # the in-memory store's file
    qa = QuestionAnswerer(Settings(store=store, store_path=path))
    assert sorted(d.id for d in qa.document_store.filter_documents()) == sorted(d.id for d in theirs)
    found = qa.document_store.filter_documents({"field": "meta.file_name", "operator": "==", "value": "paris.txt"})
    assert [d.content for d in found] == ["Paris is the capital of France."]

    unchanged = QuestionAnswerer(Settings(store=store, store_path=path)).index([str(files)])
    assert (unchanged.unchanged, unchanged.passages_written) == (2, 0)  # incremental: the files did not change
    report = QuestionAnswerer(Settings(store=store, store_path=path)).index([str(files)], full=True)
    assert (report.passages_written, report.passages_removed) == (len(ours), len(ours))
    after = QuestionAnswerer(Settings(store=store, store_path=path)).document_store.filter_documents()
    assert sorted(d.id for d in after) == sorted(ours)  # this major's ids, each passage once
    report = QuestionAnswerer(Settings(store=store, store_path=path)).index([str(files)])
    assert report.passages_removed == 0  # and stable from then on


OTHER_VENV = ROOT / (".venv-haystack3" if HAYSTACK_MAJOR < 3 else ".venv")


@pytest.mark.skipif(
    not (OTHER_VENV / "bin" / "python").exists(),
    reason=f"no {OTHER_VENV.name} with the other Haystack major (scripts/test_haystack3.sh makes it)",
)
@pytest.mark.parametrize("store", ["embedded", "memory"])
def test_the_other_majors_command_line_and_this_one_share_a_store_without_duplicates(
    tmp_path: Path, store: str
) -> None:
    other = OTHER_VENV / "bin" / "python"
    files = tmp_path / "docs"
    files.mkdir()
    (files / "berlin.txt").write_text("Berlin is the capital of Germany.\n\nIt has 3.7 million people.", "utf-8")
    (files / "paris.txt").write_text("Paris is the capital of France.", "utf-8")
    env = {"EQA_STORE": store, "EQA_STORE_PATH": str(tmp_path / ("index" if store == "embedded" else "store.json"))}
    counts = []
    # indexed under one major, re-indexed under the other and back; each time counted by the major that did not index
    # (berlin.txt changes every time, so its passages are rewritten under each major's ids; paris.txt stays)
    for round_, (python, reader) in enumerate(((other, None), (None, other), (other, None), (None, other))):
        (files / "berlin.txt").write_text(f"Berlin is the capital of Germany.\n\nIt has {round_} million people.")
        result = run_cli("index", str(files), "--no-progress", env=env, python=python)
        assert result.returncode == 0, result.stderr
        result = run_cli("count", env=env, python=reader)
        assert result.returncode == 0, result.stderr
        counts.append(int(result.stdout.strip()))
    assert counts[0] >= 2
    assert counts == [counts[0]] * 4  # each passage once after every run: no duplicates
