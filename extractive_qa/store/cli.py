"""
The `extractive-qa sources` command: what the store holds, one line per source (or JSON).

Usage example:
```bash
extractive-qa sources                    # source, type, passages, pages, size, version indexed
extractive-qa sources --name oxygen      # those whose name or path holds "oxygen" (case ignored)
extractive-qa sources --json
```
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from extractive_qa.utils import printable

SOURCE_COMMANDS = frozenset({"sources"})


def add_source_commands(commands: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Adds `sources` to the CLI's sub-commands (`common` adds the shared options)."""
    sources = commands.add_parser(
        "sources",
        help="list the sources in the store (files, texts, uploads): type, passages, pages, size, version indexed",
        description="Lists what the store holds, sorted by name. Remove one with 'extractive-qa remove PATH' (or "
        "DELETE /sources/{id} on a server).",
    )
    sources.add_argument("--name", help="only sources whose name or path holds this text (case ignored)")
    sources.add_argument("--json", action="store_true", help="print the sources as JSON")
    common(sources)


def run_source_command(args: argparse.Namespace, settings: Any) -> int:
    """Runs `sources`; returns the exit code (5 where nothing was ever indexed at the store's path)."""
    from extractive_qa.app.question_answerer import QuestionAnswerer
    from extractive_qa.store.embedded_index import require_store

    require_store(settings)  # a mistyped --store-path is not an empty store
    found = QuestionAnswerer(settings).sources(args.name)
    if args.json:
        print(json.dumps([source.to_dict() for source in found], indent=2, ensure_ascii=False))
        return 0
    print(format_sources(found))
    return 0


def format_sources(sources: list[Any]) -> str:
    """The sources as an aligned table with a header and a total line."""
    rows = [("source", "type", "passages", "pages", "size", "modified")]
    for source in sources:
        rows.append(
            (
                printable(source.path),
                printable(source.type),
                str(source.passages),
                str(source.pages) if source.pages is not None else "-",
                human_size(source.size),
                (source.modified or "-").replace("T", " ").replace("Z", " UTC"),
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
        cells += [row[column].rjust(widths[column]) for column in (2, 3, 4)]
        cells.append(row[5])
        lines.append("  ".join(cells).rstrip())
    passages = sum(source.passages for source in sources)
    lines.append(f"{len(sources)} source(s), {passages} passage(s)")
    return "\n".join(lines)


def human_size(size: int | None) -> str:
    """Bytes as people read them: 812 B, 25.1 kB, 3.4 MB ("-" when unknown)."""
    if size is None:
        return "-"
    if size < 1000:
        return f"{size} B"
    value = float(size)
    for unit in ("kB", "MB", "GB", "TB"):
        value /= 1000
        if value < 1000 or unit == "TB":
            break
    return f"{value:.1f} {unit}"
