"""
Translates Haystack filter dicts into tantivy queries over the store's schema.

Every operator of Haystack's filter syntax (`==`, `!=`, `>`, `>=`, `<`, `<=`, `in`, `not in`, `AND`, `OR`, `NOT`) is
translated. Where the index holds what the comparison needs, the query is exact, and it stays in tantivy however many
documents there are:

- `meta.*` equality and `in` (any scalar: str, int, float, bool; Python's `1 == 1.0 == True` kept), `id` equality
  and `in` (term set queries, so lists of tens of thousands of values are fine), `== None` / `!= None` on any field;
- `meta.*` ordering comparisons (`>`, `>=`, `<`, `<=`): the distinct values of that one field are read from the term
  dictionary and each is compared by `ordering_holds` (this module's own comparison, Haystack's rules: numbers, ISO
  dates with Haystack's naive/aware rules), which selects the terms of a term set query;
- `!=`, `not in` and `NOT` of exact parts, and `AND` / `OR` of any parts.

What the index cannot decide - `content` equality or ordering, ordering on `id`, comparisons with list or dict
values, `blob` / `embedding` values, strings longer than `MAX_INDEXED_STRING_CHARS` - becomes a query for a superset
of the matches and the result is marked inexact: the store then checks the candidates with Haystack's
`document_matches_filter`, so results are always Haystack's.

Errors follow Haystack: malformed filters, unknown operators, an `in` value that is not a list, an ordering
comparison with a list or with a string that is not a date raise `FilterError` (eagerly, whatever the data), and so
does an ordering comparison where a stored value of the field cannot be compared with the filter value (a number
stored where the filter compares dates). One difference: Haystack raises the latter only for documents it reaches
(an earlier `AND` condition may have rejected them), this translation for any document holding such a value.

Only Haystack's public API is used (`FilterError`, `document_matches_filter`, `Document`): the comparisons are this
module's own, so that a Haystack release changing its private helpers cannot break the filters (Haystack 3 gave them
a required `strict_datetime_comparison` argument). They follow Haystack 2.x and 3.x alike, whose default
(`strict_datetime_comparison=False`) gives a naive date the time zone of the aware one it is compared with. One
Haystack 3 rule is not followed in exact queries: there `==` also counts two ISO date strings naming the same instant
as equal ("2024-01-01T00:00:00+00:00" and "2024-01-01T01:00:00+01:00"); here `==` and `in` match the value as stored.
"""

import operator as operators
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime
from enum import Enum
from typing import Any

import dateutil.parser
import tantivy
from haystack import Document
from haystack.errors import FilterError

from extractive_qa.components.document_stores.tantivy.document_codec import (
    MAX_INDEXED_STRING_CHARS,
    decode_meta_value,
    meta_equality_terms,
)
from extractive_qa.components.document_stores.tantivy.schema import (
    CONTENT_FIELD,
    FIELD_SEPARATOR,
    ID_FIELD,
    META_VALUES_FIELD,
    PRESENT_FIELDS_FIELD,
    UNINDEXED_FIELDS_FIELD,
    build_content_analyzer,
)

LOGICAL_OPERATORS = ("AND", "OR", "NOT")
ORDERING_OPERATORS = (">", ">=", "<", "<=")
COMPARISON_OPERATORS = ("==", "!=", *ORDERING_OPERATORS, "in", "not in")
_ORDERINGS: dict[str, Callable[[Any, Any], bool]] = {
    ">": operators.gt,
    ">=": operators.ge,
    "<": operators.lt,
    "<=": operators.le,
}
_DOCUMENT_FIELDS = {f.name for f in fields(Document)}


@dataclass(frozen=True)
class TantivyFilter:
    """
    A tantivy query for a Haystack filter.

    :param query: The query.
    :param exact: `True` when the query matches exactly the documents the filter matches; `False` when it matches a
        superset, which must be checked with `haystack.utils.filters.document_matches_filter`.
    """

    query: tantivy.Query
    exact: bool


class _FieldKind(Enum):
    ID = "id"
    CONTENT = "content"
    META = "meta"  # a value under `meta`, indexed as terms
    ATTRIBUTE = "attribute"  # `blob`, `embedding`, `sparse_embedding` or the whole `meta` dict: only presence indexed
    ALWAYS_NONE = "always_none"  # `score` (not stored) or a path below a non-dict attribute (Haystack reads None)


@dataclass(frozen=True)
class _Field:
    kind: _FieldKind
    name: str


