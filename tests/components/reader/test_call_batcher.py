"""CallBatcher: concurrent callers share batches, and each gets its own result or its own error."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from extractive_qa.components.reader.call_batcher import CallBatcher


class SlowDoubler:
    """A batch function that records its batches and takes long enough for callers to pile up behind it."""

    def __init__(self, seconds: float = 0.05) -> None:
        self.seconds = seconds
        self.batches: list[list[int]] = []
        self.lock = threading.Lock()

    def __call__(self, jobs: list[int]) -> list[int]:
        with self.lock:
            self.batches.append(list(jobs))
        time.sleep(self.seconds)
        if any(job < 0 for job in jobs):
            raise ValueError(f"negative job among {jobs}")
        return [job * 2 for job in jobs]


def test_concurrent_callers_share_batches_and_get_their_own_results() -> None:
    work = SlowDoubler()
    batcher = CallBatcher(work, max_wait=0.02, max_jobs=16)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(batcher.call, range(40)))
    assert results == [2 * i for i in range(40)]
    assert sorted(job for batch in work.batches for job in batch) == list(range(40))  # each job ran exactly once
    assert len(work.batches) < 40 / 2, work.batches  # 8 callers at a time: batches of several jobs
    assert max(len(batch) for batch in work.batches) > 1
    assert batcher.stats == {"batches": len(work.batches), "jobs": 40}


def test_a_lone_caller_runs_alone_and_waits_at_most_max_wait() -> None:
    work = SlowDoubler(seconds=0.0)
    batcher = CallBatcher(work, max_wait=0.05, max_jobs=4)
    start = time.perf_counter()
    assert batcher.call(21) == 42
    elapsed = time.perf_counter() - start
    assert work.batches == [[21]]
    assert 0.04 <= elapsed < 1.0, elapsed  # waited for company (50 ms, to timer resolution), then ran


def test_batches_hold_at_most_max_jobs() -> None:
    work = SlowDoubler()
    batcher = CallBatcher(work, max_wait=0.05, max_jobs=3)
    with ThreadPoolExecutor(9) as pool:
        assert list(pool.map(batcher.call, range(18))) == [2 * i for i in range(18)]
    assert max(len(batch) for batch in work.batches) == 3


def test_groups_never_share_a_batch() -> None:
    work = SlowDoubler()
    batcher = CallBatcher(work, max_wait=0.02)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: batcher.call(i, group=i % 2), range(32)))
    assert results == [2 * i for i in range(32)]
    assert all(len({job % 2 for job in batch}) == 1 for batch in work.batches), work.batches


def test_a_failing_job_fails_alone() -> None:
    work = SlowDoubler()
    batcher = CallBatcher(work, max_wait=0.05)
    jobs = [3, -1, 5, 7, 9, 11]

    def call(job: int) -> int | str:
        try:
            return batcher.call(job)
        except ValueError as error:
            return str(error)

    with ThreadPoolExecutor(len(jobs)) as pool:
        results = list(pool.map(call, jobs))
    assert results == [6, "negative job among [-1]", 10, 14, 18, 22]


def test_a_batch_function_returning_too_few_results_is_an_error_for_each_caller() -> None:
    batcher = CallBatcher(lambda jobs: [], max_wait=0.0)
    with pytest.raises(RuntimeError, match="0 results for 1 jobs"):
        batcher.call(1)
    # and the batcher still works afterwards
    good = CallBatcher(lambda jobs: jobs)
    assert good.call("x") == "x"


def test_without_waiting_sequential_calls_run_one_by_one() -> None:
    work = SlowDoubler(seconds=0.0)
    batcher = CallBatcher(work)
    assert [batcher.call(i) for i in range(5)] == [0, 2, 4, 6, 8]
    assert work.batches == [[0], [1], [2], [3], [4]]


@pytest.mark.parametrize("kwargs", [{"max_wait": -0.1}, {"max_jobs": 0}])
def test_invalid_settings_are_rejected(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        CallBatcher(lambda jobs: jobs, **kwargs)
