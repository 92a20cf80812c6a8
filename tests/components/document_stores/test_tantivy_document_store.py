"""TantivyDocumentStore: Haystack's conformance tests, plus persistence, BM25, filters, concurrency and bad input."""

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import ClassVar

import pytest
import tantivy
from haystack import Document
from haystack.dataclasses import ByteStream, SparseEmbedding
from haystack.document_stores.errors import DocumentStoreError, DuplicateDocumentError
from haystack.document_stores.in_memory import InMemoryDocumentStore
from haystack.document_stores.types import DuplicatePolicy
from haystack.errors import FilterError
from haystack.testing.document_store import (
    CountDocumentsByFilterTest,
    DeleteAllTest,
    DeleteByFilterTest,
    DocumentStoreBaseTests,
    UpdateByFilterTest,
)
from haystack.utils import expit

from extractive_qa.components.document_stores.tantivy import IndexBusyError, TantivyDocumentStore
from extractive_qa.components.document_stores.tantivy.filters import translate_filters


@pytest.fixture
def index_path(tmp_path: Path) -> str:
    return str(tmp_path / "index")


@pytest.fixture
def store(index_path: str) -> TantivyDocumentStore:
    return TantivyDocumentStore(index_path=index_path)


class TestTantivyDocumentStore(
    DocumentStoreBaseTests, DeleteAllTest, DeleteByFilterTest, UpdateByFilterTest, CountDocumentsByFilterTest
):
    """
    Haystack's conformance tests. Documents round-trip exactly (embeddings included), so the base tests' plain
    equality of documents holds. DeleteAllTest's two `recreate_index` tests skip themselves: the index is never
    recreated (deleting every document commits an empty index in place).
    """

    @pytest.fixture
    def document_store(self, tmp_path: Path) -> TantivyDocumentStore:
        return TantivyDocumentStore(index_path=str(tmp_path / "conformance-index"))

    def test_write_documents(self, document_store: TantivyDocumentStore) -> None:
        """The default policy (NONE) fails on duplicates, like InMemoryDocumentStore."""
        doc = Document(content="test doc")
        assert document_store.write_documents([doc]) == 1
        with pytest.raises(DuplicateDocumentError):
            document_store.write_documents([doc])
        assert document_store.filter_documents() == [doc]


def passages(file_name: str, count: int, start: int = 0) -> list[Document]:
    return [
        Document(
            id=f"{file_name}-{i}",
            content=f"Passage {i} of {file_name} about rivers and mountains.",
            meta={"file_path": f"/docs/{file_name}", "file_name": file_name, "split_id": i},
        )
        for i in range(start, start + count)
    ]


class TestPersistenceAndRoundTrip:
    def test_a_new_store_on_the_same_path_sees_the_documents(self, index_path: str) -> None:
        docs = passages("a.txt", 5)
        TantivyDocumentStore(index_path).write_documents(docs)

        reopened = TantivyDocumentStore(index_path)
        assert reopened.count_documents() == 5
        assert reopened.filter_documents() == docs
        assert reopened.bm25_retrieval("passage 3", top_k=1)[0].id == "a.txt-3"

    def test_documents_round_trip_exactly(self, store: TantivyDocumentStore) -> None:
        docs = [
            Document(
                content="Unicode: naïve café, 東京, emoji 🚀",
                meta={
                    "nested": {"deeper": {"x": 1.5, "flag": False}},
                    "tags": ["a", "b"],
                    "overlap": [{"doc_id": "x", "range": [0, 5]}],
                    "none": None,
                    "big": 2**80,
                    "dotted.key": "kept",
                },
                embedding=[0.1, -0.25, 1e-10],
                sparse_embedding=SparseEmbedding(indices=[1, 7], values=[0.5, 0.25]),
            ),
            Document(blob=ByteStream(data=b"\x00\x01binary", mime_type="application/octet-stream")),
            Document(content="", meta={}),
        ]
        store.write_documents(docs)
        assert store.filter_documents() == docs

    def test_tuples_in_meta_come_back_as_lists(self, store: TantivyDocumentStore) -> None:
        store.write_documents([Document(id="t", content="x", meta={"_split_overlap": [{"range": (0, 3)}]})])
        assert store.filter_documents()[0].meta == {"_split_overlap": [{"range": [0, 3]}]}

    def test_scores_are_not_stored(self, store: TantivyDocumentStore) -> None:
        store.write_documents([Document(id="s", content="x", score=0.5)])
        assert store.filter_documents()[0].score is None

    def test_to_dict_and_from_dict(self, index_path: str) -> None:
        store = TantivyDocumentStore(index_path, writer_heap_bytes=40_000_000, writer_threads=2, lock_timeout=2.5)
        store.write_documents(passages("a.txt", 2))
        data = store.to_dict()
        assert data == {
            "type": "extractive_qa.components.document_stores.tantivy.document_store.TantivyDocumentStore",
            "init_parameters": {
                "index_path": index_path,
                "writer_heap_bytes": 40_000_000,
                "writer_threads": 2,
                "lock_timeout": 2.5,
            },
        }
        restored = TantivyDocumentStore.from_dict(json.loads(json.dumps(data)))
        assert (restored.index_path, restored.writer_heap_bytes, restored.writer_threads, restored.lock_timeout) == (
            index_path,
            40_000_000,
            2,
            2.5,
        )
        restored.write_documents(passages("b.txt", 2))
        assert restored.count_documents() == 4