def translate_filters(filters: dict[str, Any], schema: tantivy.Schema, searcher: tantivy.Searcher) -> TantivyFilter:
    """
    Translates a Haystack filter into a tantivy query.

    :param filters: The filter, in Haystack's syntax (a comparison or a logical condition).
    :param schema: The index's schema.
    :param searcher: A searcher of the index, for the distinct values that ordering comparisons select from.
    :returns: The query, and whether it is exact.
    :raises FilterError: If the filter is malformed or compares with an invalid value.
    """
    return _Translator(schema, searcher).translate(filters)


class _Translator:
    def __init__(self, schema: tantivy.Schema, searcher: tantivy.Searcher) -> None:
        self._schema = schema
        self._searcher = searcher

    def translate(self, condition: Any) -> TantivyFilter:
        if not isinstance(condition, dict):
            raise FilterError(
                f"A filter condition must be a dict, received {type(condition).__name__}: {_shown(condition)}"
            )
        if "field" in condition:
            return self._comparison(condition)
        return self._logical(condition)

    # Logical conditions

    def _logical(self, condition: dict[str, Any]) -> TantivyFilter:
        if "operator" not in condition:
            raise FilterError(f"'operator' key missing in {_shown(condition)}")
        if "conditions" not in condition:
            raise FilterError(f"'conditions' key missing in {_shown(condition)}")
        operator = condition["operator"]
        if operator not in LOGICAL_OPERATORS:
            raise FilterError(
                f"Unknown logical operator '{operator}'. Valid operators are: {sorted(LOGICAL_OPERATORS)}"
            )
        conditions = condition["conditions"]
        if not isinstance(conditions, list):
            raise FilterError(
                f"'conditions' must be a list, received {type(conditions).__name__} in {_shown(condition)}"
            )
        parts = [self.translate(part) for part in conditions]
        if operator == "AND":
            return _all_of(parts)
        if operator == "OR":
            return _any_of(parts)
        return _negation(_all_of(parts))

    # Comparisons

    def _comparison(self, condition: dict[str, Any]) -> TantivyFilter:
        if "operator" not in condition:
            raise FilterError(f"'operator' key missing in {_shown(condition)}")
        if "value" not in condition:
            raise FilterError(f"'value' key missing in {_shown(condition)}")
        operator = condition["operator"]
        if operator not in COMPARISON_OPERATORS:
            raise FilterError(
                f"Unknown comparison operator '{operator}'. Valid operators are: {sorted(COMPARISON_OPERATORS)}"
            )
        field = _resolve_field(condition["field"])
        value = condition["value"]
        if operator == "==":
            return self._equal(field, value)
        if operator == "!=":
            return _negation(self._equal(field, value))
        if operator == "in":
            return self._in(field, value)
        if operator == "not in":
            return _negation(self._in(field, value))
        return self._ordering(field, operator, value)

    def _equal(self, field: _Field, value: Any) -> TantivyFilter:
        if value is None:
            if field.kind is _FieldKind.ID:
                return _NOTHING
            if field.kind is _FieldKind.ALWAYS_NONE:
                return _EVERYTHING
            return _negation(self._present(field))
        if field.kind is _FieldKind.ALWAYS_NONE:
            return _NOTHING
        if field.kind is _FieldKind.ID:
            if not isinstance(value, str):
                return _NOTHING
            return TantivyFilter(tantivy.Query.term_query(self._schema, ID_FIELD, value), exact=True)
        if field.kind is _FieldKind.CONTENT:
            if not isinstance(value, str):
                return _NOTHING
            return self._content_superset(value)
        if field.kind is _FieldKind.META and isinstance(value, (str, bool, int, float)):
            if isinstance(value, str) and len(value) > MAX_INDEXED_STRING_CHARS:
                return TantivyFilter(self._term(UNINDEXED_FIELDS_FIELD, field.name), exact=False)
            return TantivyFilter(self._term_set(META_VALUES_FIELD, meta_equality_terms(field.name, value)), exact=True)
        # A list, dict or other value compared with stored values the index holds no terms for.
        return TantivyFilter(self._present(field).query, exact=False)

    def _in(self, field: _Field, values: Any) -> TantivyFilter:
        if not isinstance(values, list):
            raise FilterError(
                f"Filter value must be a `list` when using operator 'in' or 'not in', received type '{type(values)}'"
            )
        # Values that become plain terms are gathered into one term set query.
        terms: list[str] = []
        others: list[TantivyFilter] = []
        for value in values:
            if field.kind is _FieldKind.ID and isinstance(value, str):
                terms.append(value)
            elif (
                field.kind is _FieldKind.META
                and isinstance(value, (str, bool, int, float))
                and not (isinstance(value, str) and len(value) > MAX_INDEXED_STRING_CHARS)
            ):
                terms.extend(meta_equality_terms(field.name, value))
            else:
                others.append(self._equal(field, value))
        if terms:
            index_field = ID_FIELD if field.kind is _FieldKind.ID else META_VALUES_FIELD
            others.append(TantivyFilter(self._term_set(index_field, terms), exact=True))
        return _any_of(others)

    def _ordering(self, field: _Field, operator: str, value: Any) -> TantivyFilter:
        if value is None:
            return _NOTHING  # Haystack: None can't be compared with '>', '>=', '<', '<='
        if isinstance(value, list):
            raise FilterError(f"Filter value can't be of type {type(value)} using operators '>', '>=', '<', '<='")
        if isinstance(value, str):
            parse_date(value)  # raises FilterError unless the string is a date
        if field.kind is _FieldKind.ALWAYS_NONE:
            return _NOTHING
        if field.kind is not _FieldKind.META:
            return TantivyFilter(self._present(field).query, exact=False)

        prefix = f"{field.name}{FIELD_SEPARATOR}"
        matching = []
        for term, _count in self._searcher.terms_with_prefix(META_VALUES_FIELD, prefix):
            stored = decode_meta_value(term[len(prefix) :])
            try:
                if ordering_holds(operator, stored, value):
                    matching.append(term)
            except (FilterError, TypeError) as error:
                if self._searcher.search(self._term(META_VALUES_FIELD, term), limit=1, count=True).count == 0:
                    continue  # the term is left only by deleted documents
                # The stored value stays out of the message: a filter must not read out what it compares with.
                raise FilterError(
                    f"Can't compare the values of '{field.name}' with {value!r} using operator '{operator}': {error}"
                ) from error
        selected = TantivyFilter(self._term_set(META_VALUES_FIELD, matching), exact=True)
        if self._searcher.doc_freq(UNINDEXED_FIELDS_FIELD, field.name) == 0:
            return selected
        # Some documents hold a value here that is not indexed (an over-long string): let them through to be checked.
        return _any_of([selected, TantivyFilter(self._term(UNINDEXED_FIELDS_FIELD, field.name), exact=False)])

    # Query building blocks

    def _present(self, field: _Field) -> TantivyFilter:
        """The documents whose value of `field` is not None."""
        if field.kind is _FieldKind.ID:
            return _EVERYTHING
        if field.kind is _FieldKind.ALWAYS_NONE:
            return _NOTHING
        return TantivyFilter(self._term(PRESENT_FIELDS_FIELD, field.name), exact=True)

    def _content_superset(self, value: str) -> TantivyFilter:
        """Documents whose content holds every term of `value`: a superset of those whose content equals it."""
        terms = list(dict.fromkeys(build_content_analyzer().analyze(value)))
        if not terms:
            return TantivyFilter(self._term(PRESENT_FIELDS_FIELD, "content"), exact=False)
        clauses = [(tantivy.Occur.Must, self._term(CONTENT_FIELD, term)) for term in terms]
        return TantivyFilter(tantivy.Query.boolean_query(clauses), exact=False)

    def _term(self, index_field: str, term: str) -> tantivy.Query:
        return tantivy.Query.term_query(self._schema, index_field, term)

    def _term_set(self, index_field: str, terms: list[str]) -> tantivy.Query:
        if not terms:
            return tantivy.Query.empty_query()
        if len(terms) == 1:
            return self._term(index_field, terms[0])
        return tantivy.Query.term_set_query(self._schema, index_field, terms)


