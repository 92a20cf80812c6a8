"""Texts given for indexing: what is refused, and the names texts get."""

from __future__ import annotations

from typing import Any

import pytest

from extractive_qa.errors import InvalidText
from extractive_qa.indexing.texts import as_text


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (42, "must be text or an object"),
        ({"content": 3}, "content must be text"),
        ({"content": "x", "meta": []}, "meta must be an object"),
        ({"content": "x", "meta": {"_hidden": 1}}, "reserved"),
        ({"content": "x", "meta": {"split_id": 1}}, "reserved"),
        ({"content": "x", "name": "   "}, "name must be non-empty"),
    ],
)
def test_as_text_refuses(given: Any, message: str) -> None:
    with pytest.raises(InvalidText, match=message):
        as_text(given, 0)


def test_as_text_names_a_text_by_its_content() -> None:
    assert as_text("same", 0).name == as_text({"content": "same"}, 1).name
    assert as_text("same", 0).name != as_text("other", 0).name
    assert as_text({"content": "x", "name": " n.txt "}, 0).name == "n.txt"
