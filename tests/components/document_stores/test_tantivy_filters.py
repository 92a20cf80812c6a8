"""
The tantivy store's own ordering comparisons (`ordering_holds`): Haystack's rules, without Haystack's private helpers,
checked against Haystack's public `document_matches_filter` on the installed major.
"""

from __future__ import annotations

import ast
from datetime import datetime, timezone
from pathlib import Path

import pytest
from haystack import Document
from haystack.errors import FilterError
from haystack.utils.filters import document_matches_filter

from extractive_qa.components.document_stores.tantivy import filters
from extractive_qa.components.document_stores.tantivy.filters import ORDERING_OPERATORS, ordering_holds, parse_date

VALUES = [
    1,
    2.5,
    -3,
    True,
    "1969-07-21T20:17:40",
    "1972-12-11T19:54:58+00:00",
    "1989-11-09 17:53:00",
    "2024-01-01T01:00:00+01:00",
    "12 Dec 1972",
    None,
]


@pytest.mark.parametrize("operator", ORDERING_OPERATORS)
@pytest.mark.parametrize("stored", VALUES, ids=repr)
@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_ordering_is_haystacks(operator: str, stored: object, value: object) -> None:
    condition = {"field": "meta.v", "operator": operator, "value": value}
    document = Document(content="x", meta={"v": stored})
    try:
        expected: object = document_matches_filter(condition, document)
    except (FilterError, TypeError):
        expected = FilterError
    try:
        got: object = ordering_holds(operator, stored, value)
    except (FilterError, TypeError):
        got = FilterError
    assert got == expected


def test_a_naive_date_takes_the_aware_ones_time_zone() -> None:
    aware = datetime(2024, 1, 1, 12, tzinfo=timezone.utc).isoformat()
    assert ordering_holds(">=", "2024-01-01T12:00:00", aware)
    assert not ordering_holds(">", "2024-01-01T12:00:00", aware)
    assert ordering_holds("<", "2024-01-01T11:59:59", aware)


def test_errors() -> None:
    with pytest.raises(FilterError, match="ISO formatted dates"):
        parse_date("not a date")
    with pytest.raises(FilterError, match="can't be of type"):
        ordering_holds(">", 1, [1, 2])
    with pytest.raises(FilterError, match="datetime with a non-datetime"):
        ordering_holds(">", 5, datetime(2024, 1, 1))
    with pytest.raises(FilterError, match="Unknown ordering operator"):
        ordering_holds("==", 1, 1)


def test_no_private_haystack_name_is_used() -> None:
    tree = ast.parse(Path(filters.__file__).read_text(encoding="utf-8"))
    taken = [
        (node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("haystack")
        for alias in node.names
    ]
    assert taken and not [name for module, name in taken if name.startswith("_") or "._" in module]
