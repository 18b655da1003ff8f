"""Clocks for tests: one that remembers every instant it gave out (the conformance
suite's), one that stands still."""

from __future__ import annotations

from datetime import UTC, datetime

from dal.testing.clock import RecordingClock

__all__ = ["FixedClock", "RecordingClock"]


class FixedClock:
    """A clock that always returns the same instant (for ties in sort orders)."""

    def __init__(self, instant: datetime = datetime(2026, 1, 1, tzinfo=UTC)) -> None:
        self._instant = instant

    def now(self) -> datetime:
        """The fixed instant."""
        return self._instant
