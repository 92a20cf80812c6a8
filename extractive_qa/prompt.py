"""
The interactive prompt of `extractive-qa ask` (no question given, on a terminal): the pipeline is loaded once, then
question after question is answered as `ask QUESTION` answers it, with line editing and a history kept between
sessions (Python's `readline`). Ctrl-D or Ctrl-C leaves it; a bad question is one error line, and the prompt stays.

Ctrl-C must reach the main thread while it waits for a line: the kernel hands SIGINT to any thread that does not
block it, and one given to a worker thread (torch's, tantivy's, the reader's) sets Python's flag but leaves the main
thread asleep in readline's `select()` for ever. So the command runs with Ctrl-C held (`interrupts_held`, from
before anything starts a thread: threads inherit the mask) and the prompt lets it through only while it waits. A
Ctrl-C typed while a question is answered leaves once the answer is printed.
(CPython's readline shows the prompt, then waits in `select()`: a Ctrl-C in the microseconds between the two is
acted on at the next line or the next Ctrl-C; only a program typing can be that quick.)

Usage example:
```python
from extractive_qa.prompt import run_prompt

with interrupts_held():  # threads started in here never take the prompt's Ctrl-C
    run_prompt(lambda question: print(f"you asked {question!r}"))  # reads questions until Ctrl-D or Ctrl-C
```
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from extractive_qa.errors import QAError

PROMPT = "question> "
#: Questions kept in the history file.
HISTORY_LENGTH = 1000


def history_path() -> Path:
    """The prompt's history file, in the user's state directory (e.g. ~/.local/state/extractive-qa/ask_history)."""
    from platformdirs import user_state_dir

    return Path(user_state_dir("extractive-qa", appauthor=False)) / "ask_history"


@contextlib.contextmanager
def _sigint_mask(how: int) -> Iterator[None]:
    """Blocks (`signal.SIG_BLOCK`) or unblocks SIGINT in the calling thread for the block; a no-op on Windows."""
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover - Windows has no signal masks
        yield
        return
    previous = signal.pthread_sigmask(how, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def interrupts_held() -> contextlib.AbstractContextManager[None]:
    """
    Holds Ctrl-C (SIGINT) in the calling thread, and so in every thread started from it, for the block; one that
    came meanwhile is delivered when it ends (or when `run_prompt` waits for a line).
    """
    return _sigint_mask(signal.SIG_BLOCK)


def run_prompt(answer: Callable[[str], None], history: Path | None = None) -> int:
    """
    Reads questions until end of input (Ctrl-D) or Ctrl-C and calls `answer` with each non-blank one; a `QAError`
    it raises is printed as one line and the next question is read. Ctrl-C is let through while a line is awaited
    (run the whole command in `interrupts_held()`).

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
                with _sigint_mask(signal.SIG_UNBLOCK):
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
