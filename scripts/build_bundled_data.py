"""Rebuild the bundled collection in ``data/`` from the SQuAD 2.0 dev set.

One UTF-8 text file per Wikipedia article: the title on the first line, then every paragraph of the
article, separated by blank lines. Line breaks inside a paragraph (a handful in the source) become
spaces so that one paragraph stays one block of text.

Usage::

    python scripts/build_bundled_data.py ../shared/data/squad2/dev-v2.0.json data/
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path


def article_file_name(title: str) -> str:
    """Turn a SQuAD article title such as ``Fresno,_California`` into a safe file name."""
    name = title.replace("_", " ")
    name = re.sub(r"[^\w ,.()'-]", "", name)
    return f"{name}.txt"


def main(source: str, target: str) -> None:
    squad = json.loads(Path(source).read_text(encoding="utf-8"))
    out = Path(target)
    out.mkdir(parents=True, exist_ok=True)
    paragraphs = 0
    for article in squad["data"]:
        title = article["title"].replace("_", " ")
        blocks = [title] + [" ".join(p["context"].split("\n")) for p in article["paragraphs"]]
        paragraphs += len(article["paragraphs"])
        (out / article_file_name(article["title"])).write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    print(f"wrote {len(squad['data'])} articles, {paragraphs} paragraphs to {out}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: build_bundled_data.py SQUAD_JSON OUT_DIR")
    main(sys.argv[1], sys.argv[2])
