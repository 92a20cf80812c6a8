"""The served application's work gate (bounded queue) and the store's read-write lock."""

from __future__ import annotations

import threading
import time

import pytest

from extractive_qa.errors import ServerBusy
from extractive_qa.http.concurrency import ReadWriteLock, WorkGate


def test_work_gate_refuses_when_full_and_recovers() -> None:
    gate = WorkGate(max_running=1, max_waiting=1, timeout=5)
    entered, release, waited = threading.Event(), threading.Event(), threading.Event()

    def hold() -> None:
        with gate.slot():
            entered.set()
            release.wait(5)

    def wait_turn() -> None:
        with gate.slot():
            waited.set()

    holder = threading.Thread(target=hold)
    holder.start()
    entered.wait(5)
    waiter = threading.Thread(target=wait_turn)
    waiter.start()
    time.sleep(0.2)  # the waiter holds the one waiting place
    with pytest.raises(ServerBusy, match="busy"), gate.slot():
        pass
    release.set()
    holder.join(5)
    waiter.join(5)
    assert waited.is_set()
    with gate.slot():  # room again
        pass


def test_work_gate_times_out() -> None:
    gate = WorkGate(max_running=1, max_waiting=5, timeout=0.1)
    with gate.slot(), pytest.raises(ServerBusy, match="no turn within"), gate.slot():
        pass
    with gate.slot():  # free again
        pass


def test_read_write_lock_keeps_writers_apart_from_readers() -> None:
    lock = ReadWriteLock()
    events: list[str] = []

    def reader() -> None:
        with lock.read():
            events.append("read-start")
            time.sleep(0.2)
            events.append("read-end")

    thread = threading.Thread(target=reader)
    thread.start()
    time.sleep(0.05)
    with lock.write():
        events.append("write")
    thread.join()
    assert events == ["read-start", "read-end", "write"]
