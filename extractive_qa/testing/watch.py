"""
`extractive-qa index --watch FOLDER` run as a user runs it, in a process of its own whose output goes to files: wait
until what it did shows (`wait_for`), read what it printed, stop it as Ctrl-C or SIGTERM does.

Usage example:
```python
from pathlib import Path

from extractive_qa.testing.watch import WatchProcess

watch = WatchProcess(Path("notes"), Path("work"), "--store-path", "work/index")
try:
    (Path("notes") / "lake.txt").write_text("Lake Peipus lies on the border of Estonia.")
    watch.wait_for(lambda: watch.batch_lines(), "a batch")
    print(watch.stop())  # the summary line
finally:
    watch.kill()
```
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from extractive_qa.testing.processes import SOURCE_ROOT, process_environment

#: How long a change may take to show (the watch's coalescing takes well under a second of it).
DEADLINE_S = 20.0


class WatchProcess:
    """A running `extractive-qa index --watch FOLDER` whose output goes to `tmp/watch.out` and `tmp/watch.err`."""

    def __init__(
        self, folder: Path, tmp: Path, *options: str, env: dict[str, str] | None = None, cwd: Path | None = None
    ) -> None:
        """
        Starts the watch and waits until it says it is watching.

        :param options: More command-line options, for example `"--store-path", "index"`.
        :param env: Variables set for the process, on top of this process's environment.
        :raises AssertionError: The watch exited, or did not start watching within `DEADLINE_S` seconds.
        """
        self.out_path, self.err_path = tmp / "watch.out", tmp / "watch.err"
        command = [sys.executable, "-m", "extractive_qa.cli", "index", "--watch", str(folder), *options]
        with self.out_path.open("wb") as out, self.err_path.open("wb") as err:
            environment = process_environment(inherit_settings=True, **(env or {}))
            self.process = subprocess.Popen(command, cwd=cwd or SOURCE_ROOT, env=environment, stdout=out, stderr=err)
        self.wait_for(lambda: "watching " in self.out(), "the watch to start")

    def out(self) -> str:
        """Everything the watch has written to stdout so far."""
        return self.out_path.read_text("utf-8", errors="replace")

    def err(self) -> str:
        """Everything the watch has written to stderr so far."""
        return self.err_path.read_text("utf-8", errors="replace")

    def batch_lines(self) -> list[str]:
        """The lines the watch printed for its batches (each starts with the time, `HH:MM:SS `)."""
        return [line for line in self.out().splitlines() if re.match(r"\d\d:\d\d:\d\d ", line)]

    def wait_for(self, condition: Callable[[], Any], what: str, timeout: float = DEADLINE_S) -> Any:
        """
        Polls `condition` until it is true and returns its value.

        :raises AssertionError: The watch exited first, or `timeout` seconds passed; the message ends with its output.
        """
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value:
                return value
            if self.process.poll() is not None:
                raise AssertionError(
                    f"the watch exited ({self.process.returncode}) waiting for {what}:\n{self.out()}{self.err()}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(f"no {what} after {timeout} s:\n{self.out()}{self.err()}")
            time.sleep(0.1)

    def stop(self, sig: int = signal.SIGINT) -> str:
        """Sends `sig` and returns the last line the watch printed (its summary); asserts exit code 0."""
        self.process.send_signal(sig)
        assert self.process.wait(timeout=30) == 0, self.out() + self.err()
        assert "Traceback" not in self.err(), self.err()
        return self.out().splitlines()[-1]

    def kill(self) -> None:
        """Kills the watch if it still runs (a test's clean-up)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
