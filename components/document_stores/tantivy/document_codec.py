"""
Turns Haystack `Document`s into tantivy documents of the store's schema, and back.

The whole `Document` is stored as JSON (`Document.to_dict(flatten=False)` without `score`, which is a property of a
retrieval rather than of the document), so documents round-trip exactly: content, meta, `embedding`, `blob` and
`sparse_embedding` included (tuples in meta come back as lists, JSON having no tuples). Scalar meta values, nested
dicts included, are indexed as terms for filtering (see `schema`); values inside lists are stored but not indexed.
Meta that JSON cannot hold exactly (sets, datetimes, bytes, numpy scalars, non-string keys, ...) is refused with a
`DocumentStoreError` before anything is written.
"""

import json
from typing import Any

import tantivy
from haystack import Document
from haystack.document_stores.errors import DocumentStoreError

from extractive_qa.components.document_stores.tantivy.schema import (
    CONTENT_FIELD,
    DOCUMENT_FIELD,
    FIELD_SEPARATOR,
    ID_FIELD,
    META_VALUES_FIELD,
    PRESENT_FIELDS_FIELD,
    SEQ_FIELD,
    UNINDEXED_FIELDS_FIELD,
)

# Longer strings are stored but not indexed (tantivy terms are limited to 65530 bytes, and such values are not
# filtered on); a filter on a field holding one falls back to checking the stored documents.
MAX_INDEXED_STRING_CHARS = 4096

_JSON_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def encode_document(document: Document, seq: int) -> tantivy.Document:
    """
    Builds the tantivy document that stores and indexes `document`.

    :param document: The Haystack document.
    :param seq: Its position in the store's insertion order.
    :returns: The tantivy document.
    :raises DocumentStoreError: If the document's meta holds a value that cannot be stored exactly as JSON.
    """
    present = ["meta"]
    meta_values: list[str] = []
    unindexed: list[str] = []
    for key, value in document.meta.items():
        value_type = type(value)
        # The usual case (a flat scalar), inline; anything else goes through the general walk.
        if type(key) is str and "." not in key and FIELD_SEPARATOR not in key:
            if value_type is str and len(value) <= MAX_INDEXED_STRING_CHARS:
                present.append(f"meta.{key}")
                meta_values.append(f"meta.{key}{FIELD_SEPARATOR}s{value}")
                continue
            if value_type is int:
                present.append(f"meta.{key}")
                meta_values.append(f"meta.{key}{FIELD_SEPARATOR}i{value}")
                continue
        _collect_meta_terms(document.id, key, value, "meta", meta_values, present, unindexed)

    fields: dict[str, Any] = {
        ID_FIELD: document.id,
        DOCUMENT_FIELD: _document_json(document),
        SEQ_FIELD: seq,
        META_VALUES_FIELD: meta_values,
    }
    if unindexed:
        fields[UNINDEXED_FIELDS_FIELD] = unindexed
    if document.content is not None:
        fields[CONTENT_FIELD] = document.content
        present.append("content")
    if document.blob is not None:
        present.append("blob")
    if document.embedding is not None:
        present.append("embedding")
    if document.sparse_embedding is not None:
        present.append("sparse_embedding")
    fields[PRESENT_FIELDS_FIELD] = present
    return tantivy.Document(**fields)


def decode_document(stored: tantivy.Document) -> Document:
    """
    Rebuilds the Haystack document from its stored tantivy document.

    :param stored: The stored fields, as `Searcher.doc()` returns them.
    :returns: The Haystack document (without a score).
    :raises ValueError: If the stored fields are not a document this store wrote (a damaged index).
    """
    try:
        return Document.from_dict(json.loads(stored.get_first(DOCUMENT_FIELD)))
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise ValueError(f"a stored document cannot be decoded ({type(error).__name__}: {error})") from error


