"""Run the same work on several threads at once, and retry calls that may succeed later."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

__all__ = ["retry", "run_in_threads"]

T = TypeVar("T")


def run_in_threads(work: Callable[[int], T], threads: int, timeout: float = 60.0) -> list[T]:
    """Call ``work(i)`` for i in 0..threads-1, all released together; results in that order.

    An exception raised by any call is re-raised here; a call still running
    after ``timeout`` seconds fails the test instead of hanging it.
    """
    start = threading.Barrier(threads)

    def released(index: int) -> T:
        start.wait(timeout)
        return work(index)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(released, i) for i in range(threads)]
        return [future.result(timeout=timeout) for future in futures]


def retry(
    call: Callable[[], T],
    retry_on: tuple[type[BaseException], ...],
    attempts: int = 200,
    pause: float = 0.005,
) -> tuple[T, int]:
    """``call()``'s result and how many retries it took, retrying the errors in ``retry_on``.

    Waits a random fraction of ``pause`` between attempts; fails the test after
    ``attempts`` tries rather than spinning for ever.
    """
    for tries in range(attempts):
        try:
            return call(), tries
        except retry_on:
            time.sleep(random.uniform(0, pause))
    raise AssertionError(f"still failing after {attempts} attempts")
