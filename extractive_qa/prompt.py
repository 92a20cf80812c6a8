"""
The interactive prompt of `extractive-qa ask` (no question given, on a terminal): the pipeline is loaded once, then
question after question is answered as `ask QUESTION` answers it, with line editing and a history kept between
sessions (Python's `readline`). Ctrl-D or Ctrl-C leaves it; a bad question is one error line, and the prompt stays.

Usage example:
```python
from extractive_qa.prompt import run_prompt

run_prompt(lambda question: print(f"you asked {question!r}"))  # reads questions until Ctrl-D
```
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from pathlib import Path

from extractive_qa.errors import QAError

PROMPT = "question> "
#: Questions kept in the history file.
HISTORY_LENGTH = 1000


def history_path() -> Path:
    """The prompt's history file, in the user's state directory (e.g. ~/.local/state/extractive-qa/ask_history)."""
    from platformdirs import user_state_dir

    return Path(user_state_dir("extractive-qa", appauthor=False)) / "ask_history"


def run_prompt(answer: Callable[[str], None], history: Path | None = None) -> int:
    """
    Reads questions until end of input (Ctrl-D) or Ctrl-C and calls `answer` with each non-blank one; a `QAError`
    it raises is printed as one line and the next question is read.

    :param answer: Answers one question (and prints the answer).
    :param history: The history file (read at the start, written at the end); `None` keeps no history.
    :returns: The exit code, 0.
    """
    try:
        import readline
    except ImportError:  # pragma: no cover - Windows without pyreadline: input() still edits the line
        readline = None  # type: ignore[assignment]
    if readline is not None and history is not None:
        with contextlib.suppress(OSError):  # no history yet, or unreadable: start without
            readline.read_history_file(history)
        readline.set_history_length(HISTORY_LENGTH)
    print("Ask a question; Ctrl-D leaves.", file=sys.stderr, flush=True)
    try:
        while True:
            try:
                question = input(PROMPT)
            except EOFError:
                break
            if not question.strip():
                continue
            try:
                answer(question)
            except QAError as error:
                print(f"error: {error}", file=sys.stderr, flush=True)
            sys.stdout.flush()
    except KeyboardInterrupt:
        pass
    print(file=sys.stderr)  # the terminal's next prompt on a line of its own
    if readline is not None and history is not None:
        try:
            history.parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(history)
            history.chmod(0o600)  # questions are the user's own
        except OSError as error:
            print(f"note: the question history was not saved ({error.strerror or error})", file=sys.stderr)
    return 0
