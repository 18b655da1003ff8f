"""What repositories need from their surroundings: a clock, an id allocator, a unit of work.

Ids and timestamps come from the layer, not from a backend (no AUTO_INCREMENT,
no ``DEFAULT CURRENT_TIMESTAMP``), so that a create gives the same id and the
same timestamps whichever backend is authoritative, and so that the router can
give both backends of a dual write the same values.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from interfaces.types import as_utc, utc_now

__all__ = [
    "Clock",
    "IdAllocator",
    "MemoryIdAllocator",
    "SteppingClock",
    "SystemClock",
    "UnitOfWorkFactory",
    "no_unit_of_work",
]


@runtime_checkable
class Clock(Protocol):
    """Source of the timestamps repositories write."""

    def now(self) -> datetime:
        """The current time: timezone-aware UTC, whole seconds."""
        ...


class SystemClock:
    """The wall clock, in UTC, truncated to whole seconds."""

    def now(self) -> datetime:
        """The current time: timezone-aware UTC, whole seconds."""
        return utc_now()


class SteppingClock:
    """A deterministic clock for tests: starts at ``start`` and advances ``step`` per call.

    Thread-safe; every call returns a distinct, later instant (whole seconds).
    """

    def __init__(
        self,
        start: datetime = datetime(2026, 1, 1, tzinfo=UTC),
        step: timedelta = timedelta(seconds=1),
    ) -> None:
        self._next = as_utc(start).replace(microsecond=0)
        self._step = step
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """Return the current instant and move the clock forward by one step."""
        with self._lock:
            current, self._next = self._next, self._next + self._step
            return current


@runtime_checkable
class IdAllocator(Protocol):
    """Source of new ids, one sequence per entity table (``"projects"``, ``"labels"``...)."""

    def allocate(self, sequence: str) -> int:
        """Return an id never returned before for ``sequence``."""
        ...


class MemoryIdAllocator:
    """Ids from in-process counters; for the memory fake and tests.

    ``start`` maps a sequence to the first id it hands out (default 1).
    """

    def __init__(self, start: dict[str, int] | None = None) -> None:
        self._start = dict(start or {})
        self._counters: dict[str, itertools.count[int]] = {}
        self._lock = threading.Lock()

    def allocate(self, sequence: str) -> int:
        """Return the next id of ``sequence``."""
        with self._lock:
            counter = self._counters.get(sequence)
            if counter is None:
                counter = self._counters[sequence] = itertools.count(self._start.get(sequence, 1))
            return next(counter)


UnitOfWorkFactory = Callable[[], AbstractContextManager[None]]
"""Opens a unit of work: ``with uow(): ...`` commits on success, rolls back on error."""


@contextmanager
def no_unit_of_work() -> Iterator[None]:
    """A unit of work for backends where every command is atomic on its own."""
    yield
