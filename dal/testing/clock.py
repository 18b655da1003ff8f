"""A clock for conformance tests that remembers every instant it handed out."""

from __future__ import annotations

import threading
from datetime import datetime

from interfaces.runtime import Clock, SteppingClock

__all__ = ["RecordingClock"]


class RecordingClock:
    """Delegates to ``inner`` (default a 1-second :class:`SteppingClock`) and records each instant.

    :meth:`mark` and :meth:`issued_since` tell which instants one call took, so a
    test can check that a timestamp came from the clock during that call.
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
        """The instants handed out after ``mark`` was taken."""
        with self._lock:
            return self._issued[mark:]