_EVERYTHING = TantivyFilter(tantivy.Query.all_query(), exact=True)
_NOTHING = TantivyFilter(tantivy.Query.empty_query(), exact=True)


def ordering_holds(operator: str, stored: Any, value: Any) -> bool:
    """
    Whether `stored <operator> value` holds for an ordering operator, by Haystack's rules.

    None on either side never compares; when either side is a string both are read as dates (ISO 8601, else what
    `dateutil` reads); a naive date takes the time zone of an aware one. Numbers compare as numbers.

    Usage example:
    ```python
    from extractive_qa.components.document_stores.tantivy.filters import ordering_holds

    assert ordering_holds(">", "1972-12-11T19:54:58", "1969-07-21T20:17:40")
    assert ordering_holds("<=", 3, 3.0)
    assert not ordering_holds("<", None, 1)
    ```

    :param operator: One of `>`, `>=`, `<`, `<=`.
    :param stored: The document's value.
    :param value: The filter's value.
    :returns: Whether the comparison holds.
    :raises FilterError: If the operator is not an ordering one, a string is not a date, the filter value is a list,
        or a date is compared with a value that is not one.
    :raises TypeError: If the values cannot be ordered (a number and a dict, say).
    """
    if operator not in _ORDERINGS:
        raise FilterError(f"Unknown ordering operator '{operator}'. Valid operators are: {list(ORDERING_OPERATORS)}")
    if stored is None or value is None:
        return False  # Haystack: None can't be compared with '>', '>=', '<', '<='
    if isinstance(stored, str) or isinstance(value, str):
        stored = stored if isinstance(stored, datetime) else parse_date(stored)
        value = value if isinstance(value, datetime) else parse_date(value)
    if isinstance(value, list):
        raise FilterError(f"Filter value can't be of type {type(value)} using operators '>', '>=', '<', '<='")
    if isinstance(stored, datetime) != isinstance(value, datetime):
        raise FilterError("Can't compare a datetime with a non-datetime value using operators '>', '>=', '<', '<='")
    if isinstance(stored, datetime) and (stored.tzinfo is None) != (value.tzinfo is None):
        if stored.tzinfo is None:
            stored = stored.replace(tzinfo=value.tzinfo)
        else:
            value = value.replace(tzinfo=stored.tzinfo)
    return _ORDERINGS[operator](stored, value)


