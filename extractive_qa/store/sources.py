"""
The sources a store holds (the files, texts and uploads its passages came from): listing them and removing them, the
same way on every store (the embedded tantivy index, Haystack's in-memory store, Elasticsearch).

A source is what one `meta.file_path` names: a file's absolute path, or a text's or upload's name. The indexer
stores with every passage what a source was when it was indexed (`SOURCE_META_KEYS`: its type, size, modification
time and content hash; not the time of indexing, which would change the passages' ids at every run); listing reads
those back, and incremental indexing compares them with the files on disk. Removing a source deletes every passage
of that `meta.file_path` and nothing else.

Usage example:
```python
from extractive_qa.settings import Settings
from extractive_qa.store.configured_store import open_store
from extractive_qa.store.sources import list_sources, remove_source

store = open_store(Settings.from_env())
for source in list_sources(store, name_filter="oxygen"):
    print(source.name, source.type, source.passages, source.pages, source.size, source.modified)
remove_source(store, "/home/me/docs/Oxygen.txt")  # SourceNotFound (a 404, exit 2) where nothing is indexed
```
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from extractive_qa.errors import AmbiguousSource, InvalidField, SourceNotFound
from extractive_qa.store.elasticsearch import index_name, is_elasticsearch, make_searchable
from extractive_qa.utils import has_unprintable

#: What the indexer stores with each passage about its source (see `source_meta`).
SOURCE_TYPE = "source_type"
SOURCE_SIZE = "source_size"
SOURCE_MTIME = "source_mtime_ns"
SOURCE_HASH = "source_sha256"
SOURCE_META_KEYS = frozenset({SOURCE_TYPE, SOURCE_SIZE, SOURCE_MTIME, SOURCE_HASH})
#: Characters of a source's id (a digest of its `meta.file_path`): what HTTP names a source by without its path.
SOURCE_ID_CHARS = 16
#: Longest name filter or source key accepted.
MAX_KEY_CHARS = 1000
#: Metadata paths (`meta.file_path` values) per delete or read request.
PATHS_PER_REQUEST = 1000
# Elasticsearch: documents per scroll page when reading the passages' metadata.
_SCAN_PAGE = 5000


def source_id(path: str) -> str:
    """The short, stable id of a source (a digest of its `meta.file_path`): names it without revealing a path."""
    return hashlib.sha256(path.encode("utf-8", "surrogatepass")).hexdigest()[:SOURCE_ID_CHARS]


def source_meta(kind: str, size: int, sha256: str, mtime_ns: int | None = None) -> dict[str, Any]:
    """
    The metadata the indexer gives every passage of a source. It is part of the passages' ids (Haystack's default
    id hashes the meta), so it holds only what the source's state decides: the same file indexed again (`--full`, or
    into another store) gets the same ids.

    :param kind: The document type's name ("text", "PDF", ...).
    :param size: The source's size in bytes.
    :param sha256: The hex digest of the source's bytes.
    :param mtime_ns: A file's modification time (nanoseconds); `None` for texts and uploads.
    """
    meta: dict[str, Any] = {SOURCE_TYPE: kind, SOURCE_SIZE: size, SOURCE_HASH: sha256}
    if mtime_ns is not None:
        meta[SOURCE_MTIME] = mtime_ns
    return meta


def iso_time(nanoseconds: int | None) -> str | None:
    """A modification time as the listing shows it (UTC, ISO 8601, to the second)."""
    if nanoseconds is None:
        return None
    return datetime.fromtimestamp(nanoseconds / 1e9, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Source:
    """One source in the store, as its passages describe it."""

    path: str
    """Its `meta.file_path`: a file's absolute path, or a text's or upload's name."""
    name: str
    """Its `meta.file_name` (what answers cite as `source`)."""
    type: str
    passages: int
    pages: int | None = None
    """The last page any passage stands on (where passages carry page numbers)."""
    size: int | None = None
    """Bytes, when indexed (`None` for passages indexed before sources were recorded)."""
    sha256: str | None = None
    mtime_ns: int | None = None
    """A file's modification time as indexed (`None` for texts and uploads)."""

    @property
    def modified(self) -> str | None:
        """The file's modification time as indexed (the version of it the store holds), ISO 8601 UTC."""
        return iso_time(self.mtime_ns)

    @property
    def id(self) -> str:
        """See `source_id`."""
        return source_id(self.path)

    def to_dict(self, *, show_path: bool = True) -> dict[str, Any]:
        """The source as JSON: `path` is `None` unless `show_path` (a server hides its own paths)."""
        return {
            "id": self.id,
            "name": self.name,
            "path": self.path if show_path else None,
            "type": self.type,
            "passages": self.passages,
            "pages": self.pages,
            "size": self.size,
            "modified": self.modified,
        }


def read_sources(store: Any, paths: Iterable[str] | None = None) -> dict[str, Source]:
    """
    The sources of the store by `meta.file_path` (all of them, or those of `paths` that are in the store), from one
    pass over the passages' metadata.
    """
    counts: dict[str, int] = {}
    pages: dict[str, int] = {}
    first: dict[str, dict[str, Any]] = {}
    for meta in _passage_metas(store, None if paths is None else list(dict.fromkeys(paths))):
        path = meta.get("file_path")
        if not isinstance(path, str):
            continue
        counts[path] = counts.get(path, 0) + 1
        page = meta.get("page_number")
        if isinstance(page, int) and not isinstance(page, bool):
            pages[path] = max(page, pages.get(path, 0))
        if path not in first:
            first[path] = meta
    return {path: _source(path, first[path], counts[path], pages.get(path)) for path in counts}