class TestWritePolicies:
    def test_fail_writes_nothing_when_one_id_is_repeated(self, store: TantivyDocumentStore) -> None:
        store.write_documents([Document(id="stored", content="x")])
        batch = [Document(id="new", content="y"), Document(id="stored", content="z")]
        with pytest.raises(DuplicateDocumentError, match="'stored'"):
            store.write_documents(batch, policy=DuplicatePolicy.FAIL)
        with pytest.raises(DuplicateDocumentError, match="'twice'"):
            store.write_documents([Document(id="twice", content="a"), Document(id="twice", content="b")])
        assert [doc.id for doc in store.filter_documents()] == ["stored"]

    def test_skip_keeps_the_stored_and_the_first_repeated(self, store: TantivyDocumentStore) -> None:
        store.write_documents([Document(id="1", content="stored")])
        batch = [Document(id="1", content="new"), Document(id="2", content="first"), Document(id="2", content="2nd")]
        assert store.write_documents(batch, policy=DuplicatePolicy.SKIP) == 1
        assert [(doc.id, doc.content) for doc in store.filter_documents()] == [("1", "stored"), ("2", "first")]

    def test_overwrite_replaces_and_the_last_repeated_wins(self, store: TantivyDocumentStore) -> None:
        store.write_documents([Document(id="1", content="old one"), Document(id="2", content="old two")])
        batch = [Document(id="2", content="new two"), Document(id="3", content="a"), Document(id="3", content="b")]
        assert store.write_documents(batch, policy=DuplicatePolicy.OVERWRITE) == 3
        assert [(doc.id, doc.content) for doc in store.filter_documents()] == [
            ("1", "old one"),
            ("2", "new two"),
            ("3", "b"),
        ]
        assert [doc.id for doc in store.bm25_retrieval("old")] == ["1"]  # the old "two" is gone from the index too

    @pytest.mark.parametrize(
        ("meta", "message"),
        [
            ({"when": {1, 2}}, "type set at 'meta.when'"),
            ({"nested": {"deep": [b"bytes"]}}, "type bytes at 'meta.nested.deep'"),
            ({"by_page": {1: "x"}}, "meta key 1"),
        ],
    )
    def test_meta_that_json_cannot_hold_is_refused_and_nothing_is_written(
        self, store: TantivyDocumentStore, meta: dict, message: str
    ) -> None:
        batch = [*passages("a.txt", 3), Document(id="bad", content="x", meta=meta)]
        with pytest.raises(DocumentStoreError, match=message):
            store.write_documents(batch)
        assert store.count_documents() == 0
        assert store.write_documents(passages("a.txt", 3)) == 3  # the writer was released


