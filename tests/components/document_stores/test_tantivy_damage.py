"""
TantivyDocumentStore on damaged, missing and read-only indexes: every way tantivy fails on damage (opening,
searching, reading stored documents, writing) is an `IndexDamagedError` naming what is damaged and no path; reads
create and lock nothing; an index this process may not write is read through a private view.
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import tantivy
from haystack import Document
from haystack.document_stores.errors import DocumentStoreError

from extractive_qa.components.document_stores.tantivy import (
    IndexBusyError,
    IndexDamagedError,
    TantivyDocumentStore,
    read_only,
)
from extractive_qa.components.document_stores.tantivy.damage import damage_reason, verify_checksums
from extractive_qa.testing.damage import flip, listing, segment_file, truncate

SEGMENT_KINDS = ["idx", "term", "store", "fast", "fieldnorm", "pos"]


def documents(count: int = 400) -> list[Document]:
    """Enough text for the stored documents to span many compressed blocks."""
    return [
        Document(
            id=f"doc-{number:04d}",
            content=f"Passage {number} tells how the river {number % 13} runs through the valley {number % 7}. " * 4,
            meta={"file_name": f"file-{number % 20}.txt"},
        )
        for number in range(count)
    ]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pristine") / "index"
    TantivyDocumentStore(str(path)).write_documents(documents())
    return path


@pytest.fixture
def index(pristine: Path, tmp_path: Path) -> Path:
    """A copy of a healthy index (one segment), for a test to damage."""
    copy = tmp_path / "index"
    shutil.copytree(pristine, copy)
    return copy


def assert_path_free(error: IndexDamagedError, index: Path) -> None:
    assert str(index) not in error.reason and str(index) not in error.describe("the store's index")
    assert error.describe("the store's index").startswith("the store's index is damaged (")


class TestDamageOnOpen:
    @pytest.mark.parametrize("kind", SEGMENT_KINDS)
    def test_a_segment_file_with_a_broken_footer(self, index: Path, kind: str) -> None:
        damaged = segment_file(index, kind)
        flip(damaged, -4, 4)  # the footer's magic number
        store = TantivyDocumentStore(str(index))
        with pytest.raises(IndexDamagedError, match=r"is damaged \(.*magic byte mismatch\)") as raised:
            store.count_documents()
        assert damaged.name in raised.value.reason and raised.value.index_path == str(index)
        assert_path_free(raised.value, index)
        assert "delete it and re-index, or restore it from a backup" in str(raised.value)
        for call in (
            lambda: store.bm25_retrieval("river"),
            lambda: store.filter_documents(),
            lambda: store.write_documents([Document(content="new")]),
            lambda: store.delete_documents(["doc-0001"]),
        ):
            with pytest.raises(IndexDamagedError):
                call()

    @pytest.mark.parametrize("kind", ["store", "idx", "term"])
    def test_a_truncated_segment_file(self, index: Path, kind: str) -> None:
        truncate(segment_file(index, kind))
        with pytest.raises(IndexDamagedError, match=f"\\.{kind}: "):
            TantivyDocumentStore(str(index)).count_documents()

    @pytest.mark.parametrize("damage", [truncate, lambda path: flip(path, 0, 16), lambda path: path.write_text("")])
    def test_a_damaged_meta_json(self, index: Path, damage) -> None:
        damage(index / "meta.json")
        with pytest.raises(IndexDamagedError, match=r"meta\.json cannot be read") as raised:
            TantivyDocumentStore(str(index)).count_documents()
        assert_path_free(raised.value, index)
        with pytest.raises(IndexDamagedError):
            TantivyDocumentStore(str(index)).write_documents([Document(content="new")])

    def test_a_missing_meta_json_beside_segment_files(self, index: Path) -> None:
        (index / "meta.json").unlink()
        with pytest.raises(IndexDamagedError, match=r"meta\.json is missing beside 6 segment file"):
            TantivyDocumentStore(str(index)).count_documents()

    def test_a_missing_segment_file(self, index: Path) -> None:
        segment_file(index, "idx").unlink()
        with pytest.raises(IndexDamagedError, match=r"\.idx: missing") as raised:
            TantivyDocumentStore(str(index)).count_documents()
        assert_path_free(raised.value, index)

    def test_a_panic_inside_tantivy_is_damage_too(self, index: Path) -> None:
        """Overwriting the start of the fast fields makes tantivy 0.27 panic (a BaseException) while opening."""
        flip(segment_file(index, "fast"), 0, 64)
        with pytest.raises(IndexDamagedError):
            TantivyDocumentStore(str(index)).count_documents()

    def test_the_first_stored_document_of_each_segment_is_read_on_open(self, index: Path) -> None:
        flip(segment_file(index, "store"), 0, 64)
        with pytest.raises(IndexDamagedError, match=r"stored documents: "):
            TantivyDocumentStore(str(index)).count_documents()


class TestDamageFoundLater:
    @pytest.fixture
    def damaged_inside(self, index: Path) -> Path:
        """Stored documents damaged past the first block: opening and counting work, reading them does not."""
        store_file = segment_file(index, "store")
        size = store_file.stat().st_size
        flip(store_file, size // 4, size // 2)
        return index

    def test_counting_works_and_reading_the_documents_fails(self, damaged_inside: Path) -> None:
        store = TantivyDocumentStore(str(damaged_inside))
        assert store.count_documents() == 400 and store.check_index() == 400
        with pytest.raises(IndexDamagedError, match=r"stored documents: |cannot be decoded") as raised:
            store.filter_documents()
        assert_path_free(raised.value, damaged_inside)
        failed = 0
        for number in range(0, 400, 10):  # BM25 reads only the documents it returns: some fail
            try:
                store.bm25_retrieval(f"Passage {number}", top_k=1)
            except IndexDamagedError:
                failed += 1
        assert failed > 0

    def test_the_checksums_find_it(self, damaged_inside: Path) -> None:
        with pytest.raises(IndexDamagedError, match=r"\.store: checksum mismatch"):
            TantivyDocumentStore(str(damaged_inside)).check_index(verify_checksums=True)
        assert verify_checksums(damaged_inside).endswith(".store: checksum mismatch")

    def test_an_intact_index_passes_every_check(self, index: Path) -> None:
        store = TantivyDocumentStore(str(index))
        store.delete_documents(["doc-0003"])  # a deletes file has a footer and checksum too
        assert verify_checksums(index) is None
        assert store.check_index(verify_checksums=True) == 399


class TestDamageReason:
    @pytest.mark.parametrize(
        "message",
        [
            "An IO error occurred: 'No space left on device (os error 28)'",
            "Failed to open file for write: 'IoError { io_error: Os { code: 13, kind: PermissionDenied, "
            'message: "Permission denied" }, filepath: "/srv/index/a.idx" }\'',
            'Failed to acquire Lockfile: IoError(Os { code: 30, kind: ReadOnlyFilesystem, message: "Read-only file '
            'system" }). None',
            "top_k must be greater than 0, got 0",
        ],
    )
    def test_the_surroundings_failing_is_not_damage(self, message: str) -> None:
        assert damage_reason(ValueError(message), "/srv/index") is None

    def test_a_read_s_io_error_is_damage_a_write_s_is_not(self) -> None:
        error = ValueError("An IO error occurred: 'failed to fill whole buffer'")
        assert damage_reason(error, "/srv/index") == "failed to fill whole buffer"
        assert damage_reason(error, "/srv/index", writing=True) is None

    def test_the_reason_names_no_path(self) -> None:
        error = ValueError("Failed to open file for read: 'FileDoesNotExist(\"/srv/data/index/0a1b.idx\")'")
        assert damage_reason(error, "/srv/data/index") == "0a1b.idx: missing"


class TestReadsCreateAndLockNothing:
    def test_reads_of_a_missing_index_create_nothing(self, tmp_path: Path) -> None:
        path = tmp_path / "typo" / "index"
        store = TantivyDocumentStore(str(path))
        assert store.count_documents() == 0 and store.filter_documents() == [] and store.bm25_retrieval("x") == []
        assert not store.index_exists() and store.check_index() == 0
        file_filter = {"field": "meta.file_name", "operator": "==", "value": "a.txt"}
        assert store.delete_by_filter(file_filter) == 0 and store.update_by_filter(file_filter, {"x": 1}) == 0
        store.delete_documents(["a"])
        store.delete_all_documents()
        assert not (tmp_path / "typo").exists()
        store.write_documents([Document(content="now there is one")])  # the first write creates it
        assert store.index_exists() and store.count_documents() == 1

    def test_reads_touch_no_file_and_need_no_writer_lock(self, index: Path) -> None:
        before = listing(index)
        writer = tantivy.Index.open(str(index)).writer()  # another writer holds the lock meanwhile
        try:
            reader = TantivyDocumentStore(str(index), lock_timeout=0)
            assert reader.count_documents() == 400 and len(reader.bm25_retrieval("river valley", top_k=3)) == 3
            assert len(reader.filter_documents({"field": "meta.file_name", "operator": "==", "value": "file-3.txt"}))
            with pytest.raises(IndexBusyError):
                reader.write_documents([Document(content="must wait")])
        finally:
            writer.rollback()
            del writer
        assert listing(index) == before


class TestReadOnlyIndex:
    @pytest.fixture
    def not_writable(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """What a read-only mount or missing write permission shows this process (root ignores chmod)."""
        monkeypatch.setattr(read_only, "can_write", lambda _path: False)

    @pytest.fixture
    def views(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
        """The temporary directory views are made in."""
        folder = tmp_path / "temporary"
        folder.mkdir()
        monkeypatch.setattr(read_only.tempfile, "tempdir", str(folder))
        yield folder

    def test_reads_go_through_a_view_and_leave_the_index_alone(
        self, index: Path, not_writable: None, views: Path
    ) -> None:
        before = listing(index)
        store = TantivyDocumentStore(str(index))
        assert store.count_documents() == 400 and store.check_index(verify_checksums=True) == 400
        assert len(store.bm25_retrieval("river", top_k=5)) == 5
        (view,) = list(views.iterdir())
        assert all(path.is_symlink() for path in view.iterdir() if path.name != "meta.json" and path.suffix != ".lock")
        assert listing(index) == before
        del store
        import gc

        gc.collect()
        assert list(views.iterdir()) == []  # the view goes with the store

    def test_a_commit_by_another_process_is_seen(self, index: Path, not_writable: None, views: Path) -> None:
        reader = TantivyDocumentStore(str(index))
        assert reader.count_documents() == 400
        writer = TantivyDocumentStore(str(index))  # writes in place (as root, it may)
        writer.write_documents([Document(content="written meanwhile")])
        writer.delete_documents(["doc-0000", "doc-0001"])
        assert reader.count_documents() == 399

    def test_a_damaged_index_read_through_a_view(self, index: Path, not_writable: None, views: Path) -> None:
        flip(segment_file(index, "term"), -4, 4)
        with pytest.raises(IndexDamagedError, match=r"\.term: Footer magic byte mismatch"):
            TantivyDocumentStore(str(index)).count_documents()
        assert list(views.iterdir()) == []

    @pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="permissions do not apply to root (as in CI)")
    def test_a_directory_without_write_permission(self, index: Path) -> None:
        files = [index, *index.iterdir()]
        for path in files:
            path.chmod(path.stat().st_mode & ~0o222)
        try:
            store = TantivyDocumentStore(str(index))
            assert store.count_documents() == 400 and len(store.bm25_retrieval("river", top_k=2)) == 2
            with pytest.raises(DocumentStoreError, match="not readable and writable"):
                store.write_documents([Document(content="refused")])
        finally:
            for path in files:
                path.chmod(path.stat().st_mode | 0o200)
