"""The components' shared helpers: documents with their text rewritten keep what did not change."""

from __future__ import annotations

from haystack import Document

from extractive_qa.components.utils import rewrite_contents


def test_rewritten_documents_get_a_new_id_and_keep_their_meta_the_others_pass_as_they_are() -> None:
    changed = Document(content="a b", meta={"file_path": "a.pdf"})
    same = Document(content="C D", meta={"file_path": "b.pdf"})
    empty = Document(content=None, meta={"file_path": "c.pdf"})
    out = rewrite_contents([changed, same, empty], str.upper)
    assert [d.content for d in out] == ["A B", "C D", None]
    assert out[0].meta == changed.meta and out[0].id == Document(content="A B", meta=changed.meta).id
    assert out[1] is same and out[2] is empty
