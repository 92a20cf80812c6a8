"""Keeps the libraries' logs and progress bars quiet unless asked for."""

from __future__ import annotations

import logging
import os
import warnings


def quiet_libraries(verbose: bool = False) -> None:
    """Silences transformers' and Haystack's informational output; `verbose` turns it back on."""
    level = logging.INFO if verbose else logging.ERROR
    os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    for name in ("haystack", "transformers", "elasticsearch", "elastic_transport", "httpx", "urllib3"):
        logging.getLogger(name).setLevel(level)
    if not verbose:
        warnings.filterwarnings("ignore", category=FutureWarning)
        warnings.filterwarnings("ignore", category=DeprecationWarning)
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity(level)
        if not verbose:
            hf_logging.disable_progress_bar()
    except ImportError:  # pragma: no cover - transformers is a dependency
        pass
