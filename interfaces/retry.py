"""Running a whole unit of work again when the backend gave up on it.

A deadlock or a lock wait timeout in MySQL, a conflicting transaction in
DynamoDB: the backend refuses the work as it stands (:class:`~interfaces.errors.Throttled`),
rolls back what it did, and the same work would most likely succeed a moment
later. A ``with store.unit_of_work():`` block cannot run its own body again, so
:func:`run_in_unit_of_work` takes the body as a function::

    from interfaces import run_in_unit_of_work

    def close() -> Ticket:
        tickets = store.repository("tickets")
        ticket = tickets.update({"id": 7}, {"status": "closed"})
        store.repository("labels").create({"ticket_id": 7, "name": "done"})
        return ticket

    ticket = run_in_unit_of_work(store.unit_of_work, close, attempts=3)

Each attempt opens a unit of work of its own, so a retry starts from a clean
transaction; the function must therefore do nothing outside the store that it
would regret doing twice (send mail after the call returns, not inside it).
Only :class:`~interfaces.errors.Throttled` is retried: a lost connection
(:class:`~interfaces.errors.BackendUnavailable`) may have happened after the
commit, so running the work again could apply it twice, and every other error
(a duplicate, a stale version, a rule) would fail again the same way. When the
attempts run out, the last :class:`~interfaces.errors.Throttled` reaches the
caller with :attr:`~interfaces.errors.Throttled.attempts` set to the number of
attempts made.

It works with every unit-of-work factory: the SQL and DynamoDB stores', the
memory fake's and the router's. It must be the outermost unit of work: inside
another call of :func:`run_in_unit_of_work` it runs the function once, within
the outer unit of work, and leaves retrying to the outer call; inside a plain
``with store.unit_of_work():`` block it would only join that block, whose
transaction a deadlock has already lost.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

from interfaces.errors import Throttled
from interfaces.runtime import UnitOfWorkFactory

__all__ = ["DEFAULT_ATTEMPTS", "Backoff", "run_in_unit_of_work"]

T = TypeVar("T")

DEFAULT_ATTEMPTS = 3
"""How many times :func:`run_in_unit_of_work` runs the work at most, by default."""

_RUNNING: ContextVar[bool] = ContextVar("dal_run_in_unit_of_work", default=False)


@dataclass(frozen=True)
class Backoff:
    """How long to wait before the next attempt: capped exponential backoff, full jitter.

    Before attempt ``n + 1`` (after ``n`` failed ones) the wait is a random time in
    ``[0, min(cap, base * 2 ** (n - 1))]`` seconds, so two transactions that
    deadlocked each other do not meet again at once.
    """

    base: float = 0.05
    cap: float = 1.0

    def __post_init__(self) -> None:
        if self.base < 0 or self.cap < 0:
            raise ValueError(f"backoff delays must not be negative, got {self.base}, {self.cap}")

    def delay(self, failed: int) -> float:
        """The wait after ``failed`` failed attempts (1 or more)."""
        ceiling = min(self.cap, self.base * 2 ** (failed - 1))
        return random.uniform(0.0, ceiling)  # jitter, not cryptography


def run_in_unit_of_work(
    unit_of_work: UnitOfWorkFactory,
    work: Callable[[], T],
    *,
    attempts: int = DEFAULT_ATTEMPTS,
    backoff: Backoff | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``work`` inside ``unit_of_work()`` and return its result; run it again on Throttled.

    Each attempt is a unit of work of its own, committed when ``work`` returns.
    A :class:`~interfaces.errors.Throttled` raised by ``work`` or by the commit
    (a deadlock, a lock wait timeout, a transaction conflict) rolls the attempt back
    and, after a jittered wait (``backoff``, default :class:`Backoff`), starts
    the next, up to ``attempts`` in all; then that error is raised with
    :attr:`~interfaces.errors.Throttled.attempts` set. Any other error is raised
    at once. ValueError for ``attempts`` below 1.
    """
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, got {attempts}")
    if _RUNNING.get():  # an outer call owns the unit of work and retries it as a whole
        with unit_of_work():
            return work()
    chosen = backoff if backoff is not None else Backoff()
    token = _RUNNING.set(True)
    try:
        failed = 0
        while True:
            try:
                with unit_of_work():
                    return work()
            except Throttled as error:
                failed += 1
                error.attempts = failed
                if failed >= attempts:
                    raise
            sleep(chosen.delay(failed))
    finally:
        _RUNNING.reset(token)
