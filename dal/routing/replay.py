"""The same ids and timestamps on both sides of a dual write.

Both adapters get the *same* :class:`ReplayingClock` and
:class:`ReplayingIdAllocator`. While the router runs a command it opens a
:func:`replay_scope`: the authoritative side's calls are passed to the real
clock/allocator and their answers recorded; then the router switches the scope
to replay, and the second side's calls get the recorded answers in the same
order (per sequence for ids). Both backends thus store the same id and the same
``created_at``/``updated_at``. Outside a scope both pass straight through.

A second side that asks for more values than the first got is served fresh
ones from the real source; :attr:`ReplayScope.misses` counts them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import TypeVar

from interfaces import Clock, IdAllocator

__all__ = ["ReplayScope", "ReplayingClock", "ReplayingIdAllocator", "replay_scope"]

_T = TypeVar("_T")
_CLOCK = "\x00clock"  # the timestamps' series; cannot clash with a sequence name

_CURRENT: ContextVar[ReplayScope | None] = ContextVar("dal_replay_scope", default=None)


class ReplayScope:
    """Values handed out during one routed command, recorded then replayed."""

    def __init__(self) -> None:
        self.replaying = False
        self.misses = 0
        self._series: dict[str, list[object]] = {}
        self._cursors: dict[str, int] = {}
        self._lock = threading.Lock()

    def start_replay(self) -> None:
        """Serve the recorded values from the start, in order, to the calls that follow."""
        with self._lock:
            self.replaying = True
            self._cursors.clear()

    def value(self, series: str, fresh: Callable[[], _T]) -> _T:
        """Record ``fresh()`` (recording phase) or replay the next recorded value."""
        with self._lock:
            recorded = self._series.setdefault(series, [])
            if self.replaying:
                cursor = self._cursors.get(series, 0)
                if cursor < len(recorded):
                    self._cursors[series] = cursor + 1
                    return recorded[cursor]  # type: ignore[return-value]
                self.misses += 1
                return fresh()
            value = fresh()
            recorded.append(value)
            return value


@contextmanager
def replay_scope() -> Iterator[ReplayScope]:
    """Open a scope for one routed command (in the current context only)."""
    scope = ReplayScope()
    token = _CURRENT.set(scope)
    try:
        yield scope
    finally:
        _CURRENT.reset(token)


class ReplayingClock:
    """A :class:`~interfaces.Clock` that replays timestamps inside a replay scope."""

    def __init__(self, inner: Clock) -> None:
        self.inner = inner

    def now(self) -> datetime:
        """The inner clock's time, or the recorded one when replaying."""
        scope = _CURRENT.get()
        if scope is None:
            return self.inner.now()
        return scope.value(_CLOCK, self.inner.now)


class ReplayingIdAllocator:
    """An :class:`~interfaces.IdAllocator` that replays ids inside a replay scope."""

    def __init__(self, inner: IdAllocator) -> None:
        self.inner = inner

    def allocate(self, sequence: str) -> int:
        """A new id of ``sequence``, or the recorded one when replaying."""
        scope = _CURRENT.get()
        if scope is None:
            return self.inner.allocate(sequence)
        return scope.value(sequence, lambda: self.inner.allocate(sequence))
