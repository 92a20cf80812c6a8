"""
Haystack's stock extractive reader, the baseline of `eval --compare-stock` and the benchmarks' stock rows, under
whichever Haystack is installed: `ExtractiveReader` on Haystack 2.x, `TransformersExtractiveReader` (the
`transformers-haystack` package, its successor) on Haystack 3, which removed `ExtractiveReader`. Both take the same
parameters and score alike.

Usage example:
```python
from extractive_qa.evaluation.stock_reader import stock_reader, stock_reader_name

reader = stock_reader(model="../shared/models/minilm-squad-mini", no_answer=True)
reader.warm_up()
print(stock_reader_name(), reader.run(query="Where do I live?", documents=[...])["answers"][0].data)
```
"""

from __future__ import annotations

import importlib
import importlib.metadata
from typing import Any

from extractive_qa.errors import EvaluationError

# The stock reader of each Haystack major: (module, class).
STOCK_READERS: dict[int, tuple[str, str]] = {
    2: ("haystack.components.readers.extractive", "ExtractiveReader"),
    3: ("haystack_integrations.components.readers.transformers.extractive_reader", "TransformersExtractiveReader"),
}
STOCK_READER_PACKAGE_3 = "transformers-haystack"


def haystack_major() -> int:
    """The major version of the installed Haystack (`haystack-ai`)."""
    return int(importlib.metadata.version("haystack-ai").split(".")[0])


def stock_reader_path() -> str:
    """The stock reader's class path for the installed Haystack (what stored stock outputs are keyed by)."""
    module, name = STOCK_READERS[min(max(haystack_major(), 2), 3)]
    return f"{module}.{name}"


def stock_reader_name() -> str:
    """The stock reader's class name, for reports: `ExtractiveReader` or `TransformersExtractiveReader`."""
    return stock_reader_path().rpartition(".")[2]


def stock_reader_class() -> type:
    """
    The stock reader's class for the installed Haystack.

    :raises EvaluationError: Under Haystack 3 without `transformers-haystack`, in one line saying what to install.
    """
    module, _, name = stock_reader_path().rpartition(".")
    try:
        return getattr(importlib.import_module(module), name)
    except ImportError as error:
        raise EvaluationError(
            f"the stock comparison needs {name} on Haystack {haystack_major()}: "
            f"pip install {STOCK_READER_PACKAGE_3} (or: pip install 'extractive-qa[haystack3]')"
        ) from error


def stock_reader(**init_parameters: Any) -> Any:
    """
    A stock reader of the installed Haystack, built with `init_parameters` (the same for both classes: `model`,
    `device`, `token`, `top_k`, `max_seq_length`, `stride`, `no_answer`, `model_kwargs`, ...); not warmed up.

    :raises EvaluationError: When the stock reader cannot be imported.
    """
    return stock_reader_class()(**init_parameters)
