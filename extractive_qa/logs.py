"""
Keeps the libraries' logs and progress bars quiet unless asked for.

The converters' libraries are among them: pypdf warns about every font and broken object reference it meets in
real-world PDFs ("Object 172 0 not defined.", "fontTools is required to fully parse ..."), trafilatura and its
helpers about the web pages they read. The indexer says in one line per file what it skipped and why. So is the
Hugging Face hub's client: offline, a model name it cannot fetch would print a dozen lines of retries before the
one-line error the command gives.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings

QUIETED_LOGGERS = (
    "haystack",
    "transformers",
    "huggingface_hub",
    "elasticsearch",
    "elastic_transport",
    "httpx",
    "urllib3",
    "pypdf",
    "trafilatura",
    "htmldate",
    "courlan",
    "justext",
    "docx",
    "mcp",
)


_verbose = False


def quiet_libraries(verbose: bool | None = None) -> None:
    """
    Silences the libraries' informational output and warnings; `verbose=True` turns them back on.

    :param verbose: `None` keeps the process's last choice (quiet unless a command asked for `--verbose`), so the
        application's own calls do not undo the command line's `--verbose`.
    """
    global _verbose
    if verbose is None:
        verbose = _verbose
    _verbose = verbose
    level = logging.INFO if verbose else logging.ERROR
    os.environ.setdefault("HAYSTACK_TELEMETRY_ENABLED", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    for name in QUIETED_LOGGERS:
        logging.getLogger(name).setLevel(level)
    if not verbose:
        warnings.filterwarnings("ignore", category=FutureWarning)
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        warnings.filterwarnings("ignore", module=r"pypdf(\..*)?$")
    # transformers reads these when it is imported; importing it here would cost a second to commands without a model
    os.environ["TRANSFORMERS_VERBOSITY"] = "info" if verbose else "error"
    os.environ["HF_HUB_VERBOSITY"] = "info" if verbose else "error"  # the hub sets its logger's level on import
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "0" if verbose else "1"
    if "transformers" in sys.modules:  # already imported: tell it directly
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity(level)
        if verbose:
            hf_logging.enable_progress_bar()
        else:
            hf_logging.disable_progress_bar()
