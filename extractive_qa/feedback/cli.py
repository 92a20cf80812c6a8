"""
The feedback command of the command line: `extractive-qa feedback export FILE` writes the ratings given on the
page as a SQuAD 2.0 file, which `extractive-qa eval FILE` and `extractive-qa tune-threshold FILE` read.

Registered by `extractive_qa.cli` through `add_feedback_commands`, run by `run_feedback_command`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from extractive_qa.errors import QAError

FEEDBACK_COMMANDS = ("feedback",)


def add_feedback_commands(commands: Any, common: Callable[[argparse.ArgumentParser], None] | None = None) -> None:
    """Adds `feedback export FILE` to the sub-command parsers of `extractive-qa`."""
    feedback = commands.add_parser(
        "feedback",
        help="labelled data from the page's feedback: export it as a SQuAD 2.0 file",
        description="The ratings people give answers on the served page (thumbs up, thumbs down, 'wrong answer, "
        "right passage') are stored by the server (EQA_FEEDBACK_PATH, default feedback.sqlite3 beside the store "
        "file). 'export' writes them as a SQuAD 2.0 file for 'eval' and 'tune-threshold'.",
    )
    actions = feedback.add_subparsers(dest="feedback_command", required=True)
    export = actions.add_parser("export", help="write the stored feedback as a SQuAD 2.0 file")
    export.add_argument("file", help="the SQuAD 2.0 JSON file to write (replaced atomically)")
    export.add_argument("--feedback-path", help="the feedback database (env EQA_FEEDBACK_PATH)")
    if common is not None:
        common(export)


def run_feedback_command(args: argparse.Namespace, settings: Any) -> int:
    """Runs `feedback export` with the given `Settings`; returns the exit code."""
    from extractive_qa.feedback.squad_export import squad_from_feedback
    from extractive_qa.feedback.store import FeedbackStore, feedback_path
    from extractive_qa.utils import write_text_atomically

    path = Path(args.feedback_path).expanduser() if args.feedback_path else feedback_path(settings)
    ratings = FeedbackStore(path).all()
    data, summary = squad_from_feedback(ratings)
    if not summary.questions:
        raise QAError(f"nothing to export from {path}: {summary.line()}")
    output = Path(args.file).expanduser()
    if output.is_dir():
        raise QAError(f"{output} is a folder; give a file name (e.g. {output / 'feedback.json'})")
    try:
        write_text_atomically(output, json.dumps(data, indent=1, ensure_ascii=False))
    except OSError as error:
        raise QAError(f"cannot write {output}: {error.strerror or error}") from error
    print(f"wrote {output}: {summary.line()}")
    for reason in summary.left_out:
        print(f"left out {reason}", file=sys.stderr)
    return 0