class TestBM25:
    @pytest.fixture
    def filled(self, store: TantivyDocumentStore) -> TantivyDocumentStore:
        store.write_documents(
            [
                Document(id="runs", content="She runs along the river every morning."),
                Document(id="capital", content="Paris is the capital of France."),
                Document(id="python", content="Python is a popular programming language."),
                Document(id="empty", content=None, meta={"only": "meta"}),
            ]
        )
        return store

    def test_stemming_finds_other_forms(self, filled: TantivyDocumentStore) -> None:
        assert [doc.id for doc in filled.bm25_retrieval("running")] == ["runs"]
        assert [doc.id for doc in filled.bm25_retrieval("Capitals")] == ["capital"]

    @pytest.mark.parametrize(
        "query",
        [
            'What\'s the "capital" of France?',
            "capital AND France OR (Paris) NOT: [x] {y} ^2 ~1 * \\ / - + ! && || title:capital",
            "France's capital -- Paris?!",
            "capital:",
            '"unbalanced (capital',
        ],
    )
    def test_punctuation_and_query_syntax_are_plain_words(self, filled: TantivyDocumentStore, query: str) -> None:
        assert filled.bm25_retrieval(query)[0].id == "capital"

    @pytest.mark.parametrize("query", ["", "   ", "?!... ()", '""'])
    def test_a_query_without_words_returns_nothing(self, filled: TantivyDocumentStore, query: str) -> None:
        assert filled.bm25_retrieval(query) == []

    def test_scores_best_first_top_k_and_scaling(self, filled: TantivyDocumentStore) -> None:
        raw = filled.bm25_retrieval("Python river programming language", top_k=2)
        assert [doc.id for doc in raw] == ["python", "runs"]
        assert raw[0].score > raw[1].score > 0
        scaled = filled.bm25_retrieval("Python river programming language", top_k=2, scale_score=True)
        assert [doc.score for doc in scaled] == pytest.approx([expit(doc.score / 8) for doc in raw])
        assert all(0 < doc.score < 1 for doc in scaled)
        assert filled.bm25_retrieval("python")[0].content == "Python is a popular programming language."

    def test_top_k_must_be_positive(self, filled: TantivyDocumentStore) -> None:
        with pytest.raises(ValueError, match="top_k"):
            filled.bm25_retrieval("python", top_k=0)

    def test_filters_are_applied_before_top_k(self, store: TantivyDocumentStore) -> None:
        # b.txt's passages are the worst matches overall; the filter must still return its best ones.
        store.write_documents(
            [Document(id=f"a{i}", content="river " * 5, meta={"file_name": "a.txt"}) for i in range(30)]
            + [
                Document(id=f"b{i}", content="river and much else " * i, meta={"file_name": "b.txt"})
                for i in range(1, 4)
            ]
        )
        only_b = {"field": "meta.file_name", "operator": "==", "value": "b.txt"}
        assert {doc.id for doc in store.bm25_retrieval("river", filters=only_b, top_k=10)} == {"b1", "b2", "b3"}

    def test_filters_the_index_cannot_decide_are_checked_on_the_candidates(self, store: TantivyDocumentStore) -> None:
        store.write_documents(
            [
                Document(id=f"d{i}", content=f"river {i}", meta={"tags": ["x"] if i % 7 == 0 else ["y"]})
                for i in range(300)
            ]
        )
        tagged = {"field": "meta.tags", "operator": "==", "value": ["x"]}
        assert sorted(doc.id for doc in store.bm25_retrieval("river", filters=tagged, top_k=100)) == sorted(
            f"d{i}" for i in range(0, 300, 7)
        )


