"""A single background thread that runs callbacks at given (monotonic) times.

The router uses it for the shadow time budget (expire a secondary that is too
slow) and for writing metrics periodically. The thread starts on first use and
is a daemon, so it never keeps the process alive.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable

__all__ = ["Scheduler", "Timer"]

ErrorHook = Callable[[str, BaseException], None]


class Timer:
    """A scheduled callback; :meth:`cancel` stops it from running (if it has not yet)."""

    __slots__ = ("callback", "cancelled", "interval")

    def __init__(self, callback: Callable[[], None], interval: float | None) -> None:
        self.callback = callback
        self.interval = interval
        self.cancelled = False

    def cancel(self) -> None:
        """Do not run the callback (again)."""
        self.cancelled = True


class Scheduler:
    """Runs callbacks on one daemon thread; a failing callback is reported to ``on_error``."""

    def __init__(self, name: str, on_error: ErrorHook) -> None:
        self._name = name
        self._on_error = on_error
        self._heap: list[tuple[float, int, Timer]] = []
        self._order = itertools.count()
        self._wakeup = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        """Run ``callback`` once, ``delay`` seconds from now."""
        return self._schedule(delay, Timer(callback, None))

    def call_every(self, interval: float, callback: Callable[[], None]) -> Timer:
        """Run ``callback`` every ``interval`` seconds until cancelled."""
        if interval <= 0:
            raise ValueError(f"interval must be positive, got {interval}")
        return self._schedule(interval, Timer(callback, interval))

    def _schedule(self, delay: float, timer: Timer) -> Timer:
        with self._wakeup:
            if self._closed:
                timer.cancel()
                return timer
            due = time.monotonic() + delay
            earliest = not self._heap or due < self._heap[0][0]
            heapq.heappush(self._heap, (due, next(self._order), timer))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            if earliest:  # the thread sleeps until the earliest due time: wake it only if earlier
                self._wakeup.notify()
        return timer

    def close(self) -> None:
        """Stop the thread; callbacks not yet run are dropped."""
        with self._wakeup:
            self._closed = True
            self._heap.clear()
            self._wakeup.notify()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            timer = self._next_due()
            if timer is None:
                return
            try:
                timer.callback()
            except Exception as exc:
                self._on_error(f"{self._name} callback", exc)
            if timer.interval is not None and not timer.cancelled:
                self._schedule(timer.interval, timer)

    def _next_due(self) -> Timer | None:
        with self._wakeup:
            while not self._closed:
                if not self._heap:
                    self._wakeup.wait()
                    continue
                due, _, timer = self._heap[0]
                delay = due - time.monotonic()
                if delay > 0:
                    self._wakeup.wait(delay)
                    continue
                heapq.heappop(self._heap)
                if not timer.cancelled:
                    return timer
            return None
