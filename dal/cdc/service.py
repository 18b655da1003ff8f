"""Running a change-data-capture loop as a service: SIGTERM, health and metrics records.

:func:`run_until_signalled` runs a loop with a stop event that SIGTERM and SIGINT set:
the loop finishes the batch under way, saves its position and returns, so a stop
never leaves a half-applied batch unrecorded. :func:`health` reads the saved positions
(``dal_cdc_positions``): a reader is healthy while its position was saved within
``max_age`` seconds (an idle reader saves it every few seconds) and its last lag is
below ``max_lag``. :class:`RecordsSink` writes the metrics as ``metrics`` records to
the layer's records, at most once per ``every`` seconds.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from dal.cdc.checkpoints import PositionStore, StoredPosition
from dal.routing.recording import MetricsRecord, Recorder

__all__ = ["ReaderHealth", "RecordsSink", "health", "run_until_signalled"]


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_until_signalled(loop: Callable[[threading.Event], None]) -> None:
    """Run ``loop(stop)`` until it returns; SIGTERM or SIGINT sets ``stop``."""
    stop = threading.Event()
    with _stop_on_signals(stop):
        loop(stop)


@dataclass(frozen=True)
class ReaderHealth:
    """One reader's saved state and whether it is healthy."""

    stored: StoredPosition
    age: float
    healthy: bool
    problem: str | None


def health(
    store: PositionStore, prefixes: tuple[str, ...], max_age: float, max_lag: float
) -> list[ReaderHealth]:
    """The readers whose names start with one of ``prefixes``, judged by age and lag."""
    now = datetime.now(UTC).replace(tzinfo=None)
    found = []
    for prefix in prefixes:
        for stored in store.matching(prefix):
            age = max(0.0, (now - stored.updated_at).total_seconds())
            problem = None
            if stored.position != "done" and age > max_age:
                problem = f"no position saved for {age:.0f}s (limit {max_age:.0f}s)"
            elif stored.lag_ms is not None and stored.lag_ms / 1000 > max_lag:
                problem = f"lag {stored.lag_ms / 1000:.1f}s (limit {max_lag:.0f}s)"
            found.append(ReaderHealth(stored, age, problem is None, problem))
    return found


class RecordsSink:
    """Writes metrics snapshots as ``metrics`` records, at most once per ``every`` seconds."""

    def __init__(self, recorder: Recorder, every: float = 10.0) -> None:
        self._recorder = recorder
        self._every = every
        self._last = 0.0

    def __call__(self, snapshot: Mapping[str, Any]) -> None:
        """Record ``snapshot`` unless one was recorded less than ``every`` seconds ago."""
        now = time.monotonic()
        if now - self._last >= self._every:
            self._last = now
            self._recorder.record(MetricsRecord({"cdc": dict(snapshot)}))