class TestFilters:
    """Results compared with InMemoryDocumentStore (Haystack's reference semantics), beyond the conformance tests."""

    DOCS: ClassVar[list[Document]] = [
        Document(
            id="d0",
            content="alpha beta",
            meta={"n": 1, "f": 1.5, "b": True, "s": "x", "date": "2024-01-01T00:00:00", "tags": ["a"], "o": {"k": 1}},
        ),
        Document(
            id="d1",
            content="beta gamma",
            meta={"n": 2, "f": 2.0, "b": False, "s": "y", "date": "2024-06-01T12:00:00+02:00", "o": {"k": "1"}},
        ),
        Document(id="d2", content="gamma", meta={"n": 1.0, "s": "x", "date": "2023-12-31", "o": None}),
        Document(id="d3", content=None, meta={"n": None, "b": 1, "s": "z", "f": float("inf")}),
        Document(id="d4", content="delta", meta={"n": -5, "s": "", "date": "2025-01-01T00:00:00Z", "long": "L" * 5000}),
        Document(id="d5", content="alpha", meta={"long": "L" * 4999 + "M"}),
    ]

    FILTERS: ClassVar[list[dict]] = [
        {"field": "meta.n", "operator": "==", "value": 1},
        {"field": "meta.n", "operator": "==", "value": 1.0},
        {"field": "meta.b", "operator": "==", "value": True},
        {"field": "meta.b", "operator": "==", "value": 0},
        {"field": "meta.n", "operator": "!=", "value": 1},
        {"field": "meta.n", "operator": "in", "value": [2, "x", None]},
        {"field": "meta.s", "operator": "not in", "value": ["x", ""]},
        {"field": "meta.n", "operator": ">", "value": 1},
        {"field": "meta.n", "operator": ">=", "value": 1.0},
        {"field": "meta.n", "operator": "<", "value": 0},
        {"field": "meta.n", "operator": "<=", "value": True},
        {"field": "meta.f", "operator": ">", "value": 1.75},
        {"field": "meta.date", "operator": ">", "value": "2024-01-01T00:00:00"},
        {"field": "meta.date", "operator": "<", "value": "2024-06-01T11:00:00+00:00"},
        {"field": "meta.date", "operator": ">=", "value": "2023-12-31T00:00:00"},
        {"field": "meta.o.k", "operator": "==", "value": 1},
        {"field": "meta.o.k", "operator": "==", "value": "1"},
        {"field": "meta.o", "operator": "==", "value": None},
        {"field": "meta.o", "operator": "!=", "value": None},
        {"field": "meta.tags", "operator": "==", "value": ["a"]},
        {"field": "meta.tags", "operator": "!=", "value": None},
        {"field": "meta.long", "operator": "==", "value": "L" * 5000},
        {"field": "meta.long", "operator": "in", "value": ["L" * 4999 + "M", "x"]},
        {"field": "content", "operator": "==", "value": "gamma"},
        {"field": "content", "operator": "in", "value": ["alpha", "delta", None]},
        {"field": "content", "operator": "!=", "value": None},
        {"field": "id", "operator": "in", "value": ["d1", "d3", "zz", 3]},
        {"field": "id", "operator": "!=", "value": "d0"},
        {"field": "s", "operator": "==", "value": "x"},
        {"field": "score", "operator": "==", "value": None},
        {"field": "embedding", "operator": "==", "value": None},
        {"field": "meta.missing", "operator": "==", "value": None},
        {"field": "meta.missing", "operator": ">", "value": 3},
        {
            "operator": "OR",
            "conditions": [
                {"field": "meta.s", "operator": "==", "value": "z"},
                {"operator": "NOT", "conditions": [{"field": "meta.n", "operator": ">=", "value": 1}]},
            ],
        },
        {
            "operator": "AND",
            "conditions": [
                {"field": "meta.s", "operator": "in", "value": ["x", "y"]},
                {"field": "meta.tags", "operator": "==", "value": None},
            ],
        },
        {"operator": "NOT", "conditions": [{"field": "meta.tags", "operator": "==", "value": ["a"]}]},
        {"operator": "AND", "conditions": []},
        {"operator": "OR", "conditions": []},
    ]

    @pytest.fixture
    def pair(self, store: TantivyDocumentStore) -> tuple[TantivyDocumentStore, InMemoryDocumentStore]:
        memory = InMemoryDocumentStore()
        store.write_documents(self.DOCS)
        memory.write_documents(self.DOCS)
        return store, memory

    @pytest.mark.parametrize("filters", FILTERS, ids=[json.dumps(f)[:80] for f in FILTERS])
    def test_matches_in_memory_document_store(
        self, pair: tuple[TantivyDocumentStore, InMemoryDocumentStore], filters: dict
    ) -> None:
        store, memory = pair
        expected = [doc.id for doc in memory.filter_documents(filters)]
        assert [doc.id for doc in store.filter_documents(filters)] == expected
        assert store.count_documents_by_filter(filters) == len(expected)

    @pytest.mark.parametrize(
        "filters",
        [
            {"field": "meta.s", "operator": ">", "value": "2024-01-01"},  # stored strings are not dates
            {"field": "meta.date", "operator": "<", "value": 5},  # dates compared with a number
            {"field": "meta.n", "operator": ">", "value": "not a date"},
            {"field": "meta.n", "operator": "in", "value": "1"},
            {"field": "meta.n", "operator": "~", "value": 1},
            {"operator": "XOR", "conditions": []},
        ],
    )
    def test_raises_filter_error_like_in_memory(
        self, pair: tuple[TantivyDocumentStore, InMemoryDocumentStore], filters: dict
    ) -> None:
        store, memory = pair
        with pytest.raises(FilterError):
            memory.filter_documents(filters)
        with pytest.raises(FilterError):
            store.filter_documents(filters)

    def test_the_app_s_filters_run_inside_the_index(
        self, pair: tuple[TantivyDocumentStore, InMemoryDocumentStore]
    ) -> None:
        store, _memory = pair
        index = tantivy.Index.open(store.index_path)  # the store's index on disk, as any reader opens it
        searcher = index.searcher()
        for filters in [
            {"field": "meta.file_name", "operator": "==", "value": "X"},
            {"field": "meta.file_path", "operator": "in", "value": ["/a", "/b"]},
            {
                "operator": "AND",
                "conditions": [
                    {"field": "meta.file_path", "operator": "in", "value": ["/a"]},
                    {"field": "id", "operator": "not in", "value": [f"id{i}" for i in range(20_000)]},
                ],
            },
            {"field": "meta.page_number", "operator": ">=", "value": 3},
            {"field": "meta.date", "operator": "<", "value": "2024-01-01"},
        ]:
            assert translate_filters(filters, index.schema, searcher).exact, filters

    def test_a_deleted_document_s_value_does_not_make_comparisons_fail(self, store: TantivyDocumentStore) -> None:
        store.write_documents(
            [Document(id="num", content="x", meta={"v": 3}), Document(id="str", content="y", meta={"v": "a"})]
        )
        with pytest.raises(FilterError):
            store.filter_documents({"field": "meta.v", "operator": ">", "value": 1})
        store.delete_documents(["str"])
        assert [doc.id for doc in store.filter_documents({"field": "meta.v", "operator": ">", "value": 1})] == ["num"]