def parse_date(value: Any) -> datetime:
    """
    Reads a filter's or a stored value as a date, as Haystack does: ISO 8601 first, then what `dateutil` reads.

    :raises FilterError: If the value is no date.
    """
    try:
        return datetime.fromisoformat(value)
    except (ValueError, TypeError):
        try:
            return dateutil.parser.parse(value)
        except (ValueError, TypeError, OverflowError) as error:
            raise FilterError(
                "Can't compare strings using operators '>', '>=', '<', '<='. "
                "Strings are only comparable if they are ISO formatted dates."
            ) from error


def _shown(condition: Any, limit: int = 200) -> str:
    """A condition for an error message, cut short (an `in` list may hold thousands of values)."""
    text = repr(condition)
    return text if len(text) <= limit else f"{text[:limit]}..."


def _resolve_field(field: Any) -> _Field:
    """Which part of a document a filter's field names, following `haystack.utils.filters`."""
    if not isinstance(field, str):
        raise FilterError(f"A filter's 'field' must be a string, received {type(field).__name__}: {field!r}")
    if "." in field:
        head, rest = field.split(".", 1)
        if head == "meta":
            return _Field(_FieldKind.META, field)
        if head in _DOCUMENT_FIELDS:
            return _Field(_FieldKind.ALWAYS_NONE, field)  # only `meta` is a dict: Haystack reads None below the rest
        raise FilterError(f"Unknown field '{field}': use 'meta.{rest}' style paths under 'meta', or a Document field")
    if field == ID_FIELD:
        return _Field(_FieldKind.ID, field)
    if field == CONTENT_FIELD:
        return _Field(_FieldKind.CONTENT, field)
    if field == "score":
        return _Field(_FieldKind.ALWAYS_NONE, field)  # scores are not stored
    if field in _DOCUMENT_FIELDS:
        return _Field(_FieldKind.ATTRIBUTE, field)
    return _Field(_FieldKind.META, f"meta.{field}")  # a legacy filter field without the 'meta.' prefix


def _all_of(parts: list[TantivyFilter]) -> TantivyFilter:
    parts = [part for part in parts if part is not _EVERYTHING]
    if not parts:
        return _EVERYTHING
    if len(parts) == 1:
        return parts[0]
    query = tantivy.Query.boolean_query([(tantivy.Occur.Must, part.query) for part in parts])
    return TantivyFilter(query, exact=all(part.exact for part in parts))


def _any_of(parts: list[TantivyFilter]) -> TantivyFilter:
    parts = [part for part in parts if part is not _NOTHING]
    if not parts:
        return _NOTHING
    if len(parts) == 1:
        return parts[0]
    query = tantivy.Query.boolean_query([(tantivy.Occur.Should, part.query) for part in parts])
    return TantivyFilter(query, exact=all(part.exact for part in parts))


def _negation(part: TantivyFilter) -> TantivyFilter:
    if not part.exact:
        return TantivyFilter(tantivy.Query.all_query(), exact=False)  # the complement of a superset is no superset
    if part is _EVERYTHING:
        return _NOTHING
    if part is _NOTHING:
        return _EVERYTHING
    query = tantivy.Query.boolean_query(
        [(tantivy.Occur.Must, tantivy.Query.all_query()), (tantivy.Occur.MustNot, part.query)]
    )
    return TantivyFilter(query, exact=True)
