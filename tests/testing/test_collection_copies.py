"""copy_collection: exact copies of data/, names that never collide."""

from __future__ import annotations

from pathlib import Path

from extractive_qa.testing.collection_copies import copy_collection
from extractive_qa.testing.paths import DATA_DIR


def test_one_copy_keeps_the_names_and_the_bytes(tmp_path: Path) -> None:
    written = copy_collection(tmp_path / "docs")
    originals = sorted(DATA_DIR.glob("*.txt"))
    assert [path.name for path in written] == [path.name for path in originals] and len(written) == 35
    assert all(copy.read_bytes() == original.read_bytes() for copy, original in zip(written, originals, strict=True))


def test_more_copies_and_prefixes_get_names_of_their_own(tmp_path: Path) -> None:
    target = tmp_path / "docs"
    written = copy_collection(target, copies=2) + copy_collection(target, prefix="r1-")
    assert len(written) == len({path.name for path in written}) == 3 * 35
    assert sorted(path.name for path in target.iterdir()) == sorted(path.name for path in written)
    assert (target / "Oxygen (2).txt").read_bytes() == (DATA_DIR / "Oxygen.txt").read_bytes()
    assert (target / "r1-Oxygen.txt").is_file()