class TestDeletes:
    def test_delete_by_filter_with_twenty_thousand_ids_not_in(self, store: TantivyDocumentStore) -> None:
        store.write_documents(passages("a.txt", 60) + passages("b.txt", 60) + passages("c.txt", 10))
        keep = [f"a.txt-{i}" for i in range(0, 60, 2)] + [f"b.txt-{i}" for i in range(60)]
        keep += [f"unrelated-{i}" for i in range(20_000 - len(keep))]
        stale = {
            "operator": "AND",
            "conditions": [
                {"field": "meta.file_path", "operator": "in", "value": ["/docs/a.txt", "/docs/b.txt"]},
                {"field": "id", "operator": "not in", "value": keep},
            ],
        }
        assert store.delete_by_filter(stale) == 30
        assert store.count_documents() == 100
        remaining = {
            doc.id for doc in store.filter_documents({"field": "meta.file_name", "operator": "==", "value": "a.txt"})
        }
        assert remaining == {f"a.txt-{i}" for i in range(0, 60, 2)}
        assert store.delete_by_filter(stale) == 0

    def test_delete_by_filter_that_the_index_cannot_decide(self, store: TantivyDocumentStore) -> None:
        store.write_documents(passages("a.txt", 3))
        assert (
            store.delete_by_filter(
                {"field": "content", "operator": "==", "value": "Passage 1 of a.txt about rivers and mountains."}
            )
            == 1
        )
        assert [doc.id for doc in store.filter_documents()] == ["a.txt-0", "a.txt-2"]

    def test_empty_filters_do_not_delete_or_update_everything(self, store: TantivyDocumentStore) -> None:
        store.write_documents(passages("a.txt", 3))
        with pytest.raises(FilterError, match="delete_all_documents"):
            store.delete_by_filter({})
        with pytest.raises(FilterError):
            store.update_by_filter({}, meta={"x": 1})
        assert store.count_documents() == 3

    def test_update_by_filter_keeps_ids_and_order(self, store: TantivyDocumentStore) -> None:
        store.write_documents(passages("a.txt", 4))
        assert store.update_by_filter({"field": "meta.split_id", "operator": "<", "value": 2}, meta={"seen": True}) == 2
        docs = store.filter_documents()
        assert [doc.id for doc in docs] == [f"a.txt-{i}" for i in range(4)]
        assert [doc.meta.get("seen") for doc in docs] == [True, True, None, None]

    def test_deletes_persist(self, index_path: str) -> None:
        store = TantivyDocumentStore(index_path)
        store.write_documents(passages("a.txt", 5))
        store.delete_documents(["a.txt-1", "a.txt-4", "never-stored"])
        assert TantivyDocumentStore(index_path).count_documents() == 3
        store.delete_all_documents()
        assert TantivyDocumentStore(index_path).count_documents() == 0


