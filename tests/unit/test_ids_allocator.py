"""PreparedIdAllocator: prepares its backend once, on the first id, and retries a failure."""

from __future__ import annotations

import threading
import time

import pytest
from support.threads import run_in_threads

from dal.idsource import PreparedIdAllocator
from interfaces import MemoryIdAllocator


class CountingPreparation:
    """A preparation that takes a moment, counts its runs and can fail the first ones."""

    def __init__(self, failures: int = 0) -> None:
        self.runs = 0
        self.failures = failures
        self._lock = threading.Lock()

    def __call__(self) -> None:
        with self._lock:
            self.runs += 1
            run = self.runs
        time.sleep(0.01)
        if run <= self.failures:
            raise ConnectionError("table not reachable yet")


def test_nothing_is_prepared_before_the_first_id() -> None:
    prepare = CountingPreparation()

    PreparedIdAllocator(MemoryIdAllocator(), prepare)

    assert prepare.runs == 0


def test_ids_come_from_the_inner_allocator_after_one_preparation() -> None:
    prepare = CountingPreparation()
    ids = PreparedIdAllocator(MemoryIdAllocator({"users": 51}), prepare)

    assert [ids.allocate("users"), ids.allocate("users"), ids.allocate("orders")] == [51, 52, 1]
    assert prepare.runs == 1


def test_threads_allocating_at_once_prepare_once_and_get_distinct_ids() -> None:
    prepare = CountingPreparation()
    ids = PreparedIdAllocator(MemoryIdAllocator(), prepare)

    batches = run_in_threads(lambda _: [ids.allocate("orders") for _ in range(50)], threads=8)

    every = [i for batch in batches for i in batch]
    assert len(set(every)) == len(every) == 400
    assert prepare.runs == 1


def test_a_failed_preparation_reaches_the_caller_and_is_tried_again() -> None:
    prepare = CountingPreparation(failures=1)
    ids = PreparedIdAllocator(MemoryIdAllocator(), prepare)

    with pytest.raises(ConnectionError):
        ids.allocate("users")

    assert ids.allocate("users") == 1
    assert prepare.runs == 2
