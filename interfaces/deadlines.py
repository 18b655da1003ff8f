"""A deadline for the backend calls of the current context.

The router gives the secondary side of a dual write a time budget: it runs the
write inside ``with deadline(budget):``. Adapters honour the deadline where
their backend lets them (the MySQL adapter shortens its socket timeouts to the
time left, the DynamoDB client stops waiting for an answer) and raise
:class:`~interfaces.errors.DeadlineExceeded` once it has passed. Outside a
deadline, calls are bounded by the backends' own timeouts only.

The deadline lives in a context variable: it applies to the calls of the
thread (or task) that set it, and to nothing else.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["deadline", "time_left"]

_DEADLINE: ContextVar[float | None] = ContextVar("dal_deadline", default=None)


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Calls inside the block must end within ``seconds`` from now.

    Nested deadlines never extend an outer one: the earlier of the two applies.
    """
    if seconds < 0:
        raise ValueError(f"a deadline needs a duration of 0 seconds or more, got {seconds}")
    at = time.monotonic() + seconds
    outer = _DEADLINE.get()
    token = _DEADLINE.set(at if outer is None else min(outer, at))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def time_left() -> float | None:
    """Seconds until the current deadline (0 or less once it has passed); None without one."""
    at = _DEADLINE.get()
    return None if at is None else at - time.monotonic()