def meta_equality_terms(field: str, value: Any) -> list[str]:
    """
    The `meta_values` terms of every indexed value that equals `value` in Python (`value == stored`).

    Python numbers compare across types (`1 == 1.0 == True`), so a number maps to up to three terms.

    :param field: The full field name.
    :param value: A str, bool, int or float.
    :returns: The terms; empty when nothing indexed can equal `value` (e.g. NaN).
    """
    prefix = f"{field}{FIELD_SEPARATOR}"
    if isinstance(value, str):
        return [f"{prefix}s{value}"]
    terms = []
    if isinstance(value, float) and not value.is_integer():
        return [f"{prefix}f{float(value) + 0.0!r}"] if value == value else []  # NaN equals nothing
    integer = int(value)
    terms.append(f"{prefix}i{integer}")
    if integer in (0, 1):
        terms.append(f"{prefix}b{bool(integer)}")
    try:
        as_float = float(integer)
    except OverflowError:
        return terms
    if as_float == integer:
        terms.append(f"{prefix}f{as_float!r}")
    return terms


def decode_meta_value(encoded: str) -> Any:
    """
    The Python value of a `meta_values` term, given the part after the field name and the separator.

    :param encoded: The kind letter followed by the value, e.g. `"i3"` or `"sreport.pdf"`.
    :returns: The value.
    """
    kind, text = encoded[0], encoded[1:]
    if kind == "s":
        return text
    if kind == "i":
        return int(text)
    if kind == "f":
        return float(text)
    return text == "True"


def _encode_scalar(value: Any) -> str | None:
    if isinstance(value, str):
        return f"s{value}" if len(value) <= MAX_INDEXED_STRING_CHARS else None
    if isinstance(value, bool):
        return f"b{bool(value)}"
    if isinstance(value, int):
        return f"i{int(value)}"
    if isinstance(value, float):
        return f"f{float(value) + 0.0!r}"  # + 0.0 turns -0.0 into 0.0, which Python finds equal
    return None


def _collect_meta_terms(
    doc_id: str,
    key: Any,
    value: Any,
    parent: str,
    meta_values: list[str],
    present: list[str],
    unindexed: list[str],
) -> None:
    if not isinstance(key, str):
        raise DocumentStoreError(
            f"Document '{doc_id}' has the meta key {key!r} ({type(key).__name__}) in '{parent}'; "
            "only string keys can be stored."
        )
    if "." in key:
        # Haystack's filters split field names on dots, so no filter can reach this key: store it, index nothing.
        _check_storable(doc_id, value, f"{parent}.{key}")
        return
    field = f"{parent}.{key}"
    if value is None:
        return
    present.append(field)
    if FIELD_SEPARATOR in key:
        _check_storable(doc_id, value, field)
        unindexed.append(field)
        return
    encoded = _encode_scalar(value)
    if encoded is not None:
        meta_values.append(f"{field}{FIELD_SEPARATOR}{encoded}")
    elif isinstance(value, str):
        unindexed.append(field)
    elif isinstance(value, dict):
        for child_key, child in value.items():
            _collect_meta_terms(doc_id, child_key, child, field, meta_values, present, unindexed)
    else:
        _check_storable(doc_id, value, field)


def _check_storable(doc_id: str, value: Any, field: str) -> None:
    if value is None or isinstance(value, (str, bool, int, float)):
        return
    if isinstance(value, (list, tuple)):
        for item in value:
            _check_storable(doc_id, item, field)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise DocumentStoreError(
                    f"Document '{doc_id}' has the meta key {key!r} ({type(key).__name__}) in '{field}'; "
                    "only string keys can be stored."
                )
            _check_storable(doc_id, item, f"{field}.{key}")
        return
    raise DocumentStoreError(
        f"Document '{doc_id}' has a meta value of type {type(value).__name__} at '{field}'; only JSON values "
        "(str, int, float, bool, None, and lists and dicts of them) can be stored."
    )


def _document_json(document: Document) -> bytes:
    body = {
        "id": document.id,
        "content": document.content,
        "blob": document.blob.to_dict() if document.blob is not None else None,
        "meta": document.meta,
        "embedding": document.embedding,
        "sparse_embedding": document.sparse_embedding.to_dict() if document.sparse_embedding is not None else None,
    }
    try:
        return _JSON_ENCODER.encode(body).encode("utf-8")
    except (TypeError, ValueError) as error:
        raise DocumentStoreError(f"Document '{document.id}' cannot be stored as JSON: {error}") from error
