"""
Where the tests and benchmarks find their files: this checkout's (`ROOT`, `DATA_DIR`, `PIPELINES_DIR`) and the
shared ones beside it (`SHARED`: the small QA model and SQuAD 2.0, only on the project's machines).

`ROOT` is the directory that holds the `extractive_qa` package: the checkout, or site-packages for an installed
wheel (where `data/` and `pipelines/` are not). `EQA_SHARED_DIR` moves `SHARED`.

Usage example:
```python
from extractive_qa.testing.paths import DATA_DIR, SHARED_MODEL, missing_shared_model

print(sorted(DATA_DIR.glob("*.txt"))[:3])
print(missing_shared_model() or f"the shared model is at {SHARED_MODEL}")
```
"""

from __future__ import annotations

import os
from pathlib import Path

import extractive_qa

#: The directory that holds the `extractive_qa` package: the checkout, or site-packages for an installed wheel.
ROOT = Path(extractive_qa.__file__).resolve().parent.parent
#: The bundled collection: 35 SQuAD articles as .txt files.
DATA_DIR = ROOT / "data"
#: The YAML pipelines the application loads.
PIPELINES_DIR = ROOT / "pipelines"

#: The folder shared between the project's checkouts (`EQA_SHARED_DIR`, else `shared` beside the checkout).
SHARED = Path(os.environ.get("EQA_SHARED_DIR", ROOT.parent / "shared"))
#: The small real extractive QA model every model test uses.
SHARED_MODEL = SHARED / "models" / "minilm-squad-mini"
#: SQuAD 2.0 dev questions held out from tuning (whole articles).
HELDOUT = SHARED / "data" / "squad2" / "dev-v2.0-heldout.json"
#: The official SQuAD 2.0 dev file.
SQUAD2_DEV = SHARED / "data" / "squad2" / "dev-v2.0.json"


def missing_shared_model() -> str | None:
    """Why the shared small QA model cannot be used here, or None when it is there."""
    if (SHARED_MODEL / "config.json").exists():
        return None
    return f"the shared small QA model is not at {SHARED_MODEL} (only present on the project's machines)"


def missing_heldout() -> str | None:
    """Why the SQuAD 2.0 held-out questions cannot be read here, or None when they are there."""
    return None if HELDOUT.exists() else f"SQuAD 2.0 held-out data not at {HELDOUT}"