def list_sources(store: Any, name_filter: str | None = None) -> list[Source]:
    """
    The store's sources sorted by name (then path); with `name_filter`, those whose name or path holds it (case
    ignored).

    :raises InvalidField: If the filter is too long or holds control characters.
    """
    sources = read_sources(store).values()
    if name_filter:
        check_key(name_filter, "name")
        wanted = name_filter.casefold()
        sources = [s for s in sources if wanted in s.name.casefold() or wanted in s.path.casefold()]
    return sorted(sources, key=lambda s: (s.name.casefold(), s.path))


def find_source(store: Any, key: str, *, by_path: bool = True) -> Source:
    """
    The source `key` names: its id (`Source.id`), its `meta.file_path` (where `by_path`), or its name when one source
    alone has that name.

    :param by_path: Whether a path may name it (a server that hides its paths names sources by id or name only).
    :raises InvalidField: If the key is empty, too long or holds control characters.
    :raises SourceNotFound: If no source matches (`AmbiguousSource`: several by that name); nothing is changed.
    """
    check_key(key, "source")
    sources = read_sources(store)
    for source in sources.values():
        if source.id == key or (by_path and source.path == key):
            return source
    named = [source for source in sources.values() if source.name == key]
    if len(named) == 1:
        return named[0]
    if named:
        ids = ", ".join(sorted(source.id for source in named))
        raise AmbiguousSource(f"{len(named)} sources are named {key!r}: name one by its id ({ids})")
    raise SourceNotFound(f"no source {key!r} in the store (see 'extractive-qa sources' or GET /sources)")


def remove_sources(store: Any, paths: Iterable[str]) -> int:
    """
    Removes every passage of the sources named by `paths` (`meta.file_path` values), and nothing else; the store is
    searchable afterwards.

    :returns: The number of passages removed.
    """
    removed = 0
    for group in _groups(list(dict.fromkeys(paths))):
        removed += store.delete_by_filter(filters={"field": "meta.file_path", "operator": "in", "value": group})
    make_searchable(store)
    return removed


def remove_source(store: Any, key: str, *, by_path: bool = True) -> tuple[Source, int]:
    """
    Removes one source (named as `find_source` takes it): all its passages, nothing else.

    :returns: The source removed and the number of passages removed.
    :raises SourceNotFound: If no source matches (nothing is changed).
    """
    source = find_source(store, key, by_path=by_path)
    return source, remove_sources(store, [source.path])


def check_key(key: str, field: str) -> None:
    """
    Refuses a source key or name filter that cannot name a source: empty, over `MAX_KEY_CHARS`, control characters.

    :raises InvalidField: Naming `field`.
    """
    if not isinstance(key, str) or not key.strip():
        raise InvalidField(field, f"{field} is empty")
    if len(key) > MAX_KEY_CHARS:
        raise InvalidField(field, f"{field} is too long ({len(key)} characters; the limit is {MAX_KEY_CHARS})")
    if has_unprintable(key):
        raise InvalidField(field, f"{field} holds control characters")


# ---- reading the passages' metadata, per store ---------------------------------------------------------------------


def _passage_metas(store: Any, paths: list[str] | None) -> Iterator[dict[str, Any]]:
    """The metadata of every passage (or of the passages of `paths`), without their text where the store allows."""
    if paths is not None and not paths:
        return
    groups: list[list[str] | None] = list(_groups(paths)) if paths is not None else [None]
    for group in groups:
        filters = {"field": "meta.file_path", "operator": "in", "value": group} if group is not None else None
        if is_elasticsearch(store):
            yield from _elasticsearch_metas(store, group)
        else:
            for document in store.filter_documents(filters=filters):
                yield document.meta


def _elasticsearch_metas(store: Any, paths: list[str] | None) -> Iterator[dict[str, Any]]:
    """Elasticsearch: the metadata of the passages, scrolled in large pages without their text (`filter_documents`
    reads ten documents a request, with their text)."""
    from elasticsearch import NotFoundError, helpers

    query: dict[str, Any] = {"match_all": {}} if paths is None else {"terms": {"file_path": paths}}
    try:
        for hit in helpers.scan(
            store.client,
            index=index_name(store),
            query={"query": query},
            size=_SCAN_PAGE,
            _source_excludes=["content", "embedding", "sparse_embedding", "blob"],
        ):
            source = hit.get("_source") or {}
            yield {key: value for key, value in source.items() if key not in ("id", "score")}
    except NotFoundError:  # no index yet: no passages
        return


def _groups(paths: list[str] | None) -> Iterator[list[str]]:
    assert paths is not None
    for start in range(0, len(paths), PATHS_PER_REQUEST):
        yield paths[start : start + PATHS_PER_REQUEST]


def _source(path: str, meta: dict[str, Any], passages: int, pages: int | None) -> Source:
    name = meta.get("file_name")
    name = name if isinstance(name, str) and name else path.replace("\\", "/").rsplit("/", 1)[-1]
    kind = meta.get(SOURCE_TYPE)
    if not isinstance(kind, str) or not kind:
        kind = name.rsplit(".", 1)[-1].lower() if "." in name else "text"
    return Source(
        path=path,
        name=name,
        type=kind,
        passages=passages,
        pages=pages,
        size=_int(meta.get(SOURCE_SIZE)),
        sha256=meta.get(SOURCE_HASH) if isinstance(meta.get(SOURCE_HASH), str) else None,
        mtime_ns=_int(meta.get(SOURCE_MTIME)),
    )


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
