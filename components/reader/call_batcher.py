"""
Cross-request batching: calls that arrive together from several threads share one batched call.

A server answers questions in threads of its own; run one by one, every question's windows go through the model on
their own, and the model waits while a question is retrieved, tokenized and decoded. `CallBatcher` lets the threads
meet instead: the first caller runs its job at once, or after waiting up to `max_wait` seconds for company, and the
jobs that arrive while a batch is running make up the next batch. Each caller gets its own result back, or its own
exception: when a batch fails, its jobs are run again one by one, so that one bad job fails alone.

Usage example:
```python
from concurrent.futures import ThreadPoolExecutor

from extractive_qa.components.reader.call_batcher import CallBatcher

batcher = CallBatcher(lambda jobs: [job * 2 for job in jobs], max_wait=0.005, max_jobs=16)
with ThreadPoolExecutor(8) as pool:
    print(list(pool.map(batcher.call, range(8))))  # [0, 2, 4, ..., 14], in fewer batched calls than jobs
```
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Sequence
from typing import Generic, TypeVar

Job = TypeVar("Job")
Result = TypeVar("Result")


class _Pending(Generic[Job, Result]):
    """One caller's job, and what became of it."""

    __slots__ = ("done", "error", "group", "job", "result")

    def __init__(self, job: Job, group: Hashable) -> None:
        self.job = job
        self.group = group
        self.done = False
        self.result: Result | None = None
        self.error: BaseException | None = None


class CallBatcher(Generic[Job, Result]):
    """
    Runs the jobs of concurrent callers in batches: `call(job)` blocks until `run_batch` has run a batch holding it.

    Only one batch runs at a time (the model is shared, and a batch already uses every core). Jobs of different
    `group`s (e.g. other run-time settings) never share a batch.
    """

    def __init__(
        self, run_batch: Callable[[list[Job]], Sequence[Result]], max_wait: float = 0.0, max_jobs: int = 16
    ) -> None:
        """
        :param run_batch: Runs a list of jobs, returning one result per job, in order.
        :param max_wait: Seconds the first job of a batch waits for more jobs (up to `max_jobs`) when none are
            queued behind it; 0: it never waits (jobs queued while a batch runs still share the next one).
        :param max_jobs: The most jobs in one batch.
        """
        if max_wait < 0:
            raise ValueError(f"max_wait must be at least 0, got {max_wait}")
        if max_jobs < 1:
            raise ValueError(f"max_jobs must be at least 1, got {max_jobs}")
        self.run_batch = run_batch
        self.max_wait = max_wait
        self.max_jobs = max_jobs
        self._condition = threading.Condition()
        self._queue: list[_Pending[Job, Result]] = []
        self._running = False
        #: batches run, and jobs run in them, since creation (jobs re-run one by one after a failure not counted)
        self.stats = {"batches": 0, "jobs": 0}

    def call(self, job: Job, group: Hashable = None) -> Result:
        """
        Runs `job` in a batch with the jobs of the same `group` that other threads submit meanwhile.

        :returns: The job's own result.
        :raises Exception: The job's own error, as `run_batch` raised it for this job alone.
        """
        pending: _Pending[Job, Result] = _Pending(job, group)
        with self._condition:
            self._queue.append(pending)
            self._condition.notify_all()  # a batch waiting for company may take this job
            while True:
                if pending.done:
                    return self._outcome(pending)
                if not self._running:
                    self._running = True
                    break
                self._condition.wait()
        try:
            while not pending.done:
                self._run_next_batch()
        finally:
            with self._condition:
                self._running = False
                self._condition.notify_all()
        return self._outcome(pending)

    @staticmethod
    def _outcome(pending: _Pending[Job, Result]) -> Result:
        if pending.error is not None:
            raise pending.error
        return pending.result  # type: ignore[return-value]

    def _run_next_batch(self) -> None:
        """Takes the next batch from the queue (the oldest job's group) and runs it; called by the running thread."""
        with self._condition:
            group = self._queue[0].group
            if self.max_wait > 0:
                deadline = time.monotonic() + self.max_wait
                while sum(p.group == group for p in self._queue) < self.max_jobs:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._condition.wait(left)
            batch = [p for p in self._queue if p.group == group][: self.max_jobs]
            taken = {id(p) for p in batch}
            self._queue = [p for p in self._queue if id(p) not in taken]
        try:
            results = list(self.run_batch([p.job for p in batch]))
            if len(results) != len(batch):
                raise RuntimeError(f"run_batch returned {len(results)} results for {len(batch)} jobs")
            for p, result in zip(batch, results, strict=True):
                p.result = result
        except BaseException as error:
            if len(batch) == 1 or not isinstance(error, Exception):  # KeyboardInterrupt and the like: all stop
                for p in batch:
                    p.error = error
                if not isinstance(error, Exception):
                    raise
            else:
                for p in batch:  # one job's fault must not fail the others: each runs alone
                    try:
                        p.result = self.run_batch([p.job])[0]
                    except Exception as own_error:
                        p.error = own_error
        finally:
            with self._condition:
                self.stats["batches"] += 1
                self.stats["jobs"] += len(batch)
                for p in batch:
                    p.done = True
                self._condition.notify_all()
