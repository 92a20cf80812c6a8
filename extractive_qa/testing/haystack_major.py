"""
The Haystack major the tests run on, and how a user of that major loads the application's YAML pipelines.

Haystack 3 builds classes from YAML only from trusted modules: `Pipeline.loads(text, **TRUST_COMPONENTS)` trusts
the application's components as a user of Haystack 3 would (its documented `allowed_modules`); Haystack 2.x takes no
such argument, so there `TRUST_COMPONENTS` is empty.

Usage example:
```python
from haystack import Pipeline

from extractive_qa.testing.haystack_major import HAYSTACK_MAJOR, TRUST_COMPONENTS
from extractive_qa.testing.paths import PIPELINES_DIR

pipeline = Pipeline.loads((PIPELINES_DIR / "query.yml").read_text(), **TRUST_COMPONENTS)
print(HAYSTACK_MAJOR, pipeline)
```
"""

from __future__ import annotations

from importlib.metadata import version

#: The major version of the installed `haystack-ai`.
HAYSTACK_MAJOR = int(version("haystack-ai").split(".")[0])
#: `Pipeline.loads`'s keyword arguments that trust `extractive_qa.components` (none before Haystack 3).
TRUST_COMPONENTS: dict = {"allowed_modules": ["extractive_qa.components"]} if HAYSTACK_MAJOR >= 3 else {}
