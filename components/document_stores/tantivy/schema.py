"""
The tantivy schema of a `TantivyDocumentStore` index, and the English analyzer that BM25 queries share with it.

One tantivy document per Haystack `Document`:

| field              | kind                                   | used for                                          |
|--------------------|----------------------------------------|---------------------------------------------------|
| `id`               | text, `raw` tokenizer, indexed, stored | exact lookups, duplicate checks, deletes by id    |
| `content`          | text, `en_stem` tokenizer, freqs only  | BM25 (English stemming; no positions are needed)  |
| `document`         | bytes, stored only                     | the `Document` as JSON, so it round-trips exactly |
| `meta_values`      | text, `raw` tokenizer, indexed         | metadata filters: one term per scalar meta value  |
| `present_fields`   | text, `raw` tokenizer, indexed         | `== None` / `!= None`: the fields that have a value |
| `unindexed_fields` | text, `raw` tokenizer, indexed         | fields whose value is too long to be a term       |
| `seq`              | i64, fast                              | insertion order (filter results come back in it)  |

A meta value is indexed as the term `"<field>\\x1f<kind><value>"`, e.g. `"meta.file_name\\x1fsreport.pdf"` or
`"meta.page_number\\x1fi3"` (kinds: `s` str, `i` int, `f` float, `b` bool; numbers as Python writes them). Equality
filters become term (set) queries; ordering filters (`>`, `<`, ISO dates, ...) walk the distinct terms of the one field
(`Searcher.terms_with_prefix`) and compare each distinct value with Haystack's own comparison, so both keep Haystack's
exact semantics while the work stays in the index. Tantivy's own JSON fields were not used: their range queries do
not take JSON paths and they index date-like strings as dates, which would break string equality.
"""

import functools
from typing import Any

import tantivy

FIELD_SEPARATOR = "\x1f"

ID_FIELD = "id"
CONTENT_FIELD = "content"
DOCUMENT_FIELD = "document"
META_VALUES_FIELD = "meta_values"
PRESENT_FIELDS_FIELD = "present_fields"
UNINDEXED_FIELDS_FIELD = "unindexed_fields"
SEQ_FIELD = "seq"

CONTENT_TOKENIZER = "en_stem"

# (name, tantivy type) of every field, as tantivy records them in the index's meta.json.
EXPECTED_FIELDS = {
    ID_FIELD: "text",
    CONTENT_FIELD: "text",
    DOCUMENT_FIELD: "bytes",
    META_VALUES_FIELD: "text",
    PRESENT_FIELDS_FIELD: "text",
    UNINDEXED_FIELDS_FIELD: "text",
    SEQ_FIELD: "i64",
}


def build_schema() -> tantivy.Schema:
    """
    Builds the schema of a new index (see the module docstring for what each field holds).
    """
    builder = tantivy.SchemaBuilder()
    builder.add_text_field(ID_FIELD, stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field(CONTENT_FIELD, tokenizer_name=CONTENT_TOKENIZER, index_option="freq")
    builder.add_bytes_field(DOCUMENT_FIELD, stored=True, indexed=False)
    builder.add_text_field(META_VALUES_FIELD, tokenizer_name="raw", index_option="basic")
    builder.add_text_field(PRESENT_FIELDS_FIELD, tokenizer_name="raw", index_option="basic")
    builder.add_text_field(UNINDEXED_FIELDS_FIELD, tokenizer_name="raw", index_option="basic")
    builder.add_integer_field(SEQ_FIELD, fast=True)
    return builder.build()


@functools.cache
def build_content_analyzer() -> tantivy.TextAnalyzer:
    """
    The (shared) analyzer of tantivy's built-in `en_stem` tokenizer, to turn a query into the terms the index holds.

    `en_stem` is tantivy's simple tokenizer (splits on anything that is not alphanumeric), then tokens longer than 40
    bytes removed, lowercasing and the English Snowball stemmer.
    """
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


def schema_mismatch(meta: dict[str, Any]) -> str | None:
    """
    Compares the schema recorded in an existing index's meta.json with this store's schema.

    :param meta: The index's meta.json, parsed (see `damage.read_meta`).
    :returns: `None` when the schemas agree, else a short description of the difference.
    """
    fields = {entry["name"]: entry["type"] for entry in meta["schema"]}
    if fields != EXPECTED_FIELDS:
        return f"its fields are {sorted(fields)}, a TantivyDocumentStore index has {sorted(EXPECTED_FIELDS)}"
    return None