class TestBadIndexPath:
    def test_nothing_touches_the_disk_before_first_use(self, tmp_path: Path) -> None:
        """Building a pipeline from YAML (or validating one) creates no index directory anywhere; nor do reads."""
        store = TantivyDocumentStore.from_dict(TantivyDocumentStore(str(tmp_path / "index")).to_dict())
        assert not (tmp_path / "index").exists()
        assert store.count_documents() == 0 and not (tmp_path / "index").exists()
        assert store.write_documents([Document(content="x")]) == 1 and (tmp_path / "index" / "meta.json").is_file()

    def test_a_file(self, tmp_path: Path) -> None:
        path = tmp_path / "store.json"
        path.write_text("{}")
        with pytest.raises(DocumentStoreError, match="is a file, not a directory"):
            TantivyDocumentStore(str(path)).count_documents()

    def test_a_directory_another_process_is_creating_the_index_in(self, tmp_path: Path) -> None:
        # tantivy writes meta.json through a temporary file it then renames: caught in between, that file is all
        # there is; it is tantivy's own, so the index opens (the race a second process once lost, now and then)
        (tmp_path / ".tmpAb12Cd").write_text("{")
        store = TantivyDocumentStore(str(tmp_path))
        assert store.count_documents() == 0
        assert store.write_documents([Document(content="x")]) == 1 and (tmp_path / "meta.json").is_file()

    def test_a_directory_with_other_files(self, tmp_path: Path) -> None:
        (tmp_path / "notes.txt").write_text("mine")
        with pytest.raises(
            DocumentStoreError, match=r"is not a tantivy index: the directory holds other files \(notes.txt\)"
        ):
            TantivyDocumentStore(str(tmp_path)).count_documents()
        assert sorted(os.listdir(tmp_path)) == ["notes.txt"]

    def test_another_tantivy_index(self, tmp_path: Path) -> None:
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("title", stored=True)
        tantivy.Index(builder.build(), path=str(tmp_path))
        with pytest.raises(DocumentStoreError, match="not a TantivyDocumentStore index: its fields are"):
            TantivyDocumentStore(str(tmp_path)).count_documents()

    def test_an_unreadable_meta_json(self, tmp_path: Path) -> None:
        (tmp_path / "meta.json").write_text("not json")
        with pytest.raises(DocumentStoreError, match=r"meta\.json cannot be read"):
            TantivyDocumentStore(str(tmp_path)).count_documents()

    def test_a_path_that_cannot_be_created(self, tmp_path: Path) -> None:
        (tmp_path / "file").write_text("x")
        store = TantivyDocumentStore(str(tmp_path / "file" / "index"))
        assert store.count_documents() == 0  # nothing there to read; only a write creates the directory
        with pytest.raises(DocumentStoreError, match="Cannot create the index directory"):
            store.write_documents([Document(content="x")])

    @pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="permissions do not apply to root")
    def test_a_directory_that_is_not_writable(self, tmp_path: Path) -> None:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        try:
            assert TantivyDocumentStore(str(locked)).count_documents() == 0  # reading needs no write permission
            with pytest.raises(DocumentStoreError, match="not readable and writable"):
                TantivyDocumentStore(str(locked)).write_documents([Document(content="x")])
        finally:
            locked.chmod(0o700)

    def test_settings_out_of_range(self, index_path: str) -> None:
        with pytest.raises(ValueError, match="writer_heap_bytes"):
            TantivyDocumentStore(index_path, writer_heap_bytes=1_000_000)
        with pytest.raises(ValueError, match="per writer thread"):
            TantivyDocumentStore(index_path, writer_heap_bytes=20_000_000, writer_threads=2)
        with pytest.raises(ValueError, match="writer_threads"):
            TantivyDocumentStore(index_path, writer_threads=0)
        with pytest.raises(ValueError, match="lock_timeout"):
            TantivyDocumentStore(index_path, lock_timeout=-1)


