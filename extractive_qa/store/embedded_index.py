"""
What the application reads of the embedded store without loading Haystack: a cold `extractive-qa count` then costs
milliseconds at any size, where importing Haystack (which imports torch) takes seconds.

Usage example:
```python
from extractive_qa.settings import Settings
from extractive_qa.store.embedded_index import passage_count

print(passage_count(Settings.from_env()))  # None: not the embedded store, or no index there yet
```
"""

from __future__ import annotations

from pathlib import Path

from extractive_qa.app.pipeline_files import EMBEDDED_STORE_TYPE, store_definition
from extractive_qa.settings import Settings


def passage_count(settings: Settings) -> int | None:
    """
    The passages in the embedded store's index, read with tantivy alone; `None` where this does not apply: another
    store, no index yet, or an index tantivy cannot open (the store itself then says what is wrong).
    """
    definition = store_definition(settings)
    if definition.get("type") != EMBEDDED_STORE_TYPE:
        return None
    path = Path(str((definition.get("init_parameters") or {}).get("index_path", "")))
    if not (path / "meta.json").is_file():
        return None
    try:
        import tantivy

        return tantivy.Index.open(str(path)).searcher().num_docs
    except Exception:  # a damaged or foreign index: the full store gives the one-line reason
        return None
