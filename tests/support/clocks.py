"""Clocks for tests: one that remembers every instant it gave out, one that stands still."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from interfaces import Clock, SteppingClock

__all__ = ["FixedClock", "RecordingClock"]


class RecordingClock:
    """A clock that delegates to ``inner`` and records every instant it returns.

    ``mark()`` and ``issued_since(mark)`` tell which instants one call consumed,
    so a test can check that a timestamp came from the clock during that call.
    """

    def __init__(self, inner: Clock | None = None) -> None:
        self._inner = inner if inner is not None else SteppingClock()
        self._issued: list[datetime] = []
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The inner clock's time, recorded."""
        with self._lock:
            instant = self._inner.now()
            self._issued.append(instant)
            return instant

    @property
    def issued(self) -> list[datetime]:
        """Every instant returned so far, oldest first."""
        with self._lock:
            return list(self._issued)

    def mark(self) -> int:
        """A position to pass to :meth:`issued_since`."""
        with self._lock:
            return len(self._issued)

    def issued_since(self, mark: int) -> list[datetime]:
        """The instants returned after ``mark`` was taken."""
        with self._lock:
            return self._issued[mark:]


class FixedClock:
    """A clock that always returns the same instant (for ties in sort orders)."""

    def __init__(self, instant: datetime = datetime(2026, 1, 1, tzinfo=UTC)) -> None:
        self._instant = instant

    def now(self) -> datetime:
        """The fixed instant."""
        return self._instant
