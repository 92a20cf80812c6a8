"""
How the served application shares the model and the store between requests: a bounded queue for model work, and a
read-write lock so that the store never changes under a running question.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from extractive_qa.errors import ServerBusy


class WorkGate:
    """
    Bounds the requests doing model (or indexing) work at once, and the requests waiting for their turn.

    A request that finds the queue full, or waits longer than `timeout` seconds, gets `ServerBusy` (HTTP 503).
    """

    def __init__(self, max_running: int, max_waiting: int, timeout: float) -> None:
        """
        :param max_running: Requests running at once.
        :param max_waiting: Requests waiting on top of the running ones.
        :param timeout: Seconds a request waits for its turn.
        """
        self._slots = threading.BoundedSemaphore(max_running)
        self._count_lock = threading.Lock()
        self._admitted = 0
        self.max_running = max_running
        self.max_waiting = max_waiting
        self.timeout = timeout

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Runs the block in a slot; raises `ServerBusy` when there is no room to wait or no turn in time."""
        with self._count_lock:
            if self._admitted >= self.max_running + self.max_waiting:
                raise ServerBusy(
                    f"the server is busy ({self.max_running} request(s) running, {self.max_waiting} waiting); "
                    "retry shortly"
                )
            self._admitted += 1
        try:
            if not self._slots.acquire(timeout=self.timeout):
                raise ServerBusy(f"the server is busy: no turn within {self.timeout:g} s; retry shortly")
            try:
                yield
            finally:
                self._slots.release()
        finally:
            with self._count_lock:
                self._admitted -= 1


class ReadWriteLock:
    """Many readers (questions) or one writer (indexing): the store never changes under a running question."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._readers = 0
        self._writing = False

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._condition:
            while self._writing:
                self._condition.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._condition:
                self._readers -= 1
                self._condition.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._condition:
            while self._writing or self._readers:
                self._condition.wait()
            self._writing = True
        try:
            yield
        finally:
            with self._condition:
                self._writing = False
                self._condition.notify_all()