# Child processes: they import the store like the application does.
WRITER_SCRIPT = """
import sys, time
from haystack import Document
from extractive_qa.components.document_stores.tantivy import TantivyDocumentStore

path, prefix, batches, batch_size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
store = TantivyDocumentStore(path, lock_timeout=60)
print("ready", flush=True)
sys.stdin.readline()  # "go"
started = time.monotonic()
for batch in range(batches):
    ids = [f"{prefix}-{batch}-{i}" for i in range(batch_size)]
    store.write_documents([Document(id=doc_id, content=f"{doc_id} passage " * 20) for doc_id in ids])
print("wrote", started, time.monotonic(), flush=True)
"""

LOCK_HOLDER_SCRIPT = """
import sys, time
import tantivy

writer = tantivy.Index.open(sys.argv[1]).writer(heap_size=15_000_000, num_threads=1)
print("locked", flush=True)
time.sleep(60)
"""


def start_child(script: str, *args: str) -> subprocess.Popen:
    """Starts a child process and waits until it says it is ready (or holds the lock)."""
    child = subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first_line = child.stdout.readline().strip()
    assert first_line in ("ready", "locked"), child.stderr.read()
    return child


def go(*children: subprocess.Popen) -> None:
    for child in children:
        child.stdin.write("go\n")
        child.stdin.flush()


class TestSeveralThreads:
    def test_threads_sharing_a_store_wait_for_each_other(self, store: TantivyDocumentStore) -> None:
        def write(name: str) -> None:
            for batch in range(5):
                store.write_documents(passages(f"{name}-{batch}.txt", 20))

        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(write, ["t0", "t1", "t2", "t3"]))
        assert store.count_documents() == 4 * 5 * 20


class TestSeveralProcesses:
    def test_two_processes_writing_at_once_lose_nothing(self, store: TantivyDocumentStore, index_path: str) -> None:
        children = [start_child(WRITER_SCRIPT, index_path, name, "15", "40") for name in ("left", "right")]
        go(*children)
        spans = []
        for child in children:
            out, err = child.communicate(timeout=120)
            assert child.returncode == 0, err
            spans.append([float(value) for value in out.split()[1:]])
        assert max(start for start, _end in spans) < min(end for _start, end in spans)  # they did write at once
        assert store.count_documents() == 2 * 15 * 40  # this store object, opened before, sees their commits
        assert (
            store.count_documents_by_filter({"field": "id", "operator": "in", "value": ["left-14-39", "right-0-0"]})
            == 2
        )

    def test_a_writer_killed_mid_write_leaves_the_last_commit(
        self, store: TantivyDocumentStore, index_path: str
    ) -> None:
        child = start_child(WRITER_SCRIPT, index_path, "killed", "10000", "500")
        go(child)
        deadline = time.monotonic() + 240  # generous: the machine may be busy
        while store.count_documents() < 1000 and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.02)
        if child.poll() is not None:
            pytest.fail(
                f"the writer ended (status {child.returncode}) before it could be killed:\n{child.stderr.read()}"
            )
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)

        reopened = TantivyDocumentStore(index_path, lock_timeout=5)
        committed = reopened.count_documents()
        assert committed >= 1000
        assert committed % 500 == 0  # whole writes only
        assert reopened.write_documents(passages("after.txt", 10)) == 10
        assert reopened.count_documents() == committed + 10
        assert len(reopened.filter_documents({"field": "meta.file_name", "operator": "==", "value": "after.txt"})) == 10

    def test_waiting_for_another_writer_times_out_with_a_clear_error(
        self, store: TantivyDocumentStore, index_path: str
    ) -> None:
        store.write_documents(passages("a.txt", 1))
        holder = start_child(LOCK_HOLDER_SCRIPT, index_path)
        try:
            waiting = TantivyDocumentStore(index_path, lock_timeout=0.3)
            started = time.monotonic()
            with pytest.raises(IndexBusyError) as raised:
                waiting.write_documents(passages("b.txt", 1))
            assert time.monotonic() - started >= 0.3
            message = str(raised.value)
            assert "\n" not in message
            assert f"Another process is writing to the tantivy index at '{index_path}'" in message
            assert waiting.count_documents() == 1  # reading needs no lock
        finally:
            holder.kill()
            holder.wait(timeout=30)
        assert waiting.write_documents(passages("b.txt", 1)) == 1  # the dead holder's lock is gone
