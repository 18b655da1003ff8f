"""Retries of transient DynamoDB failures: capped exponential backoff, full jitter, a time budget.

The adapter bounds botocore's own retries to a single attempt so that this
policy is the only one in force: what is retried, how often and for how long is
decided here and nowhere else. No retry waits past the deadline of the calling
context (:func:`interfaces.deadline`).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from interfaces.deadlines import time_left

__all__ = ["RetryPolicy", "Sleeper", "call_with_retry"]

T = TypeVar("T")
Sleeper = Callable[[float], None]


@dataclass(frozen=True)
class RetryPolicy:
    """How transient failures (throttling, 5xx, transaction conflicts) are retried.

    The n-th retry waits a random time in ``[0, min(max_delay, base_delay * 2**n)]``
    (full jitter); retrying stops after ``max_attempts`` attempts or once the
    next wait would end after ``budget`` seconds from the first attempt.
    """

    max_attempts: int = 8
    base_delay: float = 0.025
    max_delay: float = 1.0
    budget: float = 5.0
    sleep: Sleeper = field(default=time.sleep, compare=False, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.budget < 0:
            raise ValueError("delays and budget must not be negative")

    def backoff(self, retry_number: int) -> float:
        """A full-jitter delay before retry number ``retry_number`` (0-based)."""
        cap = min(self.max_delay, self.base_delay * (2**retry_number))
        return random.uniform(0.0, cap)  # jitter, not cryptography


def call_with_retry(
    call: Callable[[], T],
    policy: RetryPolicy,
    is_transient: Callable[[Exception], bool],
) -> T:
    """Run ``call``, retrying it while it raises a transient error and the policy allows.

    The last error is re-raised unchanged when the attempts, the budget or the
    time left before the caller's deadline are exhausted; a non-transient error is
    raised at once.
    """
    started = policy.clock()
    attempt = 0
    while True:
        try:
            return call()
        except Exception as exc:
            attempt += 1
            if not is_transient(exc) or attempt >= policy.max_attempts:
                raise
            delay = policy.backoff(attempt - 1)
            if policy.clock() + delay - started > policy.budget:
                raise
            left = time_left()
            if left is not None and delay >= left:
                raise
            policy.sleep(delay)
